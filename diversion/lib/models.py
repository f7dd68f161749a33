from django.core.validators import MaxLengthValidator
from django.db import models


class Timestamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True,
                                      help_text="When this record was created (UTC).")
    updated_at = models.DateTimeField(auto_now=True,
                                      help_text="When this record last changed (UTC).")

    class Meta:
        abstract = True


def full_clean_held(instance: models.Model, *, exclude=()) -> None:
    """``instance.full_clean()`` without looking up again, one query each, the foreign keys
    whose objects the caller already holds (assigned as objects, not ids): the service
    read them from the database a moment ago. Keys assigned as bare ids are still checked."""
    held = [f.name for f in instance._meta.concrete_fields
            if f.is_relation and f.is_cached(instance)]
    instance.full_clean(exclude=[*exclude, *held])


# Free text a person types (a contact note, an exit note, a plan review, the Operations
# Team's reasons): about four printed pages. Checked by the model's validation, so every
# service that calls full_clean refuses a longer one with the field named, whatever the surface.
NOTE_MAX_CHARS = 10_000


def note_validators() -> list:
    return [MaxLengthValidator(NOTE_MAX_CHARS)]
