"""API v1 plumbing: the one tenant viewset base class, pagination, errors, the router."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kam.roles import Actor
from kam.tenancy import TenantOwned


class TenantViewSet(viewsets.GenericViewSet):
    """Base of every tenant endpoint. It alone owns get_queryset/get_object.

    Subclasses say what they list with ``scoped_queryset(actor)``; the base re-applies the
    tenant filter, so a subclass cannot return another tenant's rows, and ``get_object`` looks
    the object up inside that queryset, so another tenant's id is a 404.
    """

    _final = ("get_queryset", "get_object")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls._final:
            if name in cls.__dict__:
                raise TypeError(f"{cls.__name__} must not override {name}; "
                                "implement scoped_queryset(actor) instead")

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
        if self.lookup_field == "pk" and not str(value).isdigit():
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
