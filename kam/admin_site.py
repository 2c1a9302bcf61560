from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class KamAdminSite(admin.AdminSite):
    """Only superusers enter the admin; tenants' own admins use the settings page."""

    site_header = "KAM administration"

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser


class KamAdminConfig(AdminConfig):
    default_site = "kam.admin_site.KamAdminSite"
