"""Writes of contacts (联系人): create, update (incl. "left the account"), delete."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.account.models import Account
from accounts.account.selectors import account_visible_queryset
from accounts.contacts.models import Contact
from accounts.contacts.selectors import contact_visible_queryset
from kam import clock
from kam.roles import Actor, Perm
from kam.tenancy import get_current_tenant
from kam.validation import apply_changes, check_unique, clean_and_raise

CONTACT_EDITABLE_FIELDS = (
    "account", "name", "title", "department", "level", "buying_role", "relationship_strength",
    "phone", "email", "wechat_id", "birthday", "birthday_is_lunar", "is_active", "left_on",
    "notes", "external_id",
)


def _apply(*, actor: Actor, contact: Contact, data: dict[str, Any]) -> None:
    tenant = get_current_tenant()
    apply_changes(contact, data, editable=CONTACT_EDITABLE_FIELDS,
                  strip=("email", "phone", "external_id"))
    if not contact.is_active and contact.left_on is None:
        # The database insists on a date; "left today" is the honest default.
        contact.left_on = clock.today()
    errors: dict[str, list[str]] = {}

    account: Account | None = contact.account if contact.account_id else None
    if account is None:
        errors["account"] = [_("This field is required.")]
    elif account.tenant_id != tenant.pk or not account_visible_queryset(actor=actor).filter(
            pk=account.pk).exists():
        # Another tenant's account and one the actor may not see read the same: it does not exist.
        errors["account"] = [_("The account does not exist.")]

    if contact.email and "account" not in errors and Contact.objects.filter(
            account_id=contact.account_id, email__iexact=contact.email).exclude(pk=contact.pk).exists():
        errors["email"] = [_("Another contact of this account already has this email address.")]
    check_unique(queryset=Contact.objects.all(), instance=contact, errors=errors, fields=(
        ("external_id", _("Another contact already has this external ID.")),
    ))
    clean_and_raise(contact, errors)


@transaction.atomic
def contact_create(*, actor: Actor, data: dict[str, Any]) -> Contact:
    if not actor.can(Perm.ACCOUNT_CHANGE):
        raise PermissionDenied(_("You may not change contacts."))
    contact = Contact(tenant=get_current_tenant())
    _apply(actor=actor, contact=contact, data=data)
    contact.save()
    return contact


@transaction.atomic
def contact_update(*, actor: Actor, contact: Contact, data: dict[str, Any]) -> Contact:
    if not actor.can(Perm.ACCOUNT_CHANGE):
        raise PermissionDenied(_("You may not change contacts."))
    # Re-read inside the visible set with a row lock: a contact the actor cannot see is not found.
    contact = contact_visible_queryset(actor=actor).select_for_update(of=("self",)).get(pk=contact.pk)
    _apply(actor=actor, contact=contact, data=data)
    contact.save()
    return contact


@transaction.atomic
def contact_delete(*, actor: Actor, contact: Contact) -> None:
    if not actor.can(Perm.ACCOUNT_CHANGE):
        raise PermissionDenied(_("You may not delete contacts."))
    contact_visible_queryset(actor=actor).filter(pk=contact.pk).delete()
