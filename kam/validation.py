"""Shared tail of every service's validation: collect field errors, then raise them all at once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

Errors = dict[str, list[str]]


def apply_changes(instance: models.Model, data: dict[str, Any], *, editable: Iterable[str],
                  strip: Iterable[str] = ()) -> None:
    """The start of every update service: refuse fields that may not be set (all of them named at
    once), copy the values onto ``instance``, trim the text fields in ``strip`` (None → "")."""
    unknown = set(data) - set(editable)
    if unknown:
        raise ValidationError({f: [_("This field cannot be set.")] for f in sorted(unknown)})
    for field, value in data.items():
        setattr(instance, field, value)
    for field in strip:
        setattr(instance, field, (getattr(instance, field) or "").strip())


def check_unique(*, queryset: models.QuerySet, instance: models.Model, fields: Iterable[tuple[str, Any]],
                 errors: Errors) -> None:
    """A field error (not a non-field one) for each value another row of ``queryset`` already has.

    ``queryset`` is a scoped manager's queryset, so "another row" means another row of this tenant.
    """
    for field, message in fields:
        value = getattr(instance, field)
        if value and field not in errors and queryset.filter(**{field: value}).exclude(
                pk=instance.pk).exists():
            errors[field] = [str(message)]


def clean_and_raise(instance: models.Model, errors: Errors, *, skip: Iterable[str] = (),
                    **full_clean_kwargs: Any) -> None:
    """Run the model's own validation on the fields without an error yet, then raise everything.

    ``skip`` names fields the service has already checked more precisely (foreign keys checked
    against the tenant and the actor's visibility, for example).
    """
    try:
        instance.full_clean(exclude=[*errors, *skip], **full_clean_kwargs)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
