"""Strict input: JSON bodies carry the types the schema documents, typed query filters take only
well-formed values. DRF and django-filter alone are lenient ("5" for 5, a malformed filter
dropped and everything listed); here either is a 400."""

from __future__ import annotations

import re
from typing import Any, cast

import django_filters
from django.db.models import QuerySet
from django.http import QueryDict
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, serializers

# --- JSON bodies carry the documented types --------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def decimal_pattern(field: serializers.DecimalField) -> str:
    """The documented form of a decimal: digits, a point and decimals (a sign if it may be < 0)."""
    sign = "-?" if field.min_value is None or field.min_value < 0 else ""
    return fr"^{sign}\d{{1,{field.max_whole_digits}}}(?:\.\d{{1,{field.decimal_places}}})?$"


def _check_json_type(field: serializers.Field, value: Any) -> None:
    """Raise the field's own (translated) error when ``value`` is not of the documented JSON type."""
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if isinstance(field, serializers.BooleanField):
        if not isinstance(value, bool):
            field.fail("invalid")
    elif isinstance(field, serializers.PrimaryKeyRelatedField):
        if not is_int:
            field.fail("incorrect_type", data_type=type(value).__name__)
    elif isinstance(field, serializers.IntegerField):
        if not is_int:
            field.fail("invalid")
    elif isinstance(field, serializers.DecimalField):
        if not (is_int or (isinstance(value, str) and re.fullmatch(decimal_pattern(field), value))):
            field.fail("invalid")
    elif isinstance(field, serializers.DateField):
        if not (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
            field.fail("invalid", format="YYYY-MM-DD")
    elif isinstance(field, serializers.ChoiceField):
        if not isinstance(value, str):
            field.fail("invalid_choice", input=value)
    elif isinstance(field, serializers.CharField | serializers.DateTimeField):
        if not isinstance(value, str):
            field.fail("invalid")


class JsonTypedSerializer(serializers.ModelSerializer):
    """A JSON body must carry the types the schema documents. DRF alone takes 5 for "5", "1" for
    true, 1.5 for "1.50" and " .5" for a decimal, so requests the schema calls invalid would be
    accepted. Form bodies (QueryDict: every value a string) are left to DRF."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and not isinstance(data, QueryDict):
            errors: dict[str, list[str]] = {}
            for name, field in self.fields.items():
                if field.read_only or name not in data or data[name] is None:
                    continue
                try:
                    _check_json_type(field, data[name])
                except exceptions.ValidationError as exc:
                    errors[name] = cast("list[str]", exc.detail)  # field.fail(): a list of one message
            if errors:
                raise exceptions.ValidationError(errors)
        return super().to_internal_value(data)


# --- query filters: typed values only ----------------------------------------------------------

_NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL; the API rejects it in any string
# In bodies "" has its own branch when blank is allowed (drf-spectacular: oneOf [pattern, ""]),
# so the pattern must not match "" as well.
_NO_NUL_NON_EMPTY = r"^[^\x00]+$"
# DRF trims text fields (str.strip()), so a required one needs a character that is not whitespace
# (Python's whitespace, which includes \x1c-\x1f, and the regex engines').
NOT_BLANK_TEXT = r"^[^\x00]*[^\x00\s\x1c-\x1f][^\x00]*$"


def _filter_errors(filterset_class: type[django_filters.FilterSet], params: QueryDict
                   ) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, flt in filterset_class.base_filters.items():
        keys = [name]
        field: serializers.Field
        if isinstance(flt, django_filters.DateFromToRangeFilter):
            keys, field = [f"{name}_after", f"{name}_before"], serializers.DateField()
        elif isinstance(flt, django_filters.BooleanFilter):
            field = serializers.BooleanField()
        elif isinstance(flt, django_filters.ModelChoiceFilter):
            field = serializers.IntegerField()
        elif isinstance(flt, django_filters.ChoiceFilter):
            field = serializers.ChoiceField(choices=[])
        else:
            continue  # text filters take any text
        for key in keys:
            for value in params.getlist(key):
                try:
                    if value == "":
                        field.fail("required")
                    if isinstance(field, serializers.DateField) and not _ISO_DATE.fullmatch(value):
                        field.fail("invalid", format="YYYY-MM-DD")
                    if isinstance(field, serializers.BooleanField) and value not in ("true", "false"):
                        field.fail("invalid")
                    if isinstance(field, serializers.IntegerField) and not (
                            value.isascii() and value.isdigit()):
                        field.fail("invalid")
                except exceptions.ValidationError as exc:
                    errors[key] = cast("list[str]", exc.detail)  # field.fail(): a list of one message
    return errors


class ApiFilterBackend(DjangoFilterBackend):
    """django-filter for the API, held to the schema: a typed filter (an id, a choice, a date, a
    boolean) given an empty or malformed value is a 400 like any other bad input, where
    django-filter would drop it and list everything. (The pages' filter forms keep the leniency:
    they submit empty selects.)"""

    def filter_queryset(self, request: Any, queryset: QuerySet, view: Any) -> QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            errors = _filter_errors(filterset_class, request.query_params)
            if errors:
                raise exceptions.ValidationError(errors)
        return super().filter_queryset(request, queryset, view)

