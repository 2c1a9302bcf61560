"""Writes of contacts (联系人): create, update (incl. "left the account"), delete."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.contacts.models import Contact
from accounts.contacts.rules import ContactRow, contact_rules
from accounts.contacts.selectors import contact_visible_queryset
from kam import clock
from kam.roles import Actor, Perm
from kam.tenancy import get_current_tenant
from kam.validation import apply_changes, clean_and_raise

CONTACT_EDITABLE_FIELDS = (
    "account", "name", "title", "department", "level", "buying_role", "relationship_strength",
    "phone", "email", "wechat_id", "birthday", "birthday_is_lunar", "birthday_lunar_leap", "is_active",
    "left_on", "care_opt_out", "notes", "external_id",
)


def _apply(*, actor: Actor, contact: Contact, data: dict[str, Any]) -> None:
    apply_changes(contact, data, editable=CONTACT_EDITABLE_FIELDS,
                  strip=("email", "phone", "external_id"))
    if not contact.is_active and contact.left_on is None:
        # The database insists on a date; "left today" is the honest default.
        contact.left_on = clock.today()
    # The contact's rules (accounts.contacts.rules), the same for the file import.
    [errors] = contact_rules(actor=actor, rows=[ContactRow(
        account_id=contact.account_id, email=contact.email, external_id=contact.external_id,
        pk=contact.pk)])
    if not contact.account_id:
        errors["account"] = [_("This field is required.")]
    if contact.birthday_lunar_leap and not contact.birthday_is_lunar:
        errors.setdefault("birthday_lunar_leap", []).append(
            _("Only a lunar birthday can be in a leap month."))
    clean_and_raise(contact, errors, validate_unique=False)


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


def contact_check(*, actor: Actor, data: dict[str, Any], contact: Contact | None = None) -> None:
    """The rules of ``contact_create`` (``contact`` None) or ``contact_update`` on ``data``,
    writing nothing: ``ValidationError`` with every error. A value None is "unknown" (a page's
    field that did not parse): the null checks name it and the rules that need it skip it."""
    if contact is None:
        _apply(actor=actor, contact=Contact(tenant=get_current_tenant()), data=data)
        return
    _apply(actor=actor, contact=contact_visible_queryset(actor=actor).get(pk=contact.pk), data=data)


@transaction.atomic
def contact_delete(*, actor: Actor, contact: Contact) -> None:
    if not actor.can(Perm.ACCOUNT_CHANGE):
        raise PermissionDenied(_("You may not delete contacts."))
    contact_visible_queryset(actor=actor).filter(pk=contact.pk).delete()
