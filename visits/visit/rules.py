"""The rules of a visit, one set for every channel: the single write (pages, API) and the bulk
upsert of an integration both call ``visit_rules`` with their rows already parsed, and get the same
errors on the same fields.

* account — an account the actor may see (another tenant's and a colleague's read the same: it
  does not exist);
* owner — an active member of the tenant who may see the account (its owner, on its team, an
  administrator or an executive): the visit shows in their list, so they must see its account;
* attendees — our people: active members of the tenant;
* contacts — the customer's people: contacts of the visit's account;
* external_id — unique in the tenant. An ``upsert`` row (bulk) names by external id the visit it
  inserts or updates, which must be of an account the actor may see.

And the one rule of a change of schedule (``schedule_change``): a new start of a visit that is
still open (planned or missed) is a reschedule — counted, and a missed visit is planned again.

At most five queries for any number of rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from accounts.account.selectors import account_visible_queryset
from accounts.contacts.models import Contact
from accounts.team.models import AccountTeamMember
from kam.db.expressions import value_set
from kam.models import Membership
from kam.roles import ROLE_PERMISSIONS, Actor, Perm
from visits.visit.models import OPEN_STATUSES, Visit, VisitStatus

Errors = dict[str, list[str]]


@dataclass
class VisitRow:
    """One visit as a channel parsed it (None where the channel had no valid value)."""

    account_id: int | None
    owner_id: int | None
    # No owner named: the stored visit's (an update), else the actor, else the account's owner.
    default_owner: bool = False
    attendee_ids: list[int] | None = None  # None: not given (an update keeps the stored ones)
    contact_ids: list[int] | None = None
    external_id: str = ""
    pk: int | None = None     # the stored visit a single update changes
    upsert: bool = False      # bulk: external_id names the visit to insert or update


@dataclass
class Checked:
    errors: list[Errors]
    stored: dict[str, int] = field(default_factory=dict)  # external id -> stored visit (upserts)
    owners: list[int | None] = field(default_factory=list)  # per row: the owner, given or default
    contact_levels: dict[int, str] = field(default_factory=dict)  # contact -> its level now


@dataclass(frozen=True)
class ScheduleChange:
    status: str
    reschedule_count: int
    clears_missed: bool


def schedule_change(*, status: str, reschedule_count: int, old_start: datetime.datetime | None,
                    new_start: datetime.datetime | None) -> ScheduleChange:
    """What a (possibly) new start does to a stored visit. Only an open visit is rescheduled: a
    completed or cancelled one whose start is corrected keeps its status and count."""
    moved = old_start is not None and new_start is not None and new_start != old_start
    if not moved or status not in OPEN_STATUSES:
        return ScheduleChange(status=status, reschedule_count=reschedule_count, clears_missed=False)
    return ScheduleChange(status=VisitStatus.PLANNED, reschedule_count=reschedule_count + 1,
                          clears_missed=True)


def members_who_see(*, account_owners: dict[int, int | None], member_ids: set[int]
                    ) -> tuple[dict[int, str], set[tuple[int, int]]]:
    """The active members among ``member_ids`` with their role, and the (account, member) pairs of
    ``account_owners`` (account -> its owner) in which the member may see the account: two
    queries at most. Administrators and executives see every account; a manager those they own
    or are on the team of (accounts.account.selectors.visible_via_account)."""
    if not member_ids:
        return {}, set()
    roles: dict[int, str] = dict(Membership.objects.filter(pk__in=member_ids, is_active=True)
                                 .values_list("pk", "role"))
    managers = {pk for pk, role in roles.items()
                if Perm.ACCOUNT_VIEW_ALL not in ROLE_PERMISSIONS[role]}
    pairs = {(account, member) for account in account_owners for member in roles
             if member not in managers or account_owners[account] == member}
    if managers and account_owners:
        pairs |= set(AccountTeamMember.objects.filter(
            account_id__in=list(account_owners), membership_id__in=managers)
            .values_list("account_id", "membership_id"))
    return roles, pairs


def owner_errors(*, owner_id: int | None, account_id: int | None, roles: dict[int, str],
                 seeing: set[tuple[int, int]]) -> list[str]:
    """The owner rule of a visit or a follow-up (an account already found visible)."""
    if owner_id is None:
        return [_("This field is required.")]
    if owner_id not in roles:
        return [_("The owner must be one of your company's active members.")]
    if account_id is not None and (account_id, owner_id) not in seeing:
        return [_("The owner must be someone who can see this account: its owner, a member of its "
                  "team, an administrator or an executive.")]
    return []


def default_owner(actor: Actor, *, account_id: int | None, owner_id: int | None, wanted: bool,
                  stored: int | None, account_owners: dict[int, int | None]) -> int | None:
    """The owner of a row that names none (``wanted``): the stored row's (an upsert keeps it),
    else the actor (one's own visit or follow-up), else — for an API key — the account's owner."""
    if owner_id is not None or not wanted:
        return None
    if stored is not None:
        return stored
    if actor.membership is not None:
        return actor.membership.pk
    return account_owners.get(account_id) if account_id is not None else None


@dataclass
class OwnedRows:
    """What the rules of rows with an account, an owner and an external id read first (visits and
    follow-ups alike): the stored rows holding their external ids, the visible accounts with their
    owners, each row's default owner."""

    holders: dict[str, tuple[int, int, int]]  # external id -> (pk, account, owner) stored
    owners: dict[int, int | None]  # visible account -> its owner
    defaults: list[int | None]  # per row: the owner it gets when it names none

    def member_ids(self, rows: Sequence[VisitRow] | Sequence[Any]) -> set[int]:
        return ({r.owner_id for r in rows if r.owner_id is not None}
                | {d for d in self.defaults if d is not None})


def owned_rows(model: type[Visit] | type[Any], *, actor: Actor, rows: Sequence[Any]) -> OwnedRows:
    """Two queries (one without external ids): the holders of the rows' external ids, and the
    visible accounts among the rows' and the holders'."""
    externals = {r.external_id for r in rows if r.external_id}
    holders: dict[str, tuple[int, int, int]] = {
        ext: (pk, account_id, owner_id) for pk, ext, account_id, owner_id in model.objects.filter(
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
    return OwnedRows(holders=holders, owners=owners, defaults=defaults)


def row_basics(row: Any, *, default: int | None, found: OwnedRows, roles: dict[int, str],
               seeing: set[tuple[int, int]], checked: Any, taken: str
               ) -> tuple[Errors, int | None]:
    """The rules every such row shares — its external id (``taken``: the message when another
    row holds it; an upsert's holder becomes the row), its account (visible), its owner — with
    the row's owner and stored upserts recorded in ``checked``. Returns the errors and the account
    (None when the account is not one of the actor's)."""
    errors: Errors = {}
    owner_id = row.owner_id if row.owner_id is not None else default
    checked.owners.append(owner_id)
    holder = found.holders.get(row.external_id) if row.external_id else None
    if row.upsert and holder is not None:
        if holder[1] in found.owners:
            checked.stored[row.external_id] = row.pk = holder[0]
        else:
            errors["external_id"] = [taken]
    elif holder is not None and holder[0] != row.pk:
        errors["external_id"] = [taken]
    if row.account_id is None or row.account_id not in found.owners:
        errors["account"] = [_("The account does not exist.")]
    account = row.account_id if "account" not in errors else None
    if problems := owner_errors(owner_id=owner_id, account_id=account, roles=roles,
                                seeing=seeing):
        errors["owner"] = problems
    return errors, account


def visit_rules(*, actor: Actor, rows: list[VisitRow]) -> Checked:
    found = owned_rows(Visit, actor=actor, rows=rows)
    owners = found.owners
    member_ids = found.member_ids(rows) | {m for r in rows for m in (r.attendee_ids or ())}
    roles, seeing = members_who_see(account_owners=owners, member_ids=member_ids)
    contact_ids = {c for r in rows for c in (r.contact_ids or ())}
    contacts: dict[int, tuple[int, str]] = {
        pk: (account_id, level) for pk, account_id, level in Contact.objects.filter(
            pk__in=contact_ids).values_list("pk", "account_id", "level")} if contact_ids else {}

    checked = Checked(errors=[], contact_levels={pk: level for pk, (_a, level) in contacts.items()})
    for row, default in zip(rows, found.defaults, strict=True):
        errors, account = row_basics(row, default=default, found=found, roles=roles,
                                     seeing=seeing, checked=checked,
                                     taken=_("Another visit already has this external ID."))
        if any(m not in roles for m in row.attendee_ids or ()):
            errors["attendees"] = [_("Our attendees must be active members of your company.")]
        if account is not None and any(contacts.get(c, (None, ""))[0] != account
                                       for c in row.contact_ids or ()):
            errors["contacts"] = [_("The customer's attendees must be contacts of this account.")]
        checked.errors.append(errors)
    return checked
