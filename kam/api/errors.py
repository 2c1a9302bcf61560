"""Every API error is JSON: ``{"message": "...", "errors": {field: [..]}}``; a path no route
matches under /api/ is the API's 404, not the site's page.

Django's own error views (400, 403, 404, 500: ``handler…`` in kam.urls) answer JSON under /api/
too, so no failure — a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, too many parameters, an error
raised by a middleware — turns an API answer into an HTML page. A database that went away (the
connection lost, the server restarting) is a 503 with ``Retry-After``: JSON under /api/, the
product's 503 page elsewhere.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import psycopg2
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db import utils as db_utils
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger("kam.api")

RETRY_AFTER_SECONDS = 5


def _django_validation_detail(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [str(m) for m in msgs]
            for field, msgs in exc.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def _printable(value: Any) -> Any:
    """The error body with lone surrogates (input echoed back: a key, an invalid choice) written
    as ``\\udfff``: UTF-8 cannot carry them, and the JSON renderer would fail on them (a 500)."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(v) for v in value]
    return value


# For views that answer with an error body of their own (the bulk endpoints of visits).
printable = _printable


# --- a lost database ------------------------------------------------------------------------------


def database_lost(exc: BaseException | None) -> bool:
    """The connection to the database failed or was lost (Django's wrapped error, or psycopg2's
    own from a raw cursor: execute_values), here or in what caused it."""
    lost = (db_utils.OperationalError, db_utils.InterfaceError,
            psycopg2.OperationalError, psycopg2.InterfaceError)
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, lost):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _unavailable_message() -> str:
    return _("The database is unavailable right now. Please retry in a few seconds.")


def _unavailable_json() -> JsonResponse:
    response = JsonResponse({"message": _unavailable_message()},
                            status=status.HTTP_503_SERVICE_UNAVAILABLE)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _unavailable_page(request: HttpRequest) -> HttpResponse:
    """The product's 503 page, in its layout, rendered without the context processors (they read
    the user and the tenant from the database that is gone)."""
    from django.middleware.csrf import get_token

    body = loader.get_template("503.html").render({
        "request": request, "csrf_token": get_token(request),
        "retry_after": RETRY_AFTER_SECONDS})
    response = HttpResponse(body, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


# --- DRF: errors raised inside an API view ---------------------------------------------------------


def _too_large_message() -> str:
    from django.conf import settings

    megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    return _("The request body is too large: at most %(size)s MB.") % {
        "size": f"{megabytes:.1f}".removesuffix(".0")}


def _suspicious_message(exc: SuspiciousOperation | BadRequest) -> str:
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return _("The request has too many parameters or fields.")
    return _("The request could not be understood.")


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Every error is JSON: ``{"message": "...", "errors": {field: [..]}}``."""
    if database_lost(exc):
        logger.error("The database is unavailable", exc_info=exc)
        return Response({"message": _unavailable_message()},
                        status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if isinstance(exc, RequestDataTooBig):
        return Response({"message": _too_large_message()},
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation | BadRequest):
        return Response({"message": _suspicious_message(exc)}, status=status.HTTP_400_BAD_REQUEST)
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
        response.data = {"message": _("Invalid input."), "errors": _printable(data)}
    elif response.status_code == status.HTTP_404_NOT_FOUND:
        response.data = {"message": _("Not found.")}
    elif isinstance(data, dict) and "detail" in data:
        response.data = {"message": _printable(str(data["detail"]))}
    return response


# --- Django's error views (kam.urls: handler400, handler403, handler404, handler500) ---------------


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400 (a SuspiciousOperation or BadRequest outside a view: a body too large, too many
    parameters): under /api/ JSON (a body too large is a 413), elsewhere the site's page."""
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse({"message": _too_large_message()},
                            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    message = (_suspicious_message(exception)
               if isinstance(exception, SuspiciousOperation | BadRequest)
               else _("The request could not be understood."))
    return JsonResponse({"message": message}, status=status.HTTP_400_BAD_REQUEST)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler403: under /api/ the API's JSON error, elsewhere the site's page."""
    if _is_api(request):
        return JsonResponse({"message": _("You do not have permission to perform this action.")},
                            status=status.HTTP_403_FORBIDDEN)
    return defaults.permission_denied(request, exception)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: under /api/ the API's JSON error (a path no route matches, an id with a dot),
    elsewhere the site's page."""
    if _is_api(request):
        return JsonResponse({"message": _("Not found.")}, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500, for an exception no view handled (Django has logged it). The database gone:
    503 with Retry-After (JSON under /api/, the 503 page elsewhere); anything else: 500 (JSON under
    /api/, the site's page elsewhere)."""
    if database_lost(sys.exc_info()[1]):
        return _unavailable_json() if _is_api(request) else _unavailable_page(request)
    if _is_api(request):
        return JsonResponse({"message": _("Something went wrong on our side; it has been logged. "
                                          "Please retry in a moment.")},
                            status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    return defaults.server_error(request)
