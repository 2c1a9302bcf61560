"""Strict input: JSON bodies carry the types the schema documents, typed query filters take only
well-formed values. DRF and django-filter alone are lenient ("5" for 5, a malformed filter
dropped and everything listed); here either is a 400."""

from __future__ import annotations

import re
from typing import Any, cast

import django_filters
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, serializers
from rest_framework.filters import OrderingFilter

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
    elif isinstance(field, serializers.DateTimeField):
        if not isinstance(value, str):
            # DRF's message names the accepted form (without it, its format() fails: a 500).
            field.fail("invalid", format="YYYY-MM-DDThh:mm[:ss][+HH:MM]")
    elif isinstance(field, serializers.CharField):
        if not isinstance(value, str):
            field.fail("invalid")


class JsonTypedSerializer(serializers.ModelSerializer):
    """A JSON body must carry the types the schema documents. DRF alone takes 5 for "5", "1" for
    true, 1.5 for "1.50" and " .5" for a decimal, so requests the schema calls invalid would be
    accepted. Form bodies (QueryDict: every value a string) are left to DRF."""

    # (This docstring is the schema's description of every request body: kept as it was.)
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and not isinstance(data, QueryDict):
            # DRF ignores a field it does not know (a misspelt one would be dropped silently); here
            # it is an error naming it, as the schema says (additionalProperties: false). Read-only
            # fields (id, created_at, …) are not part of a request body either.
            errors: dict[str, list[str]] = {
                name: [_("This field cannot be set.")] for name in data
                if name not in self.fields or self.fields[name].read_only}
            for name, field in self.fields.items():
                if field.read_only or name not in data or data[name] is None:
                    continue
                try:
                    _check_json_type(field, data[name])
                except exceptions.ValidationError as exc:
                    errors[name] = cast("list[str]", exc.detail)  # field.fail(): a list of one message
            if errors:
                # Every field error of the body at once: DRF's own for the other fields too.
                try:
                    super().to_internal_value({k: v for k, v in data.items() if k in self.fields})
                except exceptions.ValidationError as exc:
                    if isinstance(exc.detail, dict):
                        for name, messages in exc.detail.items():
                            errors.setdefault(name, cast("list[str]", messages))
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



# --- ordering: one of the accepted fields, or a 400 ------------------------------------------------


class ApiOrderingFilter(OrderingFilter):
    """DRF's ordering filter drops a term it does not know and orders by the default: a typo
    would be answered with another order than asked, silently. Here ``?ordering=`` is one or more
    of the view's ``ordering_fields``, comma-separated, each reversed by a leading ``-``; anything
    else (an unknown field, an empty term, spaces) is a 400 naming the accepted ones, and the
    schema documents that as the parameter's pattern."""

    def accepted(self, view: Any, queryset: QuerySet | None = None) -> list[str]:
        fields = getattr(view, "ordering_fields", self.ordering_fields)
        if isinstance(fields, list | tuple):
            return [item if isinstance(item, str) else item[0] for item in fields]
        queryset = queryset if queryset is not None else view.get_queryset()
        return [name for name, _label in self.get_valid_fields(queryset, view, {})]

    def pattern(self, view: Any) -> str:
        term = "-?(?:" + "|".join(re.escape(name) for name in self.accepted(view)) + ")"
        return f"^{term}(?:,{term})*$"

    def get_ordering(self, request: Any, queryset: QuerySet, view: Any) -> Any:
        raw = request.query_params.get(self.ordering_param)
        if raw is None:
            return self.get_default_ordering(view)
        accepted = self.accepted(view, queryset)
        terms = raw.split(",")
        if not all(term.removeprefix("-") in accepted for term in terms):
            raise exceptions.ValidationError({self.ordering_param: [
                _("Unknown ordering. Accepted: %(accepted)s; a leading - reverses the order, "
                  "commas separate several.") % {"accepted": ", ".join(accepted)}]})
        return terms

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"] = {**parameter["schema"], "pattern": self.pattern(view)}
        return parameters


# --- the query parameters of an operation ------------------------------------------------------------


def filterset_parameters(filterset_class: type[django_filters.FilterSet]) -> list[str]:
    """The query parameters of a FilterSet, named as drf-spectacular documents them (a range
    filter is two: ``date_after`` and ``date_before``)."""
    names: list[str] = []
    for name, flt in filterset_class.base_filters.items():
        if isinstance(flt, django_filters.RangeFilter | django_filters.NumericRangeFilter):
            suffixes = getattr(flt.field_class.widget, "suffixes", ["min", "max"])
            names += [f"{name}_{suffix}" if suffix else name for suffix in suffixes]
        else:
            names.append(name)
    return names


_PARAMETERS: dict[tuple[type, str | None, bool, tuple[str, ...]], list[str]] = {}


def query_parameters_of(view: Any, *, listing: bool, extra: tuple[str, ...] = ()) -> list[str]:
    """The query parameters ``view`` reads for its action, in the order of the schema: a list's
    filters (each backend's), then its pagination's; plus ``extra``. Computed once per view class
    and action (``view`` carries the action's own filter backends and pagination)."""
    key = (type(view), getattr(view, "action", None), listing, extra)
    if key not in _PARAMETERS:
        names: list[str] = []
        if listing:
            for backend in getattr(view, "filter_backends", []):
                if issubclass(backend, DjangoFilterBackend):
                    queryset = view.model.unscoped_all_tenants.none()
                    filterset_class = backend().get_filterset_class(view, queryset)
                    if filterset_class is not None:
                        names += filterset_parameters(filterset_class)
                else:
                    names += [p["name"] for p in backend().get_schema_operation_parameters(view)]
            if view.paginator is not None:
                names += [p["name"] for p in view.paginator.get_schema_operation_parameters(view)]
        names += extra
        _PARAMETERS[key] = sorted(set(names))
    return _PARAMETERS[key]
