"""Data-subject tools for administrators, the write: erase one contact's personal data (the export
and the lookup are reads: accounts.history.selectors).

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

from django.db import connection, transaction

from accounts.contacts.models import Contact
from accounts.history.selectors import PERSONAL_FIELDS, erased_name, require_data_subject
from kam import clock
from kam.audit import audit_context
from kam.roles import Actor
from kam.tenancy import get_current_tenant


@transaction.atomic
def contact_erase(*, actor: Actor, contact: Contact) -> int:
    """Erase the contact's personal data, here and in its audit copies. Returns how many audit
    rows were scrubbed. Idempotent."""
    require_data_subject(actor)
    tenant = get_current_tenant()
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    erased: dict[str, Any] = {field: "" for field in PERSONAL_FIELDS}
    erased.update(name=erased_name(contact.pk, tenant.default_language), birthday=None,
                  birthday_is_lunar=False, birthday_lunar_leap=False)
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

