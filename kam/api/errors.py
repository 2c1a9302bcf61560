"""Every API error is JSON: ``{"message": "...", "errors": {field: [..]}}``; a path no route
matches under /api/ is the API's 404, not the site's page."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


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

