"""API v1 plumbing: the one tenant viewset base class, pagination, errors, the router."""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, filters, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kam.audit import api_key_metadata, audit_context_add
from kam.roles import Actor
from kam.tenancy import TenantOwned


class TenantViewSet(viewsets.GenericViewSet):
    """Base of every tenant endpoint. It alone owns get_queryset/get_object.

    Subclasses say what they list with ``scoped_queryset(actor)``; the base re-applies the
    tenant filter, so a subclass cannot return another tenant's rows, and ``get_object`` looks
    the object up inside that queryset, so another tenant's id is a 404.
    """

    _final = ("get_queryset", "get_object")
    # ``schema`` (TenantAutoSchema: the documented error responses) and ``filter_backends``
    # (ApiFilterBackend: typed filters) are set at the end of this module.

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls._final:
            if name in cls.__dict__:
                raise TypeError(f"{cls.__name__} must not override {name}; "
                                "implement scoped_queryset(actor) instead")

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authenticates
        # Every documented query parameter is one value; a repeated one (?a=1&a=2, read as its
        # last value by DRF and django-filter) is bad input, not a guess.
        repeated = sorted(k for k, values in request.query_params.lists() if len(values) > 1)
        if repeated:
            raise exceptions.ValidationError(
                {k: [_("This parameter may be given only once.")] for k in repeated})
        actor = request.auth
        if isinstance(actor, Actor) and actor.api_key is not None:
            # The audit trail's actor: the key (browser sessions were recorded by the middleware).
            audit_context_add(**api_key_metadata(actor.api_key))

    @property
    def actor(self) -> Actor:
        actor = self.request.auth
        if not isinstance(actor, Actor):
            raise exceptions.NotAuthenticated()
        return actor

    def scoped_queryset(self, actor: Actor) -> QuerySet:
        raise NotImplementedError

    model: type[TenantOwned]

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no tenant, no rows
            return self.model.unscoped_all_tenants.none()
        actor = self.actor
        qs = self.scoped_queryset(actor)
        if not issubclass(qs.model, TenantOwned):
            raise TypeError(f"{qs.model.__name__} is not tenant-owned")
        return qs.filter(tenant_id=actor.tenant.pk)

    def get_object(self):
        lookup_url_kwarg = self.lookup_url_kwarg or self.lookup_field
        value = self.kwargs[lookup_url_kwarg]
        # ASCII digits only: "¹" is a digit to str.isdigit() but not to int() (a 500).
        if self.lookup_field == "pk" and not (str(value).isascii() and str(value).isdigit()):
            raise Http404
        try:
            obj = self.get_queryset().get(**{self.lookup_field: value})
        except ObjectDoesNotExist as exc:
            raise Http404 from exc
        self.check_object_permissions(self.request, obj)
        return obj


def _django_validation_detail(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [str(m) for m in msgs]
            for field, msgs in exc.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Every error is JSON: ``{"message": "...", "errors": {field: [..]}}``."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_validation_detail(exc))
    elif isinstance(exc, IntegrityError):
        # A race past the services' explicit checks (two identical creates at once): the
        # database constraint held; report it as a conflict in the input, not a 500.
        exc = exceptions.ValidationError(
            {"non_field_errors": [_("This conflicts with data saved at the same moment; retry.")]})
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        if isinstance(data, list):
            data = {"non_field_errors": data}
        response.data = {"message": _("Invalid input."), "errors": data}
    elif response.status_code == status.HTTP_404_NOT_FOUND:
        response.data = {"message": _("Not found.")}
    elif isinstance(data, dict) and "detail" in data:
        response.data = {"message": str(data["detail"])}
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: under /api/ the API's JSON error (a path no route matches, an id with a dot),
    elsewhere the site's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"message": _("Not found.")}, status=status.HTTP_404_NOT_FOUND)
    return page_not_found(request, exception)


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
                    errors[name] = exc.detail
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
                    errors[key] = exc.detail
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


# --- OpenAPI: the error responses every operation can give -------------------------------------


class ApiErrorSerializer(serializers.Serializer):
    """An error: 401, 403, 404 or 429."""

    message = serializers.CharField(help_text="What went wrong, in the caller's language.")


class ApiValidationErrorSerializer(ApiErrorSerializer):
    """Invalid input (400). ``errors`` is absent when the body could not be parsed at all."""

    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="Messages per field; errors not tied to one field under non_field_errors.")


class TenantAutoSchema(AutoSchema):
    """drf-spectacular's schema plus the documented error responses of our API: 400 (bad input:
    bodies, filters, cursors), 401 (no or bad API key), 403 (role or key scope), 404 (an id that
    is not the caller's) and 429 (the per-key rate limit, with Retry-After). Codes an operation
    declares itself (``@extend_schema(responses=...)``) are kept as declared."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        detail = "{" in self.path
        errors: dict[str, tuple[type[serializers.Serializer], str]] = {}
        if self.method != "GET" or getattr(self.view, "action", None) != "retrieve":
            errors["400"] = (ApiValidationErrorSerializer,
                             "Invalid input: a body field, a filter, the cursor or page_size.")
        errors["401"] = (ApiErrorSerializer, "No API key or session, or an invalid or revoked key.")
        errors["403"] = (ApiErrorSerializer, "The key's scope or the member's role does not allow this.")
        if detail:
            errors["404"] = (ApiErrorSerializer, "No such object for this tenant.")
        if self.view.get_throttles():
            errors["429"] = (ApiErrorSerializer, "Rate limit reached; retry after Retry-After seconds.")
        if self.method in ("POST", "PUT", "PATCH"):
            errors["415"] = (ApiErrorSerializer, "The body is not JSON (Content-Type).")
        for code, (serializer, description) in errors.items():
            if code in responses:
                continue
            response = self._get_response_for_code(serializer, code, direction=direction)
            response["description"] = description
            if code == "429":
                response["headers"] = {"Retry-After": {
                    "schema": {"type": "integer"},
                    "description": "Seconds until the key may send requests again."}}
            responses[code] = response
        return responses

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        for parameter in (operation or {}).get("parameters", []):
            schema = parameter.get("schema", {})
            if (parameter["in"] == "query" and parameter["name"] != "ordering"
                    and schema.get("type") == "string"
                    and not {"enum", "format", "pattern"} & set(schema)):
                # Text filters, search and cursor reject NUL (ordering ignores what it does not
                # know, NUL included).
                schema["pattern"] = _NO_NUL
        return operation

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if getattr(serializer, "schema_additional_properties", True) is False:
            schema["additionalProperties"] = False
        return schema

    def map_parsers(self) -> list[str]:
        # The API speaks JSON. DRF's form parsers are left in place, but form encodings cannot
        # carry null (nullable fields would read the string "null"), so they are not documented.
        return [media_type for media_type in super().map_parsers() if media_type == "application/json"]

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (direction == "request" and isinstance(field, serializers.CharField)
                and schema.get("type") == "string" and not {"format", "pattern"} & set(schema)
                and not any(isinstance(v, RegexValidator) for v in field.validators)):
            # DRF's CharField rejects NUL.
            trimmed_required = field.trim_whitespace and not field.allow_blank
            schema["pattern"] = NOT_BLANK_TEXT if trimmed_required else _NO_NUL_NON_EMPTY
        if (isinstance(field, serializers.DecimalField) and "pattern" in schema
                and field.max_whole_digits and field.decimal_places):
            # drf-spectacular's pattern makes every digit optional ("", "-" and "-." would be
            # valid numbers); JsonTypedSerializer enforces this one. A JSON integer is accepted
            # as well (bulk rows have always taken one).
            schema["pattern"] = decimal_pattern(field)
            if direction == "request":
                limit = 10 ** field.max_whole_digits - 1
                minimum = 0 if field.min_value is not None and field.min_value >= 0 else -limit
                number = {"type": "integer", "minimum": minimum, "maximum": limit}
                nullable = schema.pop("nullable", None)
                text = {k: schema.pop(k) for k in ("type", "format", "pattern")}
                schema["oneOf"] = [text, number]
                if nullable:
                    schema["nullable"] = True
        return schema


TenantViewSet.schema = TenantAutoSchema()
TenantViewSet.filter_backends = [ApiFilterBackend, filters.SearchFilter, filters.OrderingFilter]
