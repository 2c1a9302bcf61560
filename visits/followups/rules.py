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

from kam.roles import Actor
from visits.followups.models import MAX_RECURRENCE_INTERVAL, FollowUp, Recurrence
from visits.visit.models import Visit
from visits.visit.rules import members_who_see, owned_rows, row_basics

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
    found = owned_rows(FollowUp, actor=actor, rows=rows)
    roles, seeing = members_who_see(account_owners=found.owners,
                                    member_ids=found.member_ids(rows))
    visit_ids = {r.visit_id for r in rows if r.visit_id is not None}
    visit_accounts: dict[int, int] = dict(Visit.objects.filter(pk__in=visit_ids).values_list(
        "pk", "account_id")) if visit_ids else {}

    checked = Checked(errors=[])
    for row, default in zip(rows, found.defaults, strict=True):
        errors, account = row_basics(row, default=default, found=found, roles=roles,
                                     seeing=seeing, checked=checked,
                                     taken=_("Another follow-up already has this external ID."))
        if (row.visit_id is not None and account is not None
                and visit_accounts.get(row.visit_id) != account):
            errors["visit"] = [_("The visit must be one of this account's.")]
        errors.update(recurrence_errors(row))
        checked.errors.append(errors)
    return checked
