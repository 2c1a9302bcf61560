"""Writes of visits: plan, change (a new start of an open visit is a reschedule), cancel with a
reason, complete with a report — our commitments become follow-ups in the same transaction —,
check in from a phone, delete, and the bulk upsert of an integration. Each form has a
validate-only twin (``visit_check``, ``visit_complete_check``) that runs the same rules and writes
nothing.

Who may: those who may change the account (kam.roles ``account.change`` on an account they see:
managers their own and their team's accounts, administrators all, write keys); executives and
read keys only read."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.utils.translation import gettext as _
from psycopg2.extras import execute_values

from accounts.account.models import Account
from accounts.transactions.services import BulkValidationError
from kam import clock
from kam.calendar import working_days_add
from kam.models import Membership
from kam.notify import notify_many
from kam.roles import Actor, Perm
from kam.tenancy import get_current_tenant
from kam.validation import Errors, apply_changes, clean_and_raise
from visits.cadence.services import cadence_visit_changed
from visits.visit.models import Sentiment, Visit, VisitAttendee, VisitContact, VisitStatus
from visits.visit.notifications import VISIT_MISSED
from visits.visit.rules import VisitRow, schedule_change, visit_rules
from visits.visit.selectors import visit_visible_queryset

VISIT_FIELDS = ("account", "level", "channel", "planned_start", "duration_minutes", "location",
                "objective", "owner", "external_id")
# The attendees on both sides: lists of member ids and of contact ids.
VISIT_EDITABLE_FIELDS = (*VISIT_FIELDS, "attendees", "contacts")
REPORT_FIELDS = ("summary", "discussed", "customer_commitments", "sentiment", "next_visit_on")
# A visit further than this from today is a typing mistake (a year 2062 for 2026), not a plan.
START_WITHIN_YEARS = 10
MAX_ACCURACY_M = 100_000
BULK_MAX_ROWS = 1_000


def _require_change(actor: Actor) -> None:
    if not actor.can(Perm.ACCOUNT_CHANGE):
        raise PermissionDenied(_("You may not change visits."))


def _ids(values: Iterable[Any] | None) -> list[int] | None:
    """Member or contact ids from ids or rows (a form's choices), in order, each once."""
    if values is None:
        return None
    return list(dict.fromkeys(v.pk if isinstance(v, models.Model) else v for v in values))


def _locked(actor: Actor, visit: Visit) -> Visit:
    """The visit again, inside the visible set, locked for this transaction: a visit the actor
    cannot see (or no longer exists) is not found."""
    return visit_visible_queryset(actor=actor).select_for_update(of=("self",)).get(pk=visit.pk)


def _start_errors(start: Any, *, today: datetime.date) -> list[str]:
    if not isinstance(start, datetime.datetime):
        return []  # unknown (a field that did not parse), or required: the model's check
    if abs((clock.local_date(start) - today).days) > round(365.25 * START_WITHIN_YEARS):
        return [_("Enter a start within %(years)d years of today.") % {"years": START_WITHIN_YEARS}]
    return []


def _apply(*, actor: Actor, visit: Visit, data: dict[str, Any]
           ) -> tuple[list[int] | None, list[int] | None, dict[int, str]]:
    """Copy ``data`` onto ``visit`` and check every rule; the attendees given on both sides (None:
    unchanged) and the levels the named contacts hold now."""
    attendees = _ids(data.get("attendees")) if "attendees" in data else None
    contacts = _ids(data.get("contacts")) if "contacts" in data else None
    old = (visit.status, visit.reschedule_count, visit.planned_start) if visit.pk else None
    apply_changes(visit, {k: v for k, v in data.items() if k not in ("attendees", "contacts")},
                  editable=VISIT_FIELDS, strip=("location", "objective", "external_id"))
    if old is not None:
        change = schedule_change(status=old[0], reschedule_count=old[1], old_start=old[2],
                                 new_start=visit.planned_start)
        visit.status, visit.reschedule_count = change.status, change.reschedule_count
        if change.clears_missed:
            visit.missed_at = None
    # The visit's rules (visits.visit.rules), the same for the bulk upsert.
    checked = visit_rules(actor=actor, rows=[VisitRow(
        account_id=visit.account_id, owner_id=visit.owner_id, default_owner=visit.pk is None,
        attendee_ids=attendees, contact_ids=contacts, external_id=visit.external_id,
        pk=visit.pk)])
    [errors] = checked.errors
    if visit.owner_id is None and checked.owners[0] is not None:
        visit.owner_id = checked.owners[0]  # one's own visit, unless someone else is named
    if problems := _start_errors(visit.planned_start, today=clock.today(actor.tenant)):
        errors["planned_start"] = problems
    clean_and_raise(visit, errors, skip=["account", "owner"], validate_unique=False,
                    validate_constraints=False)
    return attendees, contacts, checked.contact_levels


def _save_attendees(visit: Visit, attendees: list[int] | None, contacts: list[int] | None,
                    levels: dict[int, str]) -> None:
    """Make the stored attendees those given (None: leave them): rows that go are deleted, new
    ones added, the others stay (their audit trail says who was added when)."""
    if attendees is not None:
        VisitAttendee.objects.filter(visit_id=visit.pk).exclude(membership_id__in=attendees).delete()
        have = set(VisitAttendee.objects.filter(visit_id=visit.pk).values_list("membership_id",
                                                                              flat=True))
        VisitAttendee.objects.bulk_create(
            [VisitAttendee(tenant_id=visit.tenant_id, visit_id=visit.pk, membership_id=m)
             for m in attendees if m not in have])
    if contacts is not None:
        VisitContact.objects.filter(visit_id=visit.pk).exclude(contact_id__in=contacts).delete()
        have = set(VisitContact.objects.filter(visit_id=visit.pk).values_list("contact_id",
                                                                              flat=True))
        VisitContact.objects.bulk_create(
            [VisitContact(tenant_id=visit.tenant_id, visit_id=visit.pk, contact_id=c,
                          level=levels[c]) for c in contacts if c not in have])


@transaction.atomic
def visit_plan(*, actor: Actor, data: dict[str, Any]) -> Visit:
    """A new visit, planned (its start may be in the past: a visit logged after the fact is then
    completed right away, ``visit_complete``)."""
    _require_change(actor)
    visit = Visit(tenant=get_current_tenant())
    attendees, contacts, levels = _apply(actor=actor, visit=visit, data=data)
    visit.save()
    _save_attendees(visit, attendees or [], contacts or [], levels)
    return visit


@transaction.atomic
def visit_update(*, actor: Actor, visit: Visit, data: dict[str, Any]) -> Visit:
    """Change a visit. A new start of a planned or missed visit is a reschedule (counted; a
    missed visit is planned again); the start of a completed or cancelled one is a correction."""
    _require_change(actor)
    visit = _locked(actor, visit)
    attendees, contacts, levels = _apply(actor=actor, visit=visit, data=data)
    visit.save()
    _save_attendees(visit, attendees, contacts, levels)
    cadence_visit_changed(account_id=visit.account_id)
    return visit


def visit_check(*, actor: Actor, data: dict[str, Any], visit: Visit | None = None) -> None:
    """The rules of ``visit_plan`` (``visit`` None) or ``visit_update`` on ``data``, writing
    nothing: ``ValidationError`` with every error. A value None is "unknown" (a page's field
    that did not parse): the null checks name it and the rules that need it skip it."""
    _require_change(actor)
    stored = Visit(tenant=get_current_tenant()) if visit is None else visit_visible_queryset(
        actor=actor).get(pk=visit.pk)
    _apply(actor=actor, visit=stored, data=data)


@transaction.atomic
def visit_reschedule(*, actor: Actor, visit: Visit, planned_start: datetime.datetime,
                     duration_minutes: int | None = None) -> Visit:
    """A new start (and duration) for an open visit."""
    _require_change(actor)
    if not _locked(actor, visit).is_open:
        raise ValidationError({NON_FIELD_ERRORS: [
            _("Only a planned or missed visit can be rescheduled.")]})
    data: dict[str, Any] = {"planned_start": planned_start}
    if duration_minutes is not None:
        data["duration_minutes"] = duration_minutes
    return visit_update(actor=actor, visit=visit, data=data)


@transaction.atomic
def visit_cancel(*, actor: Actor, visit: Visit, reason: str) -> Visit:
    _require_change(actor)
    visit = _locked(actor, visit)
    errors: Errors = {}
    if not visit.is_open:
        errors[NON_FIELD_ERRORS] = [_("Only a planned or missed visit can be cancelled.")]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why the visit is cancelled.")]
    if errors:
        raise ValidationError(errors)
    visit.status = VisitStatus.CANCELLED
    visit.cancel_reason = reason
    visit.cancelled_at = clock.now()
    visit.cancelled_by = actor.membership
    visit.save()
    cadence_visit_changed(account_id=visit.account_id)
    return visit


# --- the report -------------------------------------------------------------------------------


def _checkin_errors(checkin: dict[str, Any] | None) -> list[str]:
    if not checkin:
        return []
    lat, lng, accuracy = (checkin.get("latitude"), checkin.get("longitude"),
                          checkin.get("accuracy_m"))
    ok = (isinstance(lat, Decimal | int | float) and isinstance(lng, Decimal | int | float)
          and -90 <= lat <= 90 and -180 <= lng <= 180
          and (accuracy is None or (isinstance(accuracy, int) and 0 <= accuracy <= MAX_ACCURACY_M)))
    return [] if ok else [_("The location from your phone could not be used; try again or leave "
                            "the check-in out.")]


def _report_errors(*, actor: Actor, visit: Visit, report: dict[str, Any],
                   commitments: list[dict[str, Any]], checkin: dict[str, Any] | None) -> Errors:
    from visits.followups.services import commitment_errors

    errors: Errors = {}
    if visit.status == VisitStatus.COMPLETED:
        errors[NON_FIELD_ERRORS] = [_("This visit has been reported already.")]
    elif visit.status == VisitStatus.CANCELLED:
        errors[NON_FIELD_ERRORS] = [_("A cancelled visit cannot be reported.")]
    elif clock.local_date(visit.planned_start) > clock.today(actor.tenant):
        errors[NON_FIELD_ERRORS] = [_("A visit can be reported from its day on. If it took place "
                                      "earlier, reschedule it to that day first.")]
    unknown = set(report) - set(REPORT_FIELDS)
    for name in sorted(unknown):
        errors[name] = [_("This field cannot be set.")]
    if not (report.get("summary") or "").strip():
        errors["summary"] = [_("This field is required.")]
    if report.get("sentiment") not in Sentiment.values:
        errors["sentiment"] = [_("Say how the customer felt about the visit.")]
    proposed = report.get("next_visit_on")
    if isinstance(proposed, datetime.date) and proposed <= clock.local_date(visit.planned_start):
        errors["next_visit_on"] = [_("The next visit must come after this one.")]
    if problems := _checkin_errors(checkin):
        errors.setdefault(NON_FIELD_ERRORS, []).extend(problems)
    errors.update(commitment_errors(actor=actor, account_id=visit.account_id,
                                    commitments=commitments))
    return errors


@transaction.atomic
def visit_complete(*, actor: Actor, visit: Visit, report: dict[str, Any],
                   commitments: list[dict[str, Any]] | None = None,
                   checkin: dict[str, Any] | None = None) -> Visit:
    """The report of a planned or missed visit (once): summary, what was discussed, the
    customer's commitments, sentiment, the next visit proposed. Each of our commitments
    ({owner, title, due_on}) becomes a follow-up of the account, from this visit, in the same
    transaction; the optional check-in ({latitude, longitude, accuracy_m}) is recorded with it.
    Errors of the commitments are named ``follow_ups.<index>.<field>``."""
    from visits.followups.services import follow_ups_from_commitments

    _require_change(actor)
    visit = _locked(actor, visit)
    commitments = commitments or []
    errors = _report_errors(actor=actor, visit=visit, report=report, commitments=commitments,
                            checkin=checkin)
    if errors:
        raise ValidationError(errors)
    for name in REPORT_FIELDS:
        value = report.get(name)
        setattr(visit, name, value if name == "next_visit_on" else (value or "").strip())
    visit.status = VisitStatus.COMPLETED
    visit.completed_at = clock.now()
    visit.completed_by = actor.membership
    visit.missed_at = None
    if checkin:
        _set_checkin(visit, checkin)
    visit.save()
    follow_ups_from_commitments(actor=actor, visit=visit, commitments=commitments)
    cadence_visit_changed(account_id=visit.account_id)
    return visit


def visit_complete_check(*, actor: Actor, visit: Visit, report: dict[str, Any],
                         commitments: list[dict[str, Any]] | None = None,
                         checkin: dict[str, Any] | None = None) -> None:
    """The rules of ``visit_complete``, writing nothing."""
    _require_change(actor)
    stored = visit_visible_queryset(actor=actor).get(pk=visit.pk)
    errors = _report_errors(actor=actor, visit=stored, report=report,
                            commitments=commitments or [], checkin=checkin)
    if errors:
        raise ValidationError(errors)


def _set_checkin(visit: Visit, checkin: dict[str, Any]) -> None:
    visit.checkin_latitude = Decimal(str(checkin["latitude"])).quantize(Decimal("0.000001"))
    visit.checkin_longitude = Decimal(str(checkin["longitude"])).quantize(Decimal("0.000001"))
    visit.checkin_accuracy_m = checkin.get("accuracy_m")
    visit.checked_in_at = clock.now()


@transaction.atomic
def visit_check_in(*, actor: Actor, visit: Visit, latitude: Decimal, longitude: Decimal,
                   accuracy_m: int | None = None) -> Visit:
    """Record where the phone was at a planned or missed visit, and how sure it was (a second
    check-in replaces the first). The browser sends it only if the user allowed it."""
    _require_change(actor)
    visit = _locked(actor, visit)
    checkin = {"latitude": latitude, "longitude": longitude, "accuracy_m": accuracy_m}
    errors: Errors = {}
    if not visit.is_open:
        errors[NON_FIELD_ERRORS] = [_("Only a planned or missed visit can be checked in to.")]
    if problems := _checkin_errors(checkin):
        errors.setdefault(NON_FIELD_ERRORS, []).extend(problems)
    if errors:
        raise ValidationError(errors)
    _set_checkin(visit, checkin)
    visit.save()
    return visit


@transaction.atomic
def visit_delete(*, actor: Actor, visit: Visit) -> None:
    """Delete a visit entered by mistake (its follow-ups stay, without it)."""
    _require_change(actor)
    visit_visible_queryset(actor=actor).filter(pk=visit.pk).delete()


# --- bulk upsert ----------------------------------------------------------------------------------

_UPSERT_SQL = """
INSERT INTO visits_visit AS v
    (tenant_id, account_id, level, channel, planned_start, duration_minutes, location, objective,
     owner_id, status, reschedule_count, missed_at, external_id, cancel_reason, summary, discussed,
     customer_commitments, sentiment, created_at, updated_at)
VALUES %s
ON CONFLICT (tenant_id, external_id) WHERE external_id <> '' DO UPDATE SET
    account_id = EXCLUDED.account_id, level = EXCLUDED.level, channel = EXCLUDED.channel,
    planned_start = EXCLUDED.planned_start, duration_minutes = EXCLUDED.duration_minutes,
    location = EXCLUDED.location, objective = EXCLUDED.objective, owner_id = EXCLUDED.owner_id,
    status = EXCLUDED.status, reschedule_count = EXCLUDED.reschedule_count,
    missed_at = EXCLUDED.missed_at, updated_at = EXCLUDED.updated_at
RETURNING v.id, v.external_id
"""
_ROW_TEMPLATE = ("(%s, %s, %s, %s, %s::timestamptz, %s, %s, %s, %s, %s, %s, %s::timestamptz, %s, "
                 "'', '', '', '', '', %s::timestamptz, %s::timestamptz)")
# The attendees of the visits written: those not named any more go, the new ones come.
_SYNC_ATTENDEES_SQL = """
WITH wanted(visit_id, membership_id) AS (SELECT * FROM unnest(%(visits)s::bigint[], %(members)s::bigint[])),
gone AS (
    DELETE FROM visits_visitattendee a WHERE a.tenant_id = %(tenant)s
       AND a.visit_id = ANY(%(written)s::bigint[])
       AND (a.visit_id, a.membership_id) NOT IN (SELECT visit_id, membership_id FROM wanted))
INSERT INTO visits_visitattendee (tenant_id, visit_id, membership_id)
SELECT %(tenant)s, visit_id, membership_id FROM wanted
ON CONFLICT (tenant_id, visit_id, membership_id) DO NOTHING
"""
_SYNC_CONTACTS_SQL = """
WITH wanted(visit_id, contact_id) AS (SELECT * FROM unnest(%(visits)s::bigint[], %(contacts)s::bigint[])),
gone AS (
    DELETE FROM visits_visitcontact c WHERE c.tenant_id = %(tenant)s
       AND c.visit_id = ANY(%(written)s::bigint[])
       AND (c.visit_id, c.contact_id) NOT IN (SELECT visit_id, contact_id FROM wanted))
INSERT INTO visits_visitcontact (tenant_id, visit_id, contact_id, level)
SELECT %(tenant)s, w.visit_id, w.contact_id, k.level FROM wanted w
  JOIN accounts_contact k ON k.tenant_id = %(tenant)s AND k.id = w.contact_id
ON CONFLICT (tenant_id, visit_id, contact_id) DO NOTHING
"""


def _stored_for_bulk(pks: set[int]) -> dict[int, dict[str, Any]]:
    """The stored visits the rows name, locked, with their attendees: three queries."""
    if not pks:
        return {}
    stored = {row["pk"]: {**row, "attendees": set(), "contacts": set()}
              for row in Visit.objects.filter(pk__in=pks).select_for_update().values(
                  "pk", "account_id", "level", "channel", "planned_start", "duration_minutes",
                  "location", "objective", "owner_id", "status", "reschedule_count", "missed_at")}
    for visit_id, member in VisitAttendee.objects.filter(visit_id__in=pks).values_list(
            "visit_id", "membership_id"):
        stored[visit_id]["attendees"].add(member)
    for visit_id, contact in VisitContact.objects.filter(visit_id__in=pks).values_list(
            "visit_id", "contact_id"):
        stored[visit_id]["contacts"].add(contact)
    return stored


def visit_bulk_upsert(*, actor: Actor, rows: list[dict[str, Any] | None],
                      row_errors: list[Errors] | None = None) -> dict[str, int]:
    """Insert or update up to ``BULK_MAX_ROWS`` visits by ``external_id``, all or nothing.

    ``rows`` are parsed by the caller (the API's row serializer): ``account`` and ``owner`` as
    ids, ``attendees``/``contacts`` as id lists (absent: an update keeps them), None for a row
    that did not parse, whose errors are in ``row_errors``. The visit's rules (``visit_rules``,
    as a single write) check every row at once; any error raises ``BulkValidationError`` with the
    errors per row index and nothing is written. A new start of an open visit is a reschedule
    (``schedule_change``, as a single write). Then one upsert of the visits that change and one
    statement per side of attendees. Rows equal to what is stored count as unchanged."""
    _require_change(actor)
    if len(rows) > BULK_MAX_ROWS:
        raise BulkValidationError(
            _("Too many rows: at most %(max)d visits per request, got %(n)d.")
            % {"max": BULK_MAX_ROWS, "n": len(rows)}, [])
    tenant = get_current_tenant()
    today = clock.today(tenant)
    errors_in: list[Errors] = row_errors or [{} for _row in rows]
    parsed = [row or {} for row in rows]
    checked = visit_rules(actor=actor, rows=[VisitRow(
        account_id=r.get("account"), owner_id=r.get("owner"), default_owner=True,
        attendee_ids=_ids(r.get("attendees")), contact_ids=_ids(r.get("contacts")),
        external_id=r.get("external_id") or "", upsert=True) for r in parsed])
    report: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, (row, shape, rules) in enumerate(zip(rows, errors_in, checked.errors, strict=True)):
        errors = dict(shape)
        if row is not None:
            for name, messages in rules.items():
                errors.setdefault(name, messages)
            if problems := _start_errors(row.get("planned_start"), today=today):
                errors.setdefault("planned_start", problems)
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
    with transaction.atomic():
        return _bulk_write(tenant_id=tenant.pk, rows=cast(list[dict[str, Any]], rows),
                           owners=cast(list[int], checked.owners), stored_ids=checked.stored)


# What a bulk row may leave out: a new visit gets the default, a stored one keeps its value.
_BULK_OPTIONAL = {"channel": "on_site", "duration_minutes": 60, "location": ""}


def _bulk_write(*, tenant_id: int, rows: list[dict[str, Any]], owners: list[int],
                stored_ids: dict[str, int]) -> dict[str, int]:
    stored = _stored_for_bulk(set(stored_ids.values()))
    now = clock.now()
    values: list[tuple[Any, ...]] = []
    wanted: list[tuple[str, list[int] | None, list[int] | None]] = []
    created = updated = 0
    for row, owner in zip(rows, owners, strict=True):
        old = stored.get(stored_ids.get(row["external_id"], 0))
        new = {"account_id": row["account"], "owner_id": owner, "level": row["level"],
               "planned_start": row["planned_start"], "objective": row["objective"].strip()}
        for name, default in _BULK_OPTIONAL.items():
            new[name] = row[name] if name in row else (old[name] if old else default)
        new["location"] = (new["location"] or "").strip()
        if old is None:
            new.update(status=VisitStatus.PLANNED, reschedule_count=0, missed_at=None)
        else:
            change = schedule_change(status=old["status"], reschedule_count=old["reschedule_count"],
                                     old_start=old["planned_start"], new_start=new["planned_start"])
            new.update(status=change.status, reschedule_count=change.reschedule_count,
                       missed_at=None if change.clears_missed else old["missed_at"])
        attendees = _ids(row.get("attendees"))
        contacts = _ids(row.get("contacts"))
        same = old is not None and all(old[k] == v for k, v in new.items()) and (
            attendees is None or set(attendees) == old["attendees"]) and (
            contacts is None or set(contacts) == old["contacts"])
        if same:
            continue
        created, updated = created + (old is None), updated + (old is not None)
        values.append((tenant_id, new["account_id"], new["level"], new["channel"],
                       new["planned_start"], new["duration_minutes"], new["location"],
                       new["objective"], new["owner_id"], new["status"], new["reschedule_count"],
                       new["missed_at"], row["external_id"], now, now))
        wanted.append((row["external_id"], attendees, contacts))
    if values:
        with connection.cursor() as cursor:
            written = dict((ext, pk) for pk, ext in execute_values(
                cursor.cursor, _UPSERT_SQL, values, template=_ROW_TEMPLATE, page_size=500,
                fetch=True))
            for sql, key, sides in ((_SYNC_ATTENDEES_SQL, "members", [(w[0], w[1]) for w in wanted]),
                                    (_SYNC_CONTACTS_SQL, "contacts", [(w[0], w[2]) for w in wanted])):
                given = [(written[ext], items) for ext, items in sides if items is not None]
                if given:
                    pairs = [(visit_id, item) for visit_id, items in given for item in items]
                    cursor.execute(sql, {"tenant": tenant_id, "written": [v for v, _i in given],
                                         "visits": [v for v, _i in pairs],
                                         key: [i for _v, i in pairs]})
    return {"created": created, "updated": updated, "unchanged": len(rows) - created - updated}


def account_of(visit: Visit) -> Account:
    # cast: the stubs' plugin leaves a TenantForeignKeyField's descriptor type unresolved.
    return cast(Account, visit.account)


def owner_of(visit: Visit) -> Membership:
    return cast(Membership, visit.owner)


# --- the nightly job: planned visits without a report become missed ---------------------------------

# Planned visits whose start is before the first moment of the grace period's first day (the
# company's midnight): set-based, on the partial index of planned visits by start. A second run
# finds them missed already and changes nothing.
_MISS_SQL = """
UPDATE visits_visit AS v
   SET status = %(missed)s, missed_at = %(now)s, updated_at = %(now)s
  FROM accounts_account AS a
 WHERE v.tenant_id = %(tenant)s AND v.status = %(planned)s AND v.planned_start < %(before)s
   AND a.tenant_id = v.tenant_id AND a.id = v.account_id
RETURNING v.id, v.owner_id, v.account_id, a.name, v.level, v.objective, v.planned_start,
          v.reschedule_count
"""
# What the run looked at: planned visits whose day is over (before the run's day).
_PAST_PLANNED_SQL = """
SELECT count(*) FROM visits_visit
 WHERE tenant_id = %(tenant)s AND status = %(planned)s AND planned_start < %(today)s
"""


def visits_mark_missed(*, today: datetime.date, now: datetime.datetime) -> tuple[int, int]:
    """The nightly job's work for the current tenant on ``today``: every planned visit whose day
    (the company's date of its start) is before ``working_days_add(today, -grace)`` — more than
    the company's grace period of working days ago (``Tenant.visit_grace_working_days``) — is
    marked missed (``missed_at`` = ``now``), and its owner told once (an event per visit and
    schedule: a visit rescheduled and missed again tells them again). Three statements whatever
    the number of visits. Returns (planned visits whose day is over, visits marked missed)."""
    tenant = get_current_tenant()
    grace = tenant.visit_grace_working_days
    first_day_of_grace = working_days_add(today, -grace, tenant=tenant)
    params: dict[str, Any] = {
        "tenant": tenant.pk, "planned": VisitStatus.PLANNED, "missed": VisitStatus.MISSED,
        "now": now, "before": clock.day_start(first_day_of_grace, tenant),
        "today": clock.day_start(today, tenant)}
    with connection.cursor() as cursor:
        cursor.execute(_PAST_PLANNED_SQL, params)
        examined = int(cursor.fetchone()[0])
        cursor.execute(_MISS_SQL, params)
        missed = cursor.fetchall()
    notify_many(kind=VISIT_MISSED, occurred_at=now, items=[
        (f"visits.visit-missed:{pk}:{reschedules}", [owner_id], {
            "visit_id": pk, "account_id": account_id, "account_name": account_name,
            "level": level, "objective": objective, "grace": grace,
            "day": clock.local_date(start, tenant).isoformat()})
        for pk, owner_id, account_id, account_name, level, objective, start, reschedules
        in missed])
    return examined, len(missed)
