"""The current tenant, and the model base every tenant-owned table inherits.

The current tenant lives in a ContextVar. The default manager of every ``TenantOwned`` model
filters by it and **raises** ``NoTenantError`` when none is set, so a query that forgot the tenant
fails loudly instead of leaking. Code that must work across tenants (nightly dispatchers, resolving
which tenants a user belongs to, finding the tenant of an API key, the superuser admin) uses the
manager named ``unscoped_all_tenants`` — greppable on purpose.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from django.db import models

from kam import context as _context

if TYPE_CHECKING:
    from kam.models import Tenant

P = ParamSpec("P")
R = TypeVar("R")

_current_tenant: contextvars.ContextVar[Tenant | None] = _context.current_tenant


# Set only by system_read(): cross-tenant *reads* for the few places that need them (see below).
_system_read: contextvars.ContextVar[str | None] = _context.system_read


class NoTenantError(RuntimeError):
    """A tenant-scoped query ran with no tenant set."""


def get_current_tenant() -> Tenant:
    tenant = _current_tenant.get()
    if tenant is None:
        raise NoTenantError(
            "No tenant is set: wrap the work in tenant_context(tenant) or use "
            "Model.unscoped_all_tenants deliberately."
        )
    return tenant


def current_tenant_or_none() -> Tenant | None:
    return _current_tenant.get()


def set_current_tenant(tenant: Tenant | None) -> contextvars.Token:
    """Low level: used by the request middleware and API authentication. Prefer tenant_context."""
    return _current_tenant.set(tenant)


@contextmanager
def tenant_context(tenant: Tenant) -> Iterator[Tenant]:
    """Run a block (a Celery task, a management command, a test) as ``tenant``."""
    if tenant is None:
        raise NoTenantError("tenant_context() needs a tenant")
    token = _current_tenant.set(tenant)
    try:
        yield tenant
    finally:
        _current_tenant.reset(token)


@contextmanager
def system_read(reason: str) -> Iterator[None]:
    """The explicitly named cross-tenant path: read (never write) rows of every tenant.

    The database enforces it: with no tenant set, the row-level-security policies show rows of all
    tenants only to SELECTs run inside this block, and INSERT/UPDATE/DELETE still need a tenant.
    Inside ``tenant_context`` the tenant wins (the block is ignored). Allowed callers:
    ``kam.middleware.active_memberships`` (which tenants a user may enter),
    ``kam.services.api_key_authenticate`` (which tenant a key belongs to), the superuser admin
    (``kam.admin``), nightly dispatchers if they ever need tenant rows, and tests that inspect
    every tenant. ``reason`` is for readers and for grep.
    """
    if not reason:
        raise ValueError("system_read() needs a reason")
    token = _system_read.set(reason)
    try:
        yield
    finally:
        _system_read.reset(token)


@contextmanager
def request_scope() -> Iterator[None]:
    """A request starts with no tenant and no system read, and leaves nothing behind."""
    tenant_token = _current_tenant.set(None)
    system_token = _system_read.set(None)
    try:
        yield
    finally:
        _system_read.reset(system_token)
        _current_tenant.reset(tenant_token)


@contextmanager
def as_tenant(tenant_id: int) -> Iterator[None]:
    """For services that take ``tenant_id``: run as that tenant (already current, or entered here).

    Refuses to run inside another tenant: a service never writes across tenants."""
    current = current_tenant_or_none()
    if current is not None:
        if current.pk != tenant_id:
            raise NoTenantError(f"Asked to work on tenant {tenant_id} inside tenant {current.pk}")
        yield
        return
    from kam.models import Tenant

    with tenant_context(Tenant.objects.get(pk=tenant_id)):
        yield


def with_tenant(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator for tasks and commands that take ``tenant_id`` as a keyword argument."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from kam.audit import audit_context, job_metadata
        from kam.models import Tenant

        tenant_id = cast("int | None", kwargs.get("tenant_id"))
        if tenant_id is None:
            raise NoTenantError(f"{func.__qualname__} must be called with tenant_id=")
        tenant = Tenant.objects.get(pk=tenant_id)
        # The audit trail records the job as the actor of what it changes.
        with tenant_context(tenant), audit_context(**job_metadata(f"{func.__module__}.{func.__qualname__}")):
            return func(*args, **kwargs)

    return wrapper


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """Scoped to the current tenant; raises when there is none."""

    def get_queryset(self) -> TenantQuerySet:
        tenant = get_current_tenant()
        return super().get_queryset().filter(tenant_id=tenant.pk)

    def none(self) -> TenantQuerySet:
        # An empty queryset leaks nothing, so it needs no tenant (schema generation uses it).
        return super().get_queryset().none()


class _SameTenantJoin:
    """Joins along a key between tenant tables also match the tenant: ``JOIN … ON t.id =
    a.parent_id AND t.tenant_id = a.tenant_id``. The primary keys are ``(tenant_id, id)`` and the
    row-level-security filter (an OR with the system-read path) cannot serve as an index
    condition, so without the tenant in the ON clause every joined row would be looked up by
    ``id`` alone through a key that leads with the tenant. It is also the join Citus pushes down
    to one worker (both sides on the distribution column)."""

    model: type[models.Model]
    related_model: Any

    def get_extra_restriction(self, alias: str | None, related_alias: str | None) -> Any:
        if alias is None or related_alias is None:  # a subquery pushdown: the key alone
            return None
        from django.db.models.lookups import Exact
        from django.db.models.sql.where import AND, WhereNode

        target = self.related_model._meta.get_field("tenant").get_col(alias)
        source = cast("models.ForeignKey", self.model._meta.get_field("tenant")).get_col(related_alias)
        # A lookup is a WhereNode child like any other (the stubs list only nodes).
        children: list[Any] = [Exact(target, source)]
        return WhereNode(children, connector=AND)


class TenantForeignKeyField(_SameTenantJoin, models.ForeignKey):
    """A foreign key from one tenant table to another. The database's constraint is the composite
    ``(tenant_id, <field>_id) → (tenant_id, id)`` one (kam.db.operations.TenantForeignKey): a
    child can never point at another tenant's row, and the layout is the one Citus distributes
    by tenant_id (it refuses a key that leaves the tenant out). So Django creates none of its own
    (``db_constraint=False``); joins match the tenant too (``_SameTenantJoin``); on_delete and
    the rest are a ForeignKey's. Migrations record a plain ForeignKey with
    ``db_constraint=False``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["db_constraint"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.ForeignKey", args, kwargs


class TenantOneToOneField(_SameTenantJoin, models.OneToOneField):
    """A one-to-one key between tenant tables, for the same reasons (TenantForeignKeyField)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["db_constraint"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.OneToOneField", args, kwargs


class TenantOwned(models.Model):
    """Abstract base of every tenant-owned model: a non-null tenant, a scoped default manager."""

    tenant = models.ForeignKey("kam.Tenant", on_delete=models.PROTECT, related_name="+",
                               editable=False)

    objects = TenantManager()
    # Cross-tenant access. Allowed only in: kam.middleware (membership lookup), kam.authentication
    # (API key lookup), nightly dispatchers, the superuser admin, migrations and tests.
    unscoped_all_tenants = models.Manager()  # noqa: DJ012

    class Meta:
        abstract = True
        # Related-object access (account.parent, …) goes through the base manager; keep it plain
        # so Django's internals (deletion collector, FK descriptors) work, and scope explicitly.
        base_manager_name = "unscoped_all_tenants"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.tenant_id is None:
            self.tenant = get_current_tenant()
        elif (current := current_tenant_or_none()) is not None and current.pk != self.tenant_id:
            raise NoTenantError("Refusing to save a row of another tenant than the current one")
        super().save(*args, **kwargs)
