"""Writes of follow-ups: create (by hand, or from a visit's commitments), change, mark done —
a recurring one is followed by the next —, cancel with a reason, reopen, delete, and the bulk
upsert of an integration. ``follow_up_check`` is the form's validate-only twin.

Who may: those who may change the account (kam.roles ``account.change`` on an account they see).

Due dates are dates. "Due in N working days" (kam.calendar) is turned into a date by the caller
before these run, so every channel passes the rules the same ``due_on``."""

from __future__ import annotations

import calendar
import datetime
from typing import Any, cast

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _
from psycopg2.extras import execute_values

from accounts.transactions.services import BulkValidationError
from kam import clock
from kam.calendar import working_days_add
from kam.db.expressions import value_set
from kam.models import Membership, Tenant, name_of
from kam.notify import notify_many
from kam.roles import Actor, Perm, Role
from kam.tenancy import get_current_tenant
from kam.validation import Errors, apply_changes, clean_and_raise
from visits.followups.models import (
    FollowUp,
    FollowUpSource,
    FollowUpStatus,
    Recurrence,
    RecurrenceUnit,
)
from visits.followups.notifications import FOLLOW_UP_ESCALATED, FOLLOW_UP_OVERDUE
from visits.followups.rules import FollowUpRow, follow_up_rules
from visits.followups.selectors import follow_up_visible_queryset
from visits.visit.models import Visit

FOLLOW_UP_EDITABLE_FIELDS = ("account", "owner", "title", "notes", "due_on", "recurrence",
                             "recurrence_interval", "recurrence_unit", "external_id")
COMMITMENT_FIELDS = ("owner", "title", "due_on")
MAX_COMMITMENTS = 50
BULK_MAX_ROWS = 1_000


def _require_change(actor: Actor) -> None:
    if not actor.can(Perm.ACCOUNT_CHANGE):
        raise PermissionDenied(_("You may not change follow-ups."))


def _locked(actor: Actor, follow_up: FollowUp) -> FollowUp:
    return follow_up_visible_queryset(actor=actor).select_for_update(of=("self",)).get(
        pk=follow_up.pk)


# --- recurrence -----------------------------------------------------------------------------------


def add_interval(day: datetime.date, interval: int, unit: str) -> datetime.date:
    """``day`` plus ``interval`` days, weeks or calendar months. A month keeps the day of the
    month where the month has it, else its last day: 31 January + 1 month = 28 (29) February."""
    if unit == RecurrenceUnit.DAYS:
        return day + datetime.timedelta(days=interval)
    if unit == RecurrenceUnit.WEEKS:
        return day + datetime.timedelta(weeks=interval)
    index = day.year * 12 + day.month - 1 + interval
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_due_on(follow_up: FollowUp, *, done_on: datetime.date) -> datetime.date:
    """The due date of the follow-up after a recurring one done on ``done_on``: one interval from
    its due date, or from the day it was done."""
    base = follow_up.due_on if follow_up.recurrence == Recurrence.FROM_DUE else done_on
    return add_interval(base, cast(int, follow_up.recurrence_interval),
                        follow_up.recurrence_unit)


# --- due in N working days ------------------------------------------------------------------------

# "Due in N working days": at most about a year of them.
MAX_DUE_IN_WORKING_DAYS = 250


def due_on_in_working_days(working_days: int, *, tenant: Tenant | None = None) -> datetime.date:
    """The due date ``working_days`` working days after the company's today, on its working
    calendar (kam.calendar: weekends, public holidays, make-up working days, its own days); 0 is
    today. What the form and the API store as ``due_on`` when a due date is given that way."""
    tenant = tenant or get_current_tenant()
    if not 0 <= working_days <= MAX_DUE_IN_WORKING_DAYS:
        raise ValueError(f"working days out of range: {working_days}")
    return working_days_add(clock.today(tenant), working_days, tenant=tenant)


# --- single writes --------------------------------------------------------------------------------


def _apply(*, actor: Actor, follow_up: FollowUp, data: dict[str, Any]) -> None:
    due_on = follow_up.due_on
    apply_changes(follow_up, data, editable=FOLLOW_UP_EDITABLE_FIELDS,
                  strip=("title", "external_id"))
    if follow_up.due_on != due_on:
        # A new due date is judged afresh by the nightly job (overdue, then escalated).
        follow_up.overdue_since = follow_up.escalated_on = None
    follow_up.notes = (follow_up.notes or "").strip()
    if follow_up.recurrence in (None, "", Recurrence.NONE):
        # Not repeating: no interval to keep (a form may send the last one typed).
        follow_up.recurrence = follow_up.recurrence or Recurrence.NONE
        follow_up.recurrence_interval, follow_up.recurrence_unit = None, ""
    follow_up.recurrence_unit = follow_up.recurrence_unit or ""
    # The follow-up's rules (visits.followups.rules), the same for commitments and bulk.
    checked = follow_up_rules(actor=actor, rows=[FollowUpRow(
        account_id=follow_up.account_id, owner_id=follow_up.owner_id,
        default_owner=follow_up.pk is None, visit_id=follow_up.visit_id,
        recurrence=follow_up.recurrence, recurrence_interval=follow_up.recurrence_interval,
        recurrence_unit=follow_up.recurrence_unit, external_id=follow_up.external_id,
        pk=follow_up.pk)])
    [errors] = checked.errors
    if follow_up.owner_id is None and checked.owners[0] is not None:
        follow_up.owner_id = checked.owners[0]
    if (follow_up.visit_id is not None and "account" in data and follow_up.pk is not None
            and "visit" in errors):
        errors["account"] = errors.pop("visit")  # a visit's follow-up stays with its account
    clean_and_raise(follow_up, errors, skip=["account", "owner", "visit", "previous"],
                    validate_unique=False, validate_constraints=False)


@transaction.atomic
def follow_up_create(*, actor: Actor, data: dict[str, Any],
                     source: str = FollowUpSource.MANUAL, visit: Visit | None = None,
                     source_ref: str = "") -> FollowUp:
    """A new open follow-up. ``source`` says where it came from: entered by hand, a visit (its
    report's commitments: ``follow_ups_from_commitments``), later a request, a survey or a risk
    alert, whose app passes its row's id as ``source_ref``."""
    _require_change(actor)
    follow_up = FollowUp(tenant=get_current_tenant(), source=source, source_ref=source_ref,
                         visit=visit)
    _apply(actor=actor, follow_up=follow_up, data=data)
    follow_up.save()
    return follow_up


@transaction.atomic
def follow_up_update(*, actor: Actor, follow_up: FollowUp, data: dict[str, Any]) -> FollowUp:
    _require_change(actor)
    follow_up = _locked(actor, follow_up)
    _apply(actor=actor, follow_up=follow_up, data=data)
    follow_up.save()
    return follow_up


def follow_up_check(*, actor: Actor, data: dict[str, Any],
                    follow_up: FollowUp | None = None) -> None:
    """The rules of ``follow_up_create`` (``follow_up`` None) or ``follow_up_update`` on
    ``data``, writing nothing: ``ValidationError`` with every error."""
    _require_change(actor)
    stored = (FollowUp(tenant=get_current_tenant()) if follow_up is None
              else follow_up_visible_queryset(actor=actor).get(pk=follow_up.pk))
    _apply(actor=actor, follow_up=stored, data=data)


@transaction.atomic
def follow_up_done(*, actor: Actor, follow_up: FollowUp) -> tuple[FollowUp, FollowUp | None]:
    """Mark an open follow-up done; a recurring one is followed by the next (open, the same
    account, owner, what and recurrence; due one interval from its due date or from today). A
    follow-up done, reopened and done again has still one next."""
    _require_change(actor)
    follow_up = _locked(actor, follow_up)
    if follow_up.status != FollowUpStatus.OPEN:
        raise ValidationError({NON_FIELD_ERRORS: [
            _("This follow-up is done already.") if follow_up.status == FollowUpStatus.DONE
            else _("A cancelled follow-up cannot be done; reopen it first.")]})
    follow_up.status = FollowUpStatus.DONE
    follow_up.done_at = clock.now()
    follow_up.done_by = actor.membership
    follow_up.save()
    following = None
    if follow_up.is_recurring and not FollowUp.objects.filter(previous_id=follow_up.pk).exists():
        following = FollowUp.objects.create(
            tenant_id=follow_up.tenant_id, account_id=follow_up.account_id,
            owner_id=follow_up.owner_id, title=follow_up.title, notes=follow_up.notes,
            due_on=next_due_on(follow_up, done_on=clock.today(actor.tenant)),
            source=follow_up.source, visit_id=follow_up.visit_id, source_ref=follow_up.source_ref,
            recurrence=follow_up.recurrence, recurrence_interval=follow_up.recurrence_interval,
            recurrence_unit=follow_up.recurrence_unit, previous_id=follow_up.pk)
    return follow_up, following


@transaction.atomic
def follow_up_cancel(*, actor: Actor, follow_up: FollowUp, reason: str) -> FollowUp:
    _require_change(actor)
    follow_up = _locked(actor, follow_up)
    errors: Errors = {}
    if follow_up.status != FollowUpStatus.OPEN:
        errors[NON_FIELD_ERRORS] = [_("Only an open follow-up can be cancelled.")]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why it is no longer needed.")]
    if errors:
        raise ValidationError(errors)
    follow_up.status = FollowUpStatus.CANCELLED
    follow_up.cancelled_at = clock.now()
    follow_up.cancelled_by = actor.membership
    follow_up.cancel_reason = reason
    follow_up.save()
    return follow_up


@transaction.atomic
def follow_up_reopen(*, actor: Actor, follow_up: FollowUp) -> FollowUp:
    """Open again a follow-up done or cancelled by mistake (a recurring one's next stays)."""
    _require_change(actor)
    follow_up = _locked(actor, follow_up)
    if follow_up.status == FollowUpStatus.OPEN:
        raise ValidationError({NON_FIELD_ERRORS: [_("This follow-up is open already.")]})
    follow_up.status = FollowUpStatus.OPEN
    follow_up.done_at = follow_up.cancelled_at = None
    follow_up.done_by = follow_up.cancelled_by = None
    follow_up.cancel_reason = ""
    follow_up.save()
    return follow_up


@transaction.atomic
def follow_up_delete(*, actor: Actor, follow_up: FollowUp) -> None:
    _require_change(actor)
    follow_up_visible_queryset(actor=actor).filter(pk=follow_up.pk).delete()


# --- a visit's commitments --------------------------------------------------------------------


def _pk(value: Any) -> int | None:
    return getattr(value, "pk", value) if value is not None else None


def commitment_errors(*, actor: Actor, account_id: int, commitments: list[dict[str, Any]]
                      ) -> Errors:
    """The errors of a report's commitments ({owner, title, due_on} each), named
    ``follow_ups.<index>.<field>``: the follow-up rules (the owner) and what each needs."""
    errors: Errors = {}
    if len(commitments) > MAX_COMMITMENTS:
        errors["follow_ups"] = [_("At most %(max)d commitments per report.")
                                % {"max": MAX_COMMITMENTS}]
        return errors
    checked = follow_up_rules(actor=actor, rows=[
        FollowUpRow(account_id=account_id, owner_id=_pk(c.get("owner"))) for c in commitments])
    for index, (commitment, rules) in enumerate(zip(commitments, checked.errors, strict=True)):
        found: Errors = {name: messages for name, messages in rules.items() if name == "owner"}
        for name in sorted(set(commitment) - set(COMMITMENT_FIELDS)):
            found[name] = [_("This field cannot be set.")]
        if not (commitment.get("title") or "").strip():
            found["title"] = [_("Say what was promised.")]
        if not isinstance(commitment.get("due_on"), datetime.date):
            found["due_on"] = [_("Give the date it is due.")]
        for name, messages in found.items():
            errors[f"follow_ups.{index}.{name}"] = messages
    return errors


def follow_ups_from_commitments(*, actor: Actor, visit: Visit,
                                commitments: list[dict[str, Any]]) -> list[FollowUp]:
    """Our commitments of a visit's report as open follow-ups of its account, from the visit.
    Checked already (``commitment_errors``); one INSERT."""
    return FollowUp.objects.bulk_create([
        FollowUp(tenant_id=visit.tenant_id, account_id=visit.account_id,
                 owner_id=cast(int, _pk(c["owner"])), title=c["title"].strip(), due_on=c["due_on"],
                 source=FollowUpSource.VISIT, visit_id=visit.pk) for c in commitments])


# --- bulk upsert --------------------------------------------------------------------------------

_UPSERT_SQL = """
INSERT INTO visits_followup AS f
    (tenant_id, account_id, owner_id, title, notes, due_on, recurrence, recurrence_interval,
     recurrence_unit, external_id, status, source, source_ref, cancel_reason, created_at,
     updated_at)
VALUES %s
ON CONFLICT (tenant_id, external_id) WHERE external_id <> '' DO UPDATE SET
    account_id = EXCLUDED.account_id, owner_id = EXCLUDED.owner_id, title = EXCLUDED.title,
    notes = EXCLUDED.notes, due_on = EXCLUDED.due_on, recurrence = EXCLUDED.recurrence,
    recurrence_interval = EXCLUDED.recurrence_interval,
    recurrence_unit = EXCLUDED.recurrence_unit, updated_at = EXCLUDED.updated_at,
    overdue_since = CASE WHEN f.due_on = EXCLUDED.due_on THEN f.overdue_since END,
    escalated_on = CASE WHEN f.due_on = EXCLUDED.due_on THEN f.escalated_on END
WHERE (f.account_id, f.owner_id, f.title, f.notes, f.due_on, f.recurrence,
       f.recurrence_interval, f.recurrence_unit)
      IS DISTINCT FROM
      (EXCLUDED.account_id, EXCLUDED.owner_id, EXCLUDED.title, EXCLUDED.notes, EXCLUDED.due_on,
       EXCLUDED.recurrence, EXCLUDED.recurrence_interval, EXCLUDED.recurrence_unit)
RETURNING (xmax = 0) AS inserted
"""
_ROW_TEMPLATE = ("(%s, %s, %s, %s, %s, %s::date, %s, %s, %s, %s, 'open', 'manual', '', '', "
                 "%s::timestamptz, %s::timestamptz)")
# What a bulk row may leave out: a new follow-up gets the default, a stored one keeps its value.
_BULK_OPTIONAL: dict[str, Any] = {"notes": "", "recurrence": Recurrence.NONE,
                                  "recurrence_interval": None, "recurrence_unit": ""}


def follow_up_bulk_upsert(*, actor: Actor, rows: list[dict[str, Any] | None],
                          row_errors: list[Errors] | None = None) -> dict[str, int]:
    """Insert or update up to ``BULK_MAX_ROWS`` follow-ups by ``external_id``, all or nothing:
    the same rules as a single write for every row first (``BulkValidationError`` with the errors
    per row index, nothing written), then one upsert that writes only the rows that differ. New
    ones are open and entered by hand; a stored one keeps its status (done, cancelled: their own
    endpoints). ``rows`` are parsed by the caller (None for a row that did not parse, its errors
    in ``row_errors``); ``account`` and ``owner`` as ids."""
    _require_change(actor)
    if len(rows) > BULK_MAX_ROWS:
        raise BulkValidationError(
            _("Too many rows: at most %(max)d follow-ups per request, got %(n)d.")
            % {"max": BULK_MAX_ROWS, "n": len(rows)}, [])
    tenant = get_current_tenant()
    parsed = [row or {} for row in rows]
    stored = _stored_for_bulk(parsed)
    merged = []
    for given in parsed:
        old = stored.get(given.get("external_id") or "")
        optional = {name: given[name] if name in given else (old[name] if old else default)
                    for name, default in _BULK_OPTIONAL.items()}
        if optional["recurrence"] == Recurrence.NONE:
            optional["recurrence_interval"], optional["recurrence_unit"] = None, ""
        merged.append({**given, **optional})
    checked = follow_up_rules(actor=actor, rows=[FollowUpRow(
        account_id=r.get("account"), owner_id=r.get("owner"), default_owner=True,
        recurrence=r["recurrence"], recurrence_interval=r["recurrence_interval"],
        recurrence_unit=r["recurrence_unit"], external_id=r.get("external_id") or "",
        upsert=True) for r in merged])
    report: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, (row, shape, rules) in enumerate(zip(rows, row_errors or [{} for _r in rows],
                                                    checked.errors, strict=True)):
        errors = dict(shape)
        if row is not None:
            for name, messages in rules.items():
                errors.setdefault(name, messages)
            ext = row.get("external_id") or ""
            if ext in seen:
                errors["external_id"] = [_("Duplicate external ID in this request (also at index "
                                           "%(i)d).") % {"i": seen[ext]}]
            elif ext:
                seen[ext] = index
        if errors:
            report.append({"index": index, "errors": errors})
    if report:
        raise BulkValidationError(
            _("%(n)d of %(total)d rows are invalid; nothing was written.")
            % {"n": len(report), "total": len(rows)}, report)
    if not rows:
        return {"created": 0, "updated": 0, "unchanged": 0}
    now = clock.now()
    records = [(tenant.pk, r["account"], owner, r["title"].strip(), (r["notes"] or "").strip(),
               r["due_on"], r["recurrence"], r["recurrence_interval"], r["recurrence_unit"],
               r["external_id"], now, now)
              for r, owner in zip(merged, checked.owners, strict=True)]
    with transaction.atomic(), connection.cursor() as cursor:
        returned = execute_values(cursor.cursor, _UPSERT_SQL, records, template=_ROW_TEMPLATE,
                                  page_size=500, fetch=True)
    created = sum(1 for (inserted,) in returned if inserted)
    updated = len(returned) - created
    return {"created": created, "updated": updated, "unchanged": len(rows) - created - updated}


def _stored_for_bulk(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The stored follow-ups the rows name by external id (their optional fields). One query."""
    externals = {r["external_id"] for r in rows if r.get("external_id")}
    if not externals:
        return {}
    return {row["external_id"]: row for row in FollowUp.objects.filter(
        external_id__in=value_set(externals)).exclude(external_id="").values(
        "external_id", *_BULK_OPTIONAL)}


# --- the nightly job: overdue follow-ups, and their escalation ---------------------------------------

# Open follow-ups due before the run's day that were not marked yet: overdue since the day after
# their due date. On the partial index of open follow-ups by due date.
_OVERDUE_SQL = """
UPDATE visits_followup AS f
   SET overdue_since = f.due_on + 1, updated_at = %(now)s
  FROM accounts_account AS a
 WHERE f.tenant_id = %(tenant)s AND f.status = %(open)s AND f.due_on < %(today)s
   AND f.overdue_since IS NULL
   AND a.tenant_id = f.tenant_id AND a.id = f.account_id
RETURNING f.id, f.owner_id, f.account_id, a.name, f.title, f.due_on
"""
# Open follow-ups still open the company's number of working days after their due date (due
# before the first of those days counted back from the run's day), not escalated yet.
_ESCALATE_SQL = """
UPDATE visits_followup AS f
   SET escalated_on = %(today)s, updated_at = %(now)s
  FROM accounts_account AS a, kam_membership AS m, auth_user AS u
 WHERE f.tenant_id = %(tenant)s AND f.status = %(open)s AND f.due_on < %(before)s
   AND f.escalated_on IS NULL
   AND a.tenant_id = f.tenant_id AND a.id = f.account_id
   AND m.tenant_id = f.tenant_id AND m.id = f.owner_id AND u.id = m.user_id
RETURNING f.id, f.account_id, a.name, f.title, f.due_on, u.first_name, u.last_name, u.username
"""
_OPEN_PAST_DUE_SQL = """
SELECT count(*) FROM visits_followup
 WHERE tenant_id = %(tenant)s AND status = %(open)s AND due_on < %(today)s
"""


def follow_ups_mark_overdue(*, today: datetime.date, now: datetime.datetime) -> tuple[int, int]:
    """The nightly job's work for the current tenant on ``today``, in two steps, each once per
    follow-up and due date:

    1. open follow-ups due before ``today`` get ``overdue_since`` (the day after their due date)
       and their owner is told;
    2. those still open ``Tenant.follow_up_escalation_working_days`` working days after their due
       date (due before ``working_days_add(today, -N)``) get ``escalated_on`` = ``today`` and the
       company's active executives — the account owner's lead — are told.

    Set-based: a handful of statements whatever the number of follow-ups; a second run finds
    every row marked and tells no one (and each event's key — follow-up, step, due date — is
    recorded once). A follow-up given a new due date is judged afresh. Returns (open follow-ups
    past their due date, follow-ups marked overdue or escalated)."""
    tenant = get_current_tenant()
    days = tenant.follow_up_escalation_working_days
    params: dict[str, Any] = {
        "tenant": tenant.pk, "open": FollowUpStatus.OPEN, "today": today, "now": now,
        "before": working_days_add(today, -days, tenant=tenant)}
    with connection.cursor() as cursor:
        cursor.execute(_OPEN_PAST_DUE_SQL, params)
        examined = int(cursor.fetchone()[0])
        cursor.execute(_OVERDUE_SQL, params)
        overdue = cursor.fetchall()
        cursor.execute(_ESCALATE_SQL, params)
        escalated = cursor.fetchall()
    notify_many(kind=FOLLOW_UP_OVERDUE, occurred_at=now, items=[
        (f"visits.follow-up-overdue:{pk}:{due_on.isoformat()}", [owner_id], {
            "follow_up_id": pk, "account_id": account_id, "account_name": account_name,
            "title": title, "due_on": due_on, "working_days": days})
        for pk, owner_id, account_id, account_name, title, due_on in overdue])
    if escalated:
        executives = list(Membership.objects.filter(role=Role.EXECUTIVE, is_active=True)
                          .values_list("pk", flat=True))
        notify_many(kind=FOLLOW_UP_ESCALATED, occurred_at=now, items=[
            (f"visits.follow-up-escalated:{pk}:{due_on.isoformat()}", executives, {
                "follow_up_id": pk, "account_id": account_id, "account_name": account_name,
                "title": title, "due_on": due_on, "working_days": days,
                "owner_name": name_of(first, last, username)})
            for pk, account_id, account_name, title, due_on, first, last, username in escalated])
    marked = {row[0] for row in overdue} | {row[0] for row in escalated}
    return examined, len(marked)
