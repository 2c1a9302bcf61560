from django.contrib import admin

from accounts.models import Account
from kam.admin import TenantOwnedAdmin


@admin.register(Account)
class AccountAdmin(TenantOwnedAdmin):
    list_display = ("name", "tenant", "industry", "province", "lifecycle_status", "credit_rating")
    search_fields = ("name", "short_name", "unified_social_credit_code", "external_id")

    def has_add_permission(self, request) -> bool:
        return False  # accounts belong to a tenant: created in the app or through the API
