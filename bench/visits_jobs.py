"""Issue 13's nightly jobs — visits_missed, follow_ups_overdue, cadence and care_reminders —
each run per company through ``kam.jobs.run_job`` against one hand-written statement for all
the companies, measured in the same run; and the night (the four added up) against the floors
added up.

    export KAM_STATE_DIR=$PWD/.kam/bench13
    .venv/bin/python bench/visits_jobs.py [--tenants 200] [--runs 1]

Data (bench/visits_data.py, generated once): ``--tenants`` companies × 1,000 accounts, 5 visits
and 2 follow-ups per account, 2 contacts per account with birthdays (solar and lunar), one
contract per account. The issue's scale is 1,000 companies (5M visits, 2M follow-ups);
every job is one set of statements per company, so its time grows with the number of companies
(and the floor's with the rows): the ratio is what carries over.

Per job and state, ``--runs`` times (median):

* **job**: a child process runs ``run_job(job, company)`` for every company in turn (the real
  path: JobRun rows, the advisory lock, RLS, the job's statements, its notifications), and
  reports its time and its peak RSS (``ru_maxrss``) after 10 companies and after all of them;
* **floor**: one hand-written statement for all the companies doing the same work, as the owner
  with row-level security not forced, rolled back, the deferred FK checks a commit would run
  timed in (``SET CONSTRAINTS ALL IMMEDIATE``). visits_missed: the UPDATE of the planned visits
  past the grace period, their events and their owners' notifications (writable CTEs);
  follow_ups_overdue: one UPDATE marking overdue and escalated, the events of both and the
  notifications (owners; the executives for escalations); cadence: bench/cadence.py's statement
  (every company's rows into a temp table; and, for the first run, inserted into the table);
  care_reminders: one INSERT of the birthdays (solar and lunar), festivals and contract
  anniversaries falling in their lead windows ON CONFLICT DO NOTHING, the new reminders' events
  and their owners' notifications (writable CTEs), the job's window lists computed once in
  Python (care.calendar, care.services.festival_occurrences) and passed as arrays, as the job
  passes them (every bench company has the same settings, language and festivals: checked).

Two states: **first run** (the visits and follow-ups the jobs mark put back as generated, their
events deleted, the cadence rows and care reminders deleted) and **steady state** (the same jobs
again the same day: nothing to change). The floor runs first on the same state as the job, and
the rows it changed (visit ids, follow-up ids, reminders — contact or contract, occasion,
festival, day, year —, the numbers of events and notifications; cadence: every row) are compared
with what the job changed: expected equal. Target (issue 13): job ≤ 1.5× floor, per job and for
the night (the four jobs' seconds added up against their floors').
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from common import load_average, median, print_table, setup_django, vacuum_analyze

TARGET = 1.5
EARLY = 10  # peak RSS after this many companies, and after all of them
JOBS = ("visits_missed", "follow_ups_overdue", "cadence", "care_reminders")
WRITE_TABLES = ["visits_visit", "visits_followup", "kam_event", "kam_notification",
                "visits_cadencestatus", "care_carereminder", "kam_jobrun"]
# What the floors read and write: row-level security is not forced on these in their transaction
# (the audit triggers stay on: the jobs' updates and inserts record their history rows too).
FLOOR_TABLES = ["accounts_account", "accounts_contact", "accounts_contract", "visits_visit",
                "visits_followup", "kam_event", "kam_notification", "kam_membership",
                "kam_notificationsettings", "visits_visitevent", "visits_followupevent",
                "care_carereminder", "care_carereminderevent", "care_festival"]

_NOTIFY = """
INSERT INTO kam_notification (tenant_id, event_id, recipient_id, created_at, read_at, email_state,
                              email_at, email_error)
SELECT ev.tenant_id, ev.id, m.id, %(now)s, NULL,
       CASE WHEN u.email = '' OR COALESCE(s.email, %(default)s) = 'never' THEN 'not_wanted'
            WHEN COALESCE(s.email, %(default)s) = 'immediately' THEN 'pending'
            ELSE 'for_digest' END, %(now)s, ''
  FROM ev JOIN changed c ON c.tenant_id = ev.tenant_id AND c.key = ev.key
  JOIN kam_membership m ON m.tenant_id = ev.tenant_id AND m.is_active AND {recipient}
  JOIN auth_user u ON u.id = m.user_id AND u.is_active
  LEFT JOIN kam_notificationsettings s ON s.tenant_id = m.tenant_id AND s.membership_id = m.id
    ON CONFLICT (tenant_id, event_id, recipient_id) DO NOTHING"""

MISSED_FLOOR_SQL = """
WITH missed AS (
    UPDATE visits_visit AS v
       SET status = 'missed', missed_at = %(now)s, updated_at = %(now)s
      FROM accounts_account AS a
     WHERE v.tenant_id = ANY(%(tenants)s) AND v.status = 'planned'
       AND v.planned_start < %(before)s
       AND a.tenant_id = v.tenant_id AND a.id = v.account_id
    RETURNING v.tenant_id, v.id, v.owner_id, v.account_id, a.name, v.level, v.objective,
              v.planned_start, v.reschedule_count
),
changed AS (
    SELECT missed.*, 'visits.visit-missed:' || id || ':' || reschedule_count AS key FROM missed
),
ev AS (
    INSERT INTO kam_event (tenant_id, kind, key, subject, data, occurred_at, created_at)
    SELECT tenant_id, 'visits.visit_missed', key, 'visits.visit:' || id,
           jsonb_build_object('visit_id', id, 'account_id', account_id, 'account_name', name,
                              'level', level, 'objective', objective, 'grace', %(grace)s,
                              'day', (planned_start AT TIME ZONE %(tz)s)::date::text),
           %(now)s, %(now)s
      FROM changed
        ON CONFLICT (tenant_id, key) DO NOTHING
    RETURNING tenant_id, id, key
)""" + _NOTIFY.format(recipient="m.id = c.owner_id")  # noqa: S608

_TO_OWNER_OR_EXECUTIVES = "CASE WHEN c.executives THEN m.role = 'executive' ELSE m.id = c.owner_id END"
OVERDUE_FLOOR_SQL = """
WITH due AS (
    SELECT f.tenant_id, f.id, f.overdue_since IS NULL AS to_overdue,
           f.escalated_on IS NULL AND f.due_on < %(before)s AS to_escalate
      FROM visits_followup f
     WHERE f.tenant_id = ANY(%(tenants)s) AND f.status = 'open' AND f.due_on < %(today)s
       AND (f.overdue_since IS NULL OR (f.escalated_on IS NULL AND f.due_on < %(before)s))
),
marked AS (
    UPDATE visits_followup AS f
       SET overdue_since = CASE WHEN due.to_overdue THEN f.due_on + 1 ELSE f.overdue_since END,
           escalated_on = CASE WHEN due.to_escalate THEN %(today)s ELSE f.escalated_on END,
           updated_at = %(now)s
      FROM due, accounts_account AS a, kam_membership AS om, auth_user AS ou
     WHERE f.tenant_id = due.tenant_id AND f.id = due.id
       AND a.tenant_id = f.tenant_id AND a.id = f.account_id
       AND om.tenant_id = f.tenant_id AND om.id = f.owner_id AND ou.id = om.user_id
    RETURNING f.tenant_id, f.id, f.owner_id, f.account_id, a.name, f.title, f.due_on,
              due.to_overdue, due.to_escalate, ou.first_name, ou.last_name, ou.username
),
changed AS (
    SELECT marked.*, 'overdue' AS step, FALSE AS executives,
           'visits.follow-up-overdue:' || id || ':' || due_on AS key
      FROM marked WHERE to_overdue
    UNION ALL
    SELECT marked.*, 'escalated', TRUE,
           'visits.follow-up-escalated:' || id || ':' || due_on
      FROM marked WHERE to_escalate
),
ev AS (
    INSERT INTO kam_event (tenant_id, kind, key, subject, data, occurred_at, created_at)
    SELECT tenant_id, CASE WHEN executives THEN 'visits.follow_up_escalated'
                           ELSE 'visits.follow_up_overdue' END,
           key, 'visits.followup:' || id,
           jsonb_build_object('follow_up_id', id, 'account_id', account_id, 'account_name', name,
                              'title', title, 'due_on', due_on::text, 'working_days', %(days)s)
           || CASE WHEN executives THEN jsonb_build_object(
                  'owner_name', COALESCE(NULLIF(btrim(last_name || first_name), ''), username))
                   ELSE '{}'::jsonb END,
           %(now)s, %(now)s
      FROM changed
        ON CONFLICT (tenant_id, key) DO NOTHING
    RETURNING tenant_id, id, key
)""" + _NOTIFY.format(recipient=_TO_OWNER_OR_EXECUTIVES)  # noqa: S608

# care_reminders: the job's three INSERTs (care/sql.py: birthdays solar and lunar, festivals,
# contract anniversaries) as one INSERT of their UNION ALL for every company, ON CONFLICT DO
# NOTHING; then, for the new reminders, notify_new_reminders' events (key care-reminder:<id>, its
# data) and the owners' notifications. The window lists are the job's, computed once in Python
# (every bench company has the same calendar, settings and festivals: checked); a company's own
# festival is passed by name (unique per company) and found in each company's list.
_CARED_FOR = """
  JOIN accounts_account a ON a.tenant_id = c.tenant_id AND a.id = c.account_id
                         AND a.owner_id IS NOT NULL
 WHERE c.tenant_id = ANY(%(tenants)s) AND c.is_active AND NOT c.care_opt_out"""
CARE_FLOOR_SQL = """
WITH new AS (
    INSERT INTO care_carereminder (tenant_id, account_id, contact_id, contract_id, occasion,
                                   festival_id, occurs_on, year, owner_id, status, created_at,
                                   updated_at)
    SELECT c.tenant_id, c.account_id, c.id, NULL::bigint, 'birthday', NULL::bigint, w.on_day,
           w.year, a.owner_id, 'open', %(now)s, %(now)s
      FROM unnest(%(b_months)s::int[], %(b_days)s::int[], %(b_lunar)s::bool[], %(b_leap)s::int[],
                  %(b_on)s::date[], %(b_years)s::int[]) AS w(month, day, lunar, leap, on_day, year)
      JOIN accounts_contact c ON c.tenant_id = ANY(%(tenants)s) AND c.birthday IS NOT NULL
                             AND EXTRACT(MONTH FROM c.birthday) = w.month
                             AND EXTRACT(DAY FROM c.birthday) = w.day
                             AND c.birthday_is_lunar = w.lunar
                             AND (w.leap IS NULL OR c.birthday_lunar_leap = (w.leap = 1))""" \
    + _CARED_FOR + """
    UNION ALL
    SELECT c.tenant_id, c.account_id, c.id, NULL, w.occasion, f.id, w.on_day, w.year,
           a.owner_id, 'open', %(now)s, %(now)s
      FROM unnest(%(f_occasions)s::varchar[], %(f_names)s::varchar[], %(f_on)s::date[],
                  %(f_years)s::int[], %(f_chinese)s::bool[])
           AS w(occasion, name, on_day, year, chinese)
     CROSS JOIN accounts_contact c
      LEFT JOIN care_festival f ON w.name IS NOT NULL AND f.tenant_id = c.tenant_id
                               AND f.name = w.name AND f.is_active""" + _CARED_FOR + """
       AND (w.name IS NULL OR f.id IS NOT NULL)
       AND w.chinese = (a.language = 'zh' OR (a.language = '' AND %(company_chinese)s))
    UNION ALL
    SELECT k.tenant_id, k.account_id, NULL, k.id, 'anniversary', NULL, w.on_day, w.year,
           a.owner_id, 'open', %(now)s, %(now)s
      FROM unnest(%(a_months)s::int[], %(a_days)s::int[], %(a_on)s::date[], %(a_years)s::int[])
           AS w(month, day, on_day, year)
      JOIN accounts_contract k ON k.tenant_id = ANY(%(tenants)s) AND k.status = 'active'
                              AND EXTRACT(MONTH FROM k.start_date) = w.month
                              AND EXTRACT(DAY FROM k.start_date) = w.day
                              AND EXTRACT(YEAR FROM k.start_date) < w.year
      JOIN accounts_account a ON a.tenant_id = k.tenant_id AND a.id = k.account_id
                             AND a.owner_id IS NOT NULL
        ON CONFLICT DO NOTHING
    RETURNING id, tenant_id, account_id, contact_id, contract_id, occasion, festival_id,
              occurs_on, owner_id
),
changed AS (
    SELECT new.tenant_id, new.id, new.owner_id, 'care-reminder:' || new.id AS key,
           jsonb_build_object('reminder_id', new.id, 'account_id', new.account_id,
                              'account_name', a.name,
                              'person', COALESCE(c.name, k.number, ''),
                              'occasion', new.occasion, 'festival_name', COALESCE(f.name, ''),
                              'lunar', COALESCE(c.birthday_is_lunar, false),
                              'on', new.occurs_on::text) AS data
      FROM new
      JOIN accounts_account a ON a.tenant_id = new.tenant_id AND a.id = new.account_id
      LEFT JOIN accounts_contact c ON c.tenant_id = new.tenant_id AND c.id = new.contact_id
      LEFT JOIN accounts_contract k ON k.tenant_id = new.tenant_id AND k.id = new.contract_id
      LEFT JOIN care_festival f ON f.tenant_id = new.tenant_id AND f.id = new.festival_id
),
ev AS (
    INSERT INTO kam_event (tenant_id, kind, key, subject, data, occurred_at, created_at)
    SELECT tenant_id, 'care.reminder', key, 'care.carereminder:' || id, data, %(now)s, %(now)s
      FROM changed
        ON CONFLICT (tenant_id, key) DO NOTHING
    RETURNING tenant_id, id, key
)""" + _NOTIFY.format(recipient="m.id = c.owner_id")  # noqa: S608

# What a run changed, read afterwards (the job's) or inside the rolled-back transaction (the
# floor's): ids of the rows marked, events and notifications of the job's kinds.
CHANGED_SQL = {
    "visits_missed": """
        SELECT 'visit', tenant_id, id FROM visits_visit
         WHERE tenant_id = ANY(%(tenants)s) AND status = 'missed' AND updated_at > created_at""",
    "follow_ups_overdue": """
        SELECT CASE WHEN escalated_on IS NULL THEN 'overdue' ELSE 'escalated' END, tenant_id, id
          FROM visits_followup
         WHERE tenant_id = ANY(%(tenants)s) AND updated_at > created_at""",
    # Every reminder of the companies (contact or contract, occasion, festival, day, year): the
    # reset deletes them all, so these are the ones the floor or the job made.
    "care_reminders": """
        SELECT occasion, tenant_id, COALESCE(contact_id, 0), COALESCE(contract_id, 0),
               COALESCE(festival_id, 0), occurs_on, year
          FROM care_carereminder WHERE tenant_id = ANY(%(tenants)s)""",
}
EVENTS_SQL = """
    SELECT count(*), (SELECT count(*) FROM kam_notification n
                       WHERE n.tenant_id = ANY(%(tenants)s) AND n.event_id IN (
                             SELECT id FROM kam_event e WHERE e.tenant_id = ANY(%(tenants)s)
                                AND e.kind = ANY(%(kinds)s)))
      FROM kam_event WHERE tenant_id = ANY(%(tenants)s) AND kind = ANY(%(kinds)s)"""
KINDS = {"visits_missed": ["visits.visit_missed"],
         "follow_ups_overdue": ["visits.follow_up_overdue", "visits.follow_up_escalated"],
         "care_reminders": ["care.reminder"]}

RESET_SQL = """
DELETE FROM kam_notification n USING kam_event e
 WHERE n.tenant_id = ANY(%(tenants)s) AND e.tenant_id = n.tenant_id AND e.id = n.event_id
   AND e.kind = ANY(%(kinds)s);
DELETE FROM kam_event WHERE tenant_id = ANY(%(tenants)s) AND kind = ANY(%(kinds)s);
UPDATE visits_visit SET status = 'planned', missed_at = NULL, updated_at = created_at
 WHERE tenant_id = ANY(%(tenants)s) AND updated_at > created_at;
UPDATE visits_followup SET overdue_since = NULL, escalated_on = NULL, updated_at = created_at
 WHERE tenant_id = ANY(%(tenants)s) AND updated_at > created_at;
DELETE FROM visits_cadencestatus WHERE tenant_id = ANY(%(tenants)s);
DELETE FROM care_carereminder WHERE tenant_id = ANY(%(tenants)s)
"""


# --- helpers ---------------------------------------------------------------------------------------


def _params(tenants: list) -> dict:
    """The floors' parameters: the companies' working-day cut-offs as literals (every bench
    company has the same calendar, zone and settings; checked)."""
    from django.utils import timezone

    from kam import clock
    from kam.calendar import working_days_add
    from kam.notify_models import NotificationSettings

    first = tenants[0]
    for tenant in tenants:
        assert (tenant.time_zone, tenant.visit_grace_working_days,
                tenant.follow_up_escalation_working_days) == (
            first.time_zone, first.visit_grace_working_days,
            first.follow_up_escalation_working_days), "the floor needs one calendar"
    today = clock.today(first)
    grace, days = first.visit_grace_working_days, first.follow_up_escalation_working_days
    return {"tenants": [t.pk for t in tenants], "today": today, "tz": first.time_zone,
            "now": timezone.now(), "grace": grace, "days": days,
            "visit_before": clock.day_start(working_days_add(today, -grace, tenant=first), first),
            "follow_up_before": working_days_add(today, -days, tenant=first),
            "default": NotificationSettings._meta.get_field("email").default}


def _care_params(tenants: list, today) -> dict:
    """care_reminders' floor parameters: the job's window lists (care_reminders_generate's, for
    the first company: birthdays solar and lunar, festivals, anniversaries) as arrays; every
    bench company must have the same care settings, default language and active festivals
    (checked), so one list serves all."""
    import datetime

    from django.db import connection

    from care.calendar import lunar_hits, solar_hits
    from care.models import Festival
    from care.selectors import care_settings
    from care.services import festival_occurrences
    from kam.tenancy import system_read, tenant_context

    first, ids = tenants[0], [t.pk for t in tenants]
    assert all(t.default_language == first.default_language for t in tenants), \
        "the floor needs one default language"
    with system_read("bench/visits_jobs: the companies' care settings"), \
            connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(DISTINCT (birthday_lead_days, "
                       "anniversary_lead_days)) FROM care_caresettings WHERE tenant_id = ANY(%s)",
                       [ids])
        rows, kinds = cursor.fetchone()
        assert rows == 0 or (rows == len(ids) and kinds == 1), "the floor needs one lead time"
        cursor.execute("SELECT tenant_id, array_agg(array[name, calendar, month::text, day::text, "
                       "lead_days::text] ORDER BY name) FROM care_festival "
                       "WHERE is_active AND tenant_id = ANY(%s) GROUP BY 1", [ids])
        lists = {tenant_id: str(festivals) for tenant_id, festivals in cursor.fetchall()}
        assert not lists or (len(lists) == len(ids) and len(set(lists.values())) == 1), \
            "the floor needs one festival list"
    with tenant_context(first):
        leads = care_settings()
        festivals = festival_occurrences(today=today)
        names = dict(Festival.objects.values_list("pk", "name"))
    end = today + datetime.timedelta(days=leads.birthday_lead_days)
    hits = ([(h, False) for h in solar_hits(today, end)]
            + [(h, True) for h in lunar_hits(today, end)])
    anniversaries = solar_hits(today, today + datetime.timedelta(
        days=leads.anniversary_lead_days))
    return {
        "b_months": [h.month for h, _lunar in hits], "b_days": [h.day for h, _lunar in hits],
        "b_lunar": [lunar for _h, lunar in hits], "b_leap": [h.leap for h, _lunar in hits],
        "b_on": [h.on for h, _lunar in hits], "b_years": [h.year for h, _lunar in hits],
        "f_occasions": [f.occasion for f in festivals],
        "f_names": [names[f.festival] if f.festival else None for f in festivals],
        "f_on": [f.on for f in festivals], "f_years": [f.year for f in festivals],
        "f_chinese": [f.chinese for f in festivals],
        "company_chinese": first.default_language.startswith("zh"),
        "a_months": [h.month for h in anniversaries], "a_days": [h.day for h in anniversaries],
        "a_on": [h.on for h in anniversaries], "a_years": [h.year for h in anniversaries]}


def _changed(cursor, job: str, params: dict) -> tuple[set, int, int]:
    cursor.execute(CHANGED_SQL[job], params)
    rows = set(cursor.fetchall())
    cursor.execute(EVENTS_SQL, {**params, "kinds": KINDS[job]})
    events, notifications = cursor.fetchone()
    return rows, events, notifications


def reset(tenants: list) -> None:
    """Back to the generated state: what the jobs marked unmarked, their events deleted, no
    cadence rows, no care reminders. As the owner (the event tables take no deletes from the
    app), audit off."""
    from tiering import _owner_all_tenants

    kinds = [kind for job in KINDS.values() for kind in job]
    with _owner_all_tenants(["kam_event", "kam_notification", "visits_visit", "visits_followup",
                             "visits_cadencestatus", "care_carereminder"],
                            ("visits_visit", "visits_followup", "visits_cadencestatus",
                             "care_carereminder")) as cursor:
        for statement in RESET_SQL.split(";\n"):
            cursor.execute(statement, {"tenants": [t.pk for t in tenants], "kinds": kinds})
    vacuum_analyze(WRITE_TABLES)


# --- the floors ------------------------------------------------------------------------------------


def floor(job: str, tenants: list, *, first_run: bool) -> dict:
    """The hand-written statement for every company, rolled back: seconds (with the deferred FK
    checks) and what it changed."""
    import cadence
    from tiering import _owner_all_tenants

    params = _params(tenants)
    if job == "cadence":
        seconds, inserting, rows, differ = cadence.floor(tenants, params["today"])
        return {"seconds": inserting if first_run else seconds, "rows": rows, "differ": differ}
    if job == "care_reminders":
        sql, extra = CARE_FLOOR_SQL, _care_params(tenants, params["today"])
    elif job == "visits_missed":
        sql, extra = MISSED_FLOOR_SQL, {"before": params["visit_before"]}
    else:
        sql, extra = OVERDUE_FLOOR_SQL, {"before": params["follow_up_before"]}
    with _owner_all_tenants(FLOOR_TABLES, rollback=True) as cursor:
        started = time.perf_counter()
        cursor.execute(sql, {**params, **extra})
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        seconds = time.perf_counter() - started
        changed, events, notifications = _changed(cursor, job, params)
    vacuum_analyze(WRITE_TABLES)  # the rolled-back rows are dead rows: gone before the job
    return {"seconds": seconds, "changed": sorted(changed), "events": events,
            "notifications": notifications}


# --- the job, in a child process -------------------------------------------------------------------


def _rss_mb() -> tuple[float, float]:
    """Peak RSS (``ru_maxrss``: on Linux it carries the parent's peak across fork and exec, so
    read it with the current RSS) and current RSS, MB."""
    import psutil

    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            psutil.Process().memory_info().rss / 1024 / 1024)


def child(job: str, count: int) -> int:
    """run_job(job, company) for every company; prints one JSON line. ``noop``: a job that does
    nothing, registered in this process only — what run_job itself costs per company (its JobRun
    row, transaction, advisory lock, commits)."""
    import visits_data

    setup_django()
    from django.db import connection

    from kam.jobs import JobResult, nightly_job, run_job

    if job == "noop":
        nightly_job("bench_noop")(lambda tenant_id, run: JobResult(examined=0, changed=0))
        job = "bench_noop"
    tenants = visits_data.companies(count)
    connection.ensure_connection()
    spent = {"statements": 0.0, "commits": 0.0, "queries": 0}
    commit = connection._commit

    def timed_commit() -> None:
        started = time.perf_counter()
        try:
            commit()
        finally:
            spent["commits"] += time.perf_counter() - started

    def timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent["statements"] += time.perf_counter() - started
            spent["queries"] += 1

    connection._commit = timed_commit  # this process only: a stopwatch, nothing else changes
    rss_start = _rss_mb()
    outcomes: dict[str, int] = {}
    changed = 0
    rss_early, seconds_early = (0.0, 0.0), 0.0
    with connection.execute_wrapper(timer):
        started = time.perf_counter()
        for n, tenant in enumerate(tenants, 1):
            run = run_job(job, tenant)
            outcomes[run.outcome] = outcomes.get(run.outcome, 0) + 1
            changed += run.changed
            if n == EARLY:
                seconds_early, rss_early = time.perf_counter() - started, _rss_mb()
        seconds = time.perf_counter() - started
    print("RESULT " + json.dumps({
        "seconds": seconds, "seconds_early": seconds_early, "changed": changed,
        "outcomes": outcomes, "spent": spent, "rss_start": rss_start, "rss_early": rss_early,
        "rss_all": _rss_mb()}), flush=True)
    return 0


def job_run(job: str, tenants: list) -> dict:
    from django.db import connection

    from kam.tenancy import system_read

    proc = subprocess.run([sys.executable, __file__, "--child", job, str(len(tenants))],
                          env=dict(os.environ), capture_output=True, text=True, check=False)
    result = next((json.loads(line[len("RESULT "):]) for line in proc.stdout.splitlines()
                   if line.startswith("RESULT ")), None)
    if result is None or result["outcomes"] != {"succeeded": len(tenants)}:
        raise SystemExit(f"{job} child failed ({proc.returncode}): {result}\n"
                         f"{proc.stderr[-5000:]}")
    if job not in ("cadence", "noop"):
        with system_read("bench/visits_jobs: what the job changed"), \
                connection.cursor() as cursor:
            changed, events, notifications = _changed(cursor, job, _params(tenants))
        result.update(changed=sorted(changed), events=events, notifications=notifications,
                      rows_changed=result["changed"])
    vacuum_analyze(WRITE_TABLES)
    return result


# --- main ------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("KAM_STATE_DIR", str(Path(__file__).resolve().parent.parent
                                               / ".kam" / "bench13"))
    if args.child:
        return child(args.child[0], int(args.child[1]))
    setup_django()
    import visits_data
    from django.db import connection

    from kam.tenancy import system_read

    tenants = visits_data.generate(args.tenants)
    with system_read("bench/visits_jobs: sizes"), connection.cursor() as cursor:
        cursor.execute("""
            SELECT (SELECT count(*) FROM visits_visit WHERE tenant_id = ANY(%(ids)s)),
                   (SELECT count(*) FROM visits_followup WHERE tenant_id = ANY(%(ids)s)),
                   count(*), count(birthday), count(birthday) FILTER (WHERE birthday_is_lunar),
                   count(*) FILTER (WHERE care_opt_out),
                   (SELECT count(*) FROM accounts_contract
                     WHERE tenant_id = ANY(%(ids)s) AND status = 'active')
              FROM accounts_contact WHERE tenant_id = ANY(%(ids)s)""",
                       {"ids": [t.pk for t in tenants]})
        sizes = dict(zip(["visits", "follow_ups", "contacts", "birthdays", "lunar", "opted_out",
                          "contracts"], cursor.fetchone(), strict=True))
    today = _params(tenants)["today"]
    care = _care_params(tenants, today)
    sizes.update(today=today, birthday_end=max(care["b_on"]), anniversary_end=max(care["a_on"]),
                 solar_hits=care["b_lunar"].count(False), lunar_hits=care["b_lunar"].count(True),
                 festivals=", ".join(f"{name or occasion} {on}" for occasion, name, on in zip(
                     care["f_occasions"], care["f_names"], care["f_on"], strict=True)))

    results: dict[tuple[str, str], list[dict]] = {}
    noops: list[dict] = []
    mismatches: list[str] = []
    for _ in range(args.runs):
        reset(tenants)
        print("run_job with a job that does nothing …", flush=True)
        noops.append(job_run("noop", tenants))
        for state in ("first run", "steady state"):
            for job in JOBS:
                print(f"{job}, {state} …", flush=True)
                first_run = state == "first run"
                if job == "cadence":
                    # cadence.floor compares its rows with what the job stored: it runs after
                    # the job (the first run's floor deletes the rows and inserts them again).
                    ran = job_run(job, tenants)
                    base = floor(job, tenants, first_run=first_run)
                    same = base["differ"] == 0
                    ran["rows_changed"] = ran["changed"]
                else:
                    base = floor(job, tenants, first_run=first_run)
                    ran = job_run(job, tenants)
                    same = all(base[k] == ran[k] for k in ("changed", "events", "notifications"))
                if not same:
                    mismatches.append(f"{job}, {state}")
                results.setdefault((job, state), []).append({"floor": base, "job": ran})
    report(tenants, sizes, args.runs, results, noops)
    print(f"\nfloor and job changed the same rows: "
          f"{'yes' if not mismatches else 'NO: ' + '; '.join(mismatches)}")
    return 1 if mismatches else 0


def report(tenants: list, sizes: dict, runs: int, results: dict[tuple[str, str], list[dict]],
           noops: list[dict]) -> None:
    import visits_data

    noop_s = median([r["seconds"] for r in noops])
    rows, memory, missed = [], [], []

    def row(label: str, state: str, floor_s: float, job_s: float, spent: dict, changed: int,
            marked: str, runs_of_run_job: int) -> None:
        ratio = job_s / floor_s if floor_s else float("inf")
        ok = ratio <= TARGET
        if not ok:
            missed.append(f"{label}, {state}")
        rows.append([label, state, f"{floor_s:.3f}", f"{job_s:.3f}",
                     f"{spent['statements']:.1f} / {spent['commits']:.1f} / {spent['queries']:,}",
                     f"{changed:,}", marked, f"{ratio:.2f}",
                     f"{max(job_s - runs_of_run_job * noop_s, 0) / floor_s:.2f}"
                     if floor_s else "-", "OK" if ok else "MISSED"])

    for state in ("first run", "steady state"):
        night = {"floor": 0.0, "job": 0.0, "changed": 0,
                 "spent": {"statements": 0.0, "commits": 0.0, "queries": 0}}
        for job in JOBS:
            measured = results[(job, state)]
            job_s = median([r["job"]["seconds"] for r in measured])
            floor_s = median([r["floor"]["seconds"] for r in measured])
            last = measured[-1]
            marked = (f"{last['floor']['rows']:,} rows" if job == "cadence"
                      else f"{len(last['floor']['changed']):,} rows, "
                           f"{last['floor']['events']:,} events, "
                           f"{last['floor']['notifications']:,} notif.")
            spent = last["job"]["spent"]
            row(job, state, floor_s, job_s, spent, last["job"]["rows_changed"], marked, 1)
            night["floor"] += floor_s
            night["job"] += job_s
            night["changed"] += last["job"]["rows_changed"]
            for key in night["spent"]:
                night["spent"][key] += spent[key]
            memory.append([job, state] + [f"{last['job'][k][1]:.0f}"
                                          for k in ("rss_start", "rss_early", "rss_all")]
                          + [f"{last['job']['rss_all'][0]:.0f}"])
        row(f"night ({len(JOBS)} jobs)", state, night["floor"], night["job"], night["spent"],
            night["changed"], "-", len(JOBS))
    print(f"\n{len(tenants):,} companies × {visits_data.ACCOUNTS:,} accounts: "
          f"{sizes['visits']:,} visits, {sizes['follow_ups']:,} follow-ups, "
          f"{sizes['contacts']:,} contacts ({sizes['birthdays']:,} with a birthday, "
          f"{sizes['lunar']:,} of them lunar; {sizes['opted_out']:,} opted out), "
          f"{sizes['contracts']:,} active contracts; {runs} run(s), medians; {load_average()}")
    print(f"care_reminders on {sizes['today']}: birthday window to {sizes['birthday_end']} "
          f"({sizes['solar_hits']} solar and {sizes['lunar_hits']} lunar month/day pairs), "
          f"anniversaries to {sizes['anniversary_end']}; festivals in their lead windows: "
          f"{sizes['festivals'] or 'none'}")
    print(f"run_job itself (a job doing nothing) for every company: {noop_s:.3f} s "
          f"({noop_s / len(tenants) * 1000:.1f} ms per company)\n")
    print_table(["job", "state", "floor s", "job s", "job: SQL / commits s / queries",
                 "job changed", "marked so far (floor = job)", "× floor",
                 "(job − run_job) × floor", f"≤ {TARGET}×"], rows, left=2)
    print(f"\nnight: the {len(JOBS)} jobs' seconds added up against their floors' (its "
          f"\"job − run_job\" takes run_job's own cost off once per job)")
    print(f"\nmemory of the job process, current RSS MB: at start, after {EARLY} companies, after "
          f"all; peak (ru_maxrss, includes the parent's at fork)")
    print_table(["job", "state", "start", f"after {EARLY}", "after all", "peak"], memory, left=2)
    if missed:
        print(f"\nmissed: {'; '.join(missed)}")


if __name__ == "__main__":
    raise SystemExit(main())
