"""Optimistic locking: the second of two concurrent edits is refused, not silently applied.

A form carries the `version` the user saw; the save is one UPDATE that only matches
if the row still has that version, and bumps it. No row matched means someone else
saved in between: the user is told, and nothing of theirs overwrites the other's work.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

CONFLICT_MESSAGE = _("This record was changed by someone else since you opened it; "
                     "reload and try again.")
GONE_MESSAGE = _("This record no longer exists; reload the page.")


def save_with_version(instance: models.Model, *, expected_version, fields: list[str]) -> None:
    """Write FIELDS of INSTANCE if its row still has EXPECTED_VERSION; bump the version.

    Raises ValidationError({"version": ...}) when the row was changed (or deleted)
    since. Validate (`full_clean()`) before calling. Fields with auto_now (e.g.
    `updated_at`) are refreshed too. On success `instance.version` is the new one.
    """
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError({"version": _("The form's version is missing or not a number; "
                                            "reload the page.")})
    if "version" in fields:
        raise ValueError("save_with_version sets `version` itself; leave it out of fields")
    opts = instance._meta
    values = {}
    for name in fields:
        field = opts.get_field(name)
        values[field.attname] = field.pre_save(instance, add=False)
    for field in opts.concrete_fields:
        if getattr(field, "auto_now", False) and field.attname not in values:
            values[field.attname] = field.pre_save(instance, add=False)
    values["version"] = F("version") + 1
    model = type(instance)
    matched = model._base_manager.filter(pk=instance.pk, version=expected).update(**values)
    if matched == 0:
        if not model._base_manager.filter(pk=instance.pk).exists():
            raise ValidationError({"version": GONE_MESSAGE}, code="gone")
        raise ValidationError({"version": CONFLICT_MESSAGE}, code="conflict")
    instance.version = expected + 1
