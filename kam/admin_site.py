from __future__ import annotations

import functools

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class KamAdminSite(admin.AdminSite):
    """Only superusers enter the admin; tenants' own admins use the settings page."""

    site_header = "KAM administration"

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def admin_view(self, view, cacheable=False):
        """Superusers read across tenants: the one page path that uses ``system_read``.

        Writes still need a tenant: ``TenantOwnedAdmin`` saves and deletes inside the object's own
        ``tenant_context``. The response is rendered inside the block (templates read lazily)."""
        from kam.tenancy import system_read  # kam.tenancy defines models: import after app loading

        inner = super().admin_view(view, cacheable)

        @functools.wraps(inner)
        def wrapper(request, *args, **kwargs):
            with system_read("superuser admin"):
                response = inner(request, *args, **kwargs)
                if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                    response.render()
            return response

        return wrapper


class KamAdminConfig(AdminConfig):
    default_site = "kam.admin_site.KamAdminSite"
