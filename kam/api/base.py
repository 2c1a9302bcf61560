"""The one base class of every tenant endpoint: it alone owns get_queryset/get_object."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, filters, mixins, viewsets
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.settings import api_settings

from kam import visibility
from kam.api.input import ApiFilterBackend, ApiOrderingFilter, query_parameters_of
from kam.api.parsers import ApiJSONParser
from kam.api.schema import TenantAutoSchema
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
    # Query parameters an action reads itself, beside its filters' and its pagination's (those
    # are found from the filter backends and the paginator, as the schema finds them).
    extra_query_parameters: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls._final:
            if name in cls.__dict__:
                raise TypeError(f"{cls.__name__} must not override {name}; "
                                "implement scoped_queryset(actor) instead")
        # DRF's own write mixins save through the serializer (the model's save, no rules): a
        # viewset writes through its services, with kam.api's mixins below.
        for name, drf in (("perform_create", mixins.CreateModelMixin.perform_create),
                          ("perform_update", mixins.UpdateModelMixin.perform_update),
                          ("perform_destroy", mixins.DestroyModelMixin.perform_destroy)):
            if getattr(cls, name, None) is drf:
                raise TypeError(f"{cls.__name__} writes with DRF's {name}: use "
                                "kam.api.CreateMixin / UpdateMixin / DestroyMixin and name the "
                                "service in create_object / update_object / delete_object")

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authenticates
        # Every documented query parameter is one value; a repeated one (?a=1&a=2, read as its
        # last value by DRF and django-filter) is bad input, not a guess. A parameter the
        # operation does not document is bad input too, not silently ignored (a misspelt filter
        # would list everything).
        errors: dict[str, list[str]] = {}
        if getattr(self, request.method.lower(), None) is not None:  # else a 405 says it all
            accepted = self.query_parameters()
            if accepted:
                unknown = _("Unknown parameter. Accepted here: %(accepted)s.") % {
                    "accepted": ", ".join(accepted)}
            else:
                unknown = _("Unknown parameter. This operation takes no query parameters.")
            errors = {k: [unknown] for k in request.query_params if k not in accepted}
        for k, values in request.query_params.lists():
            if len(values) > 1:
                errors.setdefault(k, [_("This parameter may be given only once.")])
        if errors:
            raise exceptions.ValidationError(dict(sorted(errors.items())))
        actor = request.auth
        if isinstance(actor, Actor) and actor.api_key is not None:
            # The audit trail's actor: the key (browser sessions were recorded by the middleware).
            audit_context_add(**api_key_metadata(actor.api_key))

    def query_parameters(self) -> list[str]:
        """The query parameters of this request's operation, as the schema documents them: on a
        list (a GET of a collection), its filters', search's, ordering's and pagination's; and
        the viewset's ``extra_query_parameters``."""
        listing = self.request.method in ("GET", "HEAD") and not getattr(self, "detail", False)
        return query_parameters_of(self, listing=listing, extra=self.extra_query_parameters)

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
        visibility.check(qs)  # rows visible per actor come through their app's rule
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



class ApiContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation without its ``?format=`` override: the API answers JSON (the Accept
    header may still choose among the renderers), and ``format`` is no parameter of it (an unknown
    one, so a 400 like any other)."""

    class settings:  # read as DRF's api_settings
        URL_FORMAT_OVERRIDE = None


# The documented error responses (schema.TenantAutoSchema), the typed filters and strict ordering
# (input.ApiFilterBackend, input.ApiOrderingFilter), JSON nested at most parsers.MAX_DEPTH levels
# (the other parsers as configured) and no ?format= of every tenant endpoint.
TenantViewSet.schema = TenantAutoSchema()
# On the class for every subclass (the stubs declare these per instance of a generic view).
TenantViewSet.filter_backends = [  # type: ignore[misc]
    ApiFilterBackend, filters.SearchFilter, ApiOrderingFilter]
TenantViewSet.parser_classes = cast("list[type[BaseParser]]", [
    ApiJSONParser if parser is JSONParser else parser for parser in api_settings.DEFAULT_PARSER_CLASSES])
TenantViewSet.content_negotiation_class = ApiContentNegotiation


# --- writes: the serializer validates, the service decides and writes ------------------------------


class CreateMixin(mixins.CreateModelMixin):
    """POST: ``create_object(data)`` (the viewset's service) with the serializer's valid data."""

    def create_object(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = self.create_object(dict(serializer.validated_data))


class UpdateMixin(mixins.UpdateModelMixin):
    """PUT / PATCH: ``update_object(instance, data)``; the object gone meanwhile is a 404."""

    def update_object(self, instance: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def perform_update(self, serializer: Any) -> None:
        try:
            serializer.instance = self.update_object(serializer.instance,
                                                     dict(serializer.validated_data))
        except ObjectDoesNotExist as exc:
            raise Http404 from exc


class DestroyMixin(mixins.DestroyModelMixin):
    """DELETE: ``delete_object(instance)``; the object gone meanwhile is a 404."""

    def delete_object(self, instance: Any) -> None:
        raise NotImplementedError

    def perform_destroy(self, instance: Any) -> None:
        try:
            self.delete_object(instance)
        except ObjectDoesNotExist as exc:
            raise Http404 from exc
