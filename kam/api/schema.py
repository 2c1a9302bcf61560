"""OpenAPI: the error responses every operation can give, NUL-free strings, exact decimals."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import Direction
from rest_framework import serializers

from kam.api.input import _NO_NUL, _NO_NUL_NON_EMPTY, NOT_BLANK_TEXT, decimal_pattern

# --- OpenAPI: the error responses every operation can give -------------------------------------


class ApiErrorSerializer(serializers.Serializer):
    """An error: 401, 403, 404 or 429."""

    message = serializers.CharField(help_text="What went wrong, in the caller's language.")


class ApiValidationErrorSerializer(ApiErrorSerializer):
    """Invalid input (400). ``errors`` is absent when the body could not be parsed at all."""

    # A declared field: the serializer's metaclass takes it out of the class, the ``errors``
    # property stays (the stubs see a class attribute overriding it).
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="Messages per field; errors not tied to one field under non_field_errors.")


class TenantAutoSchema(AutoSchema):
    """drf-spectacular's schema plus the documented error responses of our API: 400 (bad input:
    bodies, filters, cursors), 401 (no or bad API key), 403 (role or key scope), 404 (an id that
    is not the caller's) and 429 (the per-key rate limit, with Retry-After). Codes an operation
    declares itself (``@extend_schema(responses=...)``) are kept as declared."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        # A collection route that answers one object (``answers_one_object`` on the viewset: an
        # account's cadence, all its levels in one body) is documented as that object.
        if getattr(self.view, "answers_one_object", False):
            return False
        return bool(super()._is_list_view(serializer))

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
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
            if (parameter["in"] == "query" and schema.get("type") == "string"
                    and not {"enum", "format", "pattern"} & set(schema)):
                # Text filters, search and cursor reject NUL (ordering has its own pattern: the
                # accepted fields, input.ApiOrderingFilter).
                schema["pattern"] = _NO_NUL
        return operation

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        # Request bodies take no field the schema does not name (JsonTypedSerializer and the bulk
        # rows answer 400, naming it); responses are not closed. A serializer may also say so
        # itself (``schema_additional_properties = False``).
        if direction == "request" or getattr(serializer, "schema_additional_properties", True) is False:
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

