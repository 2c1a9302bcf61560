from django.contrib import admin

from accounts.models import Account, AccountTeamMember, Contact, Contract, Transaction
from kam.admin import TenantOwnedAdmin


@admin.register(Account)
class AccountAdmin(TenantOwnedAdmin):
    list_display = ("name", "tenant", "industry", "province", "lifecycle_status", "credit_rating")
    search_fields = ("name", "short_name", "unified_social_credit_code", "external_id")

    def has_add_permission(self, request) -> bool:
        return False  # accounts belong to a tenant: created in the app or through the API


@admin.register(Contact)
class ContactAdmin(TenantOwnedAdmin):
    list_display = ("name", "tenant", "account", "level", "buying_role", "is_active")
    search_fields = ("name", "email", "external_id")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(AccountTeamMember)
class AccountTeamMemberAdmin(TenantOwnedAdmin):
    list_display = ("account", "tenant", "membership", "team_role")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Transaction)
class TransactionAdmin(TenantOwnedAdmin):
    list_display = ("date", "tenant", "account", "amount", "product_line", "external_id")
    search_fields = ("external_id",)
    date_hierarchy = "date"

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Contract)
class ContractAdmin(TenantOwnedAdmin):
    list_display = ("number", "tenant", "account", "status", "start_date", "end_date", "value")
    search_fields = ("number", "title", "external_id")

    def has_add_permission(self, request) -> bool:
        return False
