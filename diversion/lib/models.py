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
