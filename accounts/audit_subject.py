"""Data-subject tools for administrators: everything about one contact, exported or erased.

* **Export** (:func:`contact_export`): the contact's fields, its account, its audit history and
  every other row that references it, as one JSON document.
* **Erase** (:func:`contact_erase`): the personal fields are removed — the name becomes a neutral
  placeholder ("已删除联系人 #<id>" / "Erased contact #<id>", in the tenant's language), the other
  personal fields are cleared — and the same fields are scrubbed from the contact's audit copies by
  ``kam_audit_erase_contact`` (the application role cannot UPDATE audit rows; that function can,
  for the current tenant only; migration ``accounts/0006_audit``). What is not personal stays (the
  account, level, buying role, relationship strength, active / left), so the relationship map and
  the account's history keep their shape. The erasure itself is recorded: its update event carries
  ``{"erasure": true}`` and the administrator in its context.

Not covered (documented limits): uploaded import files and their failed-row reports keep what was
uploaded until they are deleted; free text elsewhere (an account's notes) is not searched.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.history import actor_of
from accounts.models import Contact
from kam import clock
from kam.audit import audit_context
from kam.roles import Actor, Perm
from kam.tenancy import get_current_tenant

# The contact's personal data: cleared on erasure, here and in the audit trail (keep in step with
# kam_audit_erase_contact in accounts/migrations/0006_audit.py).
PERSONAL_FIELDS = ("name", "title", "department", "phone", "email", "wechat_id", "birthday",
                   "birthday_is_lunar", "notes", "external_id")


def _require(actor: Actor) -> None:
    if not actor.can(Perm.DATA_SUBJECT):
        raise PermissionDenied(_("Only administrators may export or erase a person's data."))


def contact_for_data_subject(*, actor: Actor, contact_id: int) -> Contact:
    """Any contact of the current tenant (administrators see every account).
    Contact.DoesNotExist for anything else, another tenant's contact included."""
    _require(actor)
    return Contact.objects.select_related("account").get(pk=contact_id)


def erased_name(contact_id: int, language: str) -> str:
    with translation.override(language):
        return _("Erased contact #%(id)d") % {"id": contact_id}


def is_erased(contact: Contact) -> bool:
    return contact.name == erased_name(contact.pk, get_current_tenant().default_language)


def _row(instance: models.Model, *, skip: tuple[str, ...] = ("tenant",)) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname)
            for f in instance._meta.concrete_fields if f.name not in skip}


def contact_export(*, actor: Actor, contact: Contact) -> dict[str, Any]:
    """Everything stored about one contact, ready for ``json.dumps(cls=DjangoJSONEncoder)``."""
    _require(actor)
    tenant = get_current_tenant()
    event_model = Contact.pgh_event_model
    history = []
    for event in event_model.objects.filter(tenant_id=tenant.pk, pgh_obj_id=contact.pk).order_by(
            "pgh_id"):
        actor_info, _label = actor_of(event.pgh_context)
        history.append({
            "time": event.pgh_created_at,
            "action": {"insert": "created", "update": "changed", "delete": "deleted"}.get(
                event.pgh_label, event.pgh_label),
            "erasure": bool((event.pgh_context or {}).get("erasure")),
            "actor": actor_info,
            "snapshot": {f.attname: getattr(event, f.attname)
                         for f in event._meta.concrete_fields
                         if not f.name.startswith("pgh_") and f.name != "tenant"},
        })
    references: dict[str, list[dict[str, Any]]] = {}
    for rel in Contact._meta.related_objects:
        related = rel.related_model
        if getattr(related, "pgh_tracked_model", None) is not None:
            continue  # the audit trail: exported above
        manager = getattr(related, "objects", related._default_manager)
        rows = manager.filter(**{rel.field.name: contact})
        references[related._meta.label] = [_row(r) for r in rows]
    return {
        "format": "kam.contact-export/1",
        "exported_at": clock.now(),
        "exported_by": ({"membership_id": actor.membership.pk,
                         "username": actor.membership.user.get_username()}
                        if actor.membership is not None else None),
        "tenant": {"id": tenant.pk, "name": tenant.name},
        "contact": _row(contact),
        "account": {"id": contact.account_id, "name": contact.account.name},
        "history": history,
        "references": references,
    }


@transaction.atomic
def contact_erase(*, actor: Actor, contact: Contact) -> int:
    """Erase the contact's personal data, here and in its audit copies. Returns how many audit
    rows were scrubbed. Idempotent."""
    _require(actor)
    tenant = get_current_tenant()
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    erased: dict[str, Any] = {field: "" for field in PERSONAL_FIELDS}
    erased.update(name=erased_name(contact.pk, tenant.default_language), birthday=None,
                  birthday_is_lunar=False)
    with audit_context(erasure=True):
        if any(getattr(contact, field) != value for field, value in erased.items()):
            for field, value in erased.items():
                setattr(contact, field, value)
            contact.updated_at = clock.now()
            contact.save(update_fields=[*PERSONAL_FIELDS, "updated_at"])
        with connection.cursor() as cursor:
            cursor.execute("SELECT public.kam_audit_erase_contact(%s)", [contact.pk])
            (scrubbed,) = cursor.fetchone()
    return int(scrubbed)

