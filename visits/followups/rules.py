"""The rules of a follow-up, one set for every channel: the single write (pages, API), the
commitments of a visit's report and the bulk upsert all call ``follow_up_rules`` with their rows
already parsed, and get the same errors on the same fields.

* account — an account the actor may see ("does not exist" otherwise, as for another tenant's);
* owner — an active member who may see the account (visits.visit.rules.owner_errors);
* visit — the visit it came from is one of the same account;
* recurrence — repeating needs an interval (1–365) and its unit; not repeating, neither;
* external_id — unique in the tenant; an ``upsert`` row names by it the follow-up it inserts or
  updates, which must be of an account the actor may see.

At most five queries for any number of rows. Where a due date may come from "in N working days"
(kam.calendar, issue 13), the caller turns it into ``due_on`` before the rules: they judge dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from accounts.account.selectors import account_visible_queryset
from kam.db.expressions import value_set
from kam.roles import Actor
from visits.followups.models import MAX_RECURRENCE_INTERVAL, FollowUp, Recurrence
from visits.visit.models import Visit
from visits.visit.rules import default_owner, members_who_see, owner_errors

Errors = dict[str, list[str]]


@dataclass
class FollowUpRow:
    """One follow-up as a channel parsed it (None where the channel had no valid value)."""

    account_id: int | None
    owner_id: int | None
    # No owner named: the stored follow-up's (an update), else the actor, else the account's owner.
    default_owner: bool = False
    visit_id: int | None = None
    recurrence: str | None = Recurrence.NONE
    recurrence_interval: int | None = None
    recurrence_unit: str | None = ""
    external_id: str = ""
    pk: int | None = None
    upsert: bool = False


@dataclass
class Checked:
    errors: list[Errors]
    stored: dict[str, int] = field(default_factory=dict)  # external id -> stored follow-up
    owners: list[int | None] = field(default_factory=list)  # per row: the owner, given or default


def recurrence_errors(row: FollowUpRow) -> Errors:
    errors: Errors = {}
    if row.recurrence in (None, Recurrence.NONE):
        return errors
    interval = row.recurrence_interval
    if interval is None or not 1 <= interval <= MAX_RECURRENCE_INTERVAL:
        errors["recurrence_interval"] = [
            _("Say how often it repeats: every 1 to %(max)d days, weeks or months.")
            % {"max": MAX_RECURRENCE_INTERVAL}]
    if not row.recurrence_unit:
        errors["recurrence_unit"] = [_("Choose days, weeks or months.")]
    return errors


def follow_up_rules(*, actor: Actor, rows: list[FollowUpRow]) -> Checked:
    externals = {r.external_id for r in rows if r.external_id}
    holders: dict[str, tuple[int, int, int]] = {
        ext: (pk, account_id, owner_id) for pk, ext, account_id, owner_id in FollowUp.objects.filter(
            external_id__in=value_set(externals)).exclude(external_id="")
        .values_list("pk", "external_id", "account_id", "owner_id")} if externals else {}
    account_ids = ({r.account_id for r in rows if r.account_id is not None}
                   | {account_id for _pk, account_id, _owner in holders.values()})
    owners: dict[int, int | None] = dict(
        account_visible_queryset(actor=actor).filter(pk__in=account_ids)
        .values_list("pk", "owner_id")) if account_ids else {}
    defaults = [default_owner(actor, account_id=r.account_id, owner_id=r.owner_id,
                              wanted=r.default_owner,
                              stored=holders[r.external_id][2] if r.upsert and r.external_id
                              in holders else None, account_owners=owners) for r in rows]
    roles, seeing = members_who_see(account_owners=owners, member_ids={
        o for r, d in zip(rows, defaults, strict=True) if (o := r.owner_id or d) is not None})
    visit_ids = {r.visit_id for r in rows if r.visit_id is not None}
    visit_accounts: dict[int, int] = dict(Visit.objects.filter(pk__in=visit_ids).values_list(
        "pk", "account_id")) if visit_ids else {}

    checked = Checked(errors=[])
    for row, default in zip(rows, defaults, strict=True):
        errors: Errors = {}
        owner_id = row.owner_id if row.owner_id is not None else default
        checked.owners.append(owner_id)
        holder = holders.get(row.external_id) if row.external_id else None
        if row.upsert and holder is not None:
            if holder[1] in owners:
                checked.stored[row.external_id] = row.pk = holder[0]
            else:
                errors["external_id"] = [_("Another follow-up already has this external ID.")]
        elif holder is not None and holder[0] != row.pk:
            errors["external_id"] = [_("Another follow-up already has this external ID.")]
        if row.account_id is None or row.account_id not in owners:
            errors["account"] = [_("The account does not exist.")]
        account = row.account_id if "account" not in errors else None
        if problems := owner_errors(owner_id=owner_id, account_id=account, roles=roles,
                                    seeing=seeing):
            errors["owner"] = problems
        if (row.visit_id is not None and account is not None
                and visit_accounts.get(row.visit_id) != account):
            errors["visit"] = [_("The visit must be one of this account's.")]
        errors.update(recurrence_errors(row))
        checked.errors.append(errors)
    return checked
