"""The Django admin: superusers only, across tenants (so it reads through unscoped_all_tenants)."""

from __future__ import annotations

from typing import ClassVar

from django.contrib import admin

from kam import services
from kam.models import ApiKey, Event, JobRun, Membership, Tenant


class TenantOwnedAdmin(admin.ModelAdmin):
    """Superuser view across tenants: querysets and FK choices are deliberately unscoped."""

    list_filter: ClassVar[tuple[str, ...]] = ("tenant",)

    def get_queryset(self, request):
        return self.model.unscoped_all_tenants.select_related("tenant")

    def get_readonly_fields(self, request, obj=None):
        # Foreign keys are read-only here: a form field for them would list every tenant's rows
        # (and Django builds it through the scoped default manager, which needs a tenant).
        fks = [f.name for f in self.model._meta.fields if f.is_relation]
        return (*super().get_readonly_fields(request, obj), *fks)

    def save_model(self, request, obj, form, change):
        from kam.tenancy import tenant_context

        tenant = obj.tenant if obj.tenant_id else None
        if tenant is None:
            return super().save_model(request, obj, form, change)
        with tenant_context(tenant):
            return super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        from kam.tenancy import tenant_context

        with tenant_context(obj.tenant):
            return super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        from kam.tenancy import tenant_context

        for obj in queryset.select_related("tenant"):
            with tenant_context(obj.tenant):
                obj.delete()


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "time_zone", "currency", "default_language", "is_active")
    search_fields = ("name", "slug")

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not change:  # a tenant added here starts like one made by tenant_create
            services.tenant_setup(tenant=obj)


@admin.register(Membership)
class MembershipAdmin(TenantOwnedAdmin):
    list_display = ("user", "tenant", "role", "is_active")


@admin.register(ApiKey)
class ApiKeyAdmin(TenantOwnedAdmin):
    list_display = ("name", "tenant", "prefix", "scopes", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "scopes", "last_used_at")
    exclude = ("hashed_key",)

    def has_add_permission(self, request) -> bool:
        return False  # keys are created in the tenant's settings or by create_api_key


@admin.register(JobRun)
class JobRunAdmin(TenantOwnedAdmin):
    """Nightly job runs across tenants, read-only (kam.jobs writes them)."""

    list_display = ("job", "tenant", "started_at", "finished_at", "outcome", "examined", "changed")
    list_filter = ("job", "outcome", "tenant")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(TenantOwnedAdmin):
    """Notification events across tenants, read-only (kam.notify records them): what happened,
    for an operator tracing a notification or, later, a webhook."""

    list_display = ("occurred_at", "tenant", "kind", "key", "subject")
    list_filter = ("kind", "tenant")
    search_fields = ("key", "subject")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
