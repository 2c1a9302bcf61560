"""The rules of a contact, one set for every channel: the single write (pages, API) and the file
import both call ``contact_rules`` with their rows already parsed, and get the same errors on the
same fields.

* account — an account the actor may see (another tenant's and a colleague's read the same: it
  does not exist);
* email — unique (case-insensitively) among the account's contacts;
* external_id — unique in the tenant. An ``upsert`` row (import) names by external id the contact
  it inserts or updates, which must be of an account the actor may see.

At most four queries for any number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts.account.selectors import account_visible_queryset
from accounts.contacts.models import Contact
from kam.db.expressions import value_set
from kam.roles import Actor

Errors = dict[str, list[str]]


@dataclass
class ContactRow:
    """One contact as a channel parsed it."""

    account_id: int | None
    email: str = ""
    external_id: str = ""
    pk: int | None = None   # the stored contact a single update changes
    upsert: bool = False    # import: external_id names the contact to insert or update


def contact_rules(*, actor: Actor, rows: list[ContactRow]) -> list[Errors]:
    externals = {r.external_id for r in rows if r.external_id}
    holders = {ext: (pk, account_id) for pk, ext, account_id in Contact.objects.filter(
        external_id__in=value_set(externals)).exclude(external_id="").values_list(
        "pk", "external_id", "account_id")} if externals else {}  # one index probe per id
    account_ids = ({r.account_id for r in rows if r.account_id is not None}
                   | {account_id for _pk, account_id in holders.values()})
    visible = set(account_visible_queryset(actor=actor).filter(pk__in=account_ids)
                  .values_list("pk", flat=True)) if account_ids else set()
    pairs = {(r.account_id, r.email.lower()) for r in rows if r.email and r.account_id}
    taken: dict[tuple[int | None, str], set[int]] = {}  # looked up with rows' (possibly None) account_id
    if pairs:
        for pk, account_id, email in Contact.objects.annotate(email_l=Lower("email")).filter(
                account_id__in={a for a, _e in pairs}, email_l__in={e for _a, e in pairs}
        ).values_list("pk", "account_id", "email_l"):
            taken.setdefault((account_id, email), set()).add(pk)
    out: list[Errors] = []
    for row in rows:
        errors: Errors = {}
        pk = row.pk
        holder = holders.get(row.external_id) if row.external_id else None
        if row.account_id is None or row.account_id not in visible:
            errors["account"] = [_("The account does not exist.")]
        if holder is not None and row.upsert:
            if holder[1] in visible:
                pk = holder[0]
            else:
                errors["external_id"] = [_("Another contact already has this external ID.")]
        elif holder is not None and holder[0] != row.pk:
            errors["external_id"] = [_("Another contact already has this external ID.")]
        if row.email and "account" not in errors and taken.get(
                (row.account_id, row.email.lower()), set()) - {pk}:
            errors["email"] = [_("Another contact of this account already has this email address.")]
        out.append(errors)
    return out
