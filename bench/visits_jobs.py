"""Issue 13's nightly visit jobs — visits_missed, follow_ups_overdue and cadence — each run per
company through ``kam.jobs.run_job`` against one hand-written statement for all the companies,
measured in the same run.

    export KAM_STATE_DIR=$PWD/.kam/bench13
    .venv/bin/python bench/visits_jobs.py [--tenants 200] [--runs 1]

Data (bench/visits_data.py, generated once): ``--tenants`` companies × 1,000 accounts, 5 visits
and 2 follow-ups per account. The issue's scale is 1,000 companies (5M visits, 2M follow-ups);
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
  (every company's rows into a temp table; and, for the first run, inserted into the table).

Two states: **first run** (the visits and follow-ups the jobs mark put back as generated, their
events deleted, the cadence rows deleted) and **steady state** (the same jobs again the same
day: nothing to change). The floor runs first on the same state as the job, and the rows it
changed (visit ids, follow-up ids, events, notifications; cadence: every row) are compared with
what the job changed: expected equal. Target (issue 13): job ≤ 1.5× floor.
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
JOBS = ("visits_missed", "follow_ups_overdue", "cadence")
WRITE_TABLES = ["visits_visit", "visits_followup", "kam_event", "kam_notification",
                "visits_cadencestatus", "kam_jobrun"]
# What the floors read and write: row-level security is not forced on these in their transaction
# (the audit triggers stay on: the jobs' updates record their history rows too).
FLOOR_TABLES = ["accounts_account", "visits_visit", "visits_followup", "kam_event",
                "kam_notification", "kam_membership", "kam_notificationsettings",
                "visits_visitevent", "visits_followupevent"]

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
}
EVENTS_SQL = """
    SELECT count(*), (SELECT count(*) FROM kam_notification n
                       WHERE n.tenant_id = ANY(%(tenants)s) AND n.event_id IN (
                             SELECT id FROM kam_event e WHERE e.tenant_id = ANY(%(tenants)s)
                                AND e.kind = ANY(%(kinds)s)))
      FROM kam_event WHERE tenant_id = ANY(%(tenants)s) AND kind = ANY(%(kinds)s)"""
KINDS = {"visits_missed": ["visits.visit_missed"],
         "follow_ups_overdue": ["visits.follow_up_overdue", "visits.follow_up_escalated"]}

RESET_SQL = """
DELETE FROM kam_notification n USING kam_event e
 WHERE n.tenant_id = ANY(%(tenants)s) AND e.tenant_id = n.tenant_id AND e.id = n.event_id
   AND e.kind = ANY(%(kinds)s);
DELETE FROM kam_event WHERE tenant_id = ANY(%(tenants)s) AND kind = ANY(%(kinds)s);
UPDATE visits_visit SET status = 'planned', missed_at = NULL, updated_at = created_at
 WHERE tenant_id = ANY(%(tenants)s) AND updated_at > created_at;
UPDATE visits_followup SET overdue_since = NULL, escalated_on = NULL, updated_at = created_at
 WHERE tenant_id = ANY(%(tenants)s) AND updated_at > created_at;
DELETE FROM visits_cadencestatus WHERE tenant_id = ANY(%(tenants)s)
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


def _changed(cursor, job: str, params: dict) -> tuple[set, int, int]:
    cursor.execute(CHANGED_SQL[job], params)
    rows = set(cursor.fetchall())
    cursor.execute(EVENTS_SQL, {**params, "kinds": KINDS[job]})
    events, notifications = cursor.fetchone()
    return rows, events, notifications


def reset(tenants: list) -> None:
    """Back to the generated state: what the jobs marked unmarked, their events deleted, no
    cadence rows. As the owner (the event tables take no deletes from the app), audit off."""
    from tiering import _owner_all_tenants

    kinds = [kind for job in KINDS.values() for kind in job]
    with _owner_all_tenants(["kam_event", "kam_notification", "visits_visit", "visits_followup",
                             "visits_cadencestatus"],
                            ("visits_visit", "visits_followup", "visits_cadencestatus")) as cursor:
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
    sql, before = ((MISSED_FLOOR_SQL, "visit_before") if job == "visits_missed"
                   else (OVERDUE_FLOOR_SQL, "follow_up_before"))
    with _owner_all_tenants(FLOOR_TABLES, rollback=True) as cursor:
        started = time.perf_counter()
        cursor.execute(sql, {**params, "before": params[before]})
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
        ids = [t.pk for t in tenants]
        cursor.execute("SELECT (SELECT count(*) FROM visits_visit WHERE tenant_id = ANY(%s)), "
                       "(SELECT count(*) FROM visits_followup WHERE tenant_id = ANY(%s))",
                       [ids, ids])
        visits, follow_ups = cursor.fetchone()

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
    report(tenants, visits, follow_ups, args.runs, results, noops)
    print(f"\nfloor and job changed the same rows: "
          f"{'yes' if not mismatches else 'NO: ' + '; '.join(mismatches)}")
    return 1 if mismatches else 0


def report(tenants: list, visits: int, follow_ups: int, runs: int,
           results: dict[tuple[str, str], list[dict]], noops: list[dict]) -> None:
    import visits_data

    noop_s = median([r["seconds"] for r in noops])
    rows, memory, missed = [], [], []
    for (job, state), measured in results.items():
        job_s = median([r["job"]["seconds"] for r in measured])
        floor_s = median([r["floor"]["seconds"] for r in measured])
        last = measured[-1]
        ratio = job_s / floor_s if floor_s else float("inf")
        ok = ratio <= TARGET
        if not ok:
            missed.append(f"{job}, {state}")
        marked = (f"{last['floor']['rows']:,} rows" if job == "cadence"
                  else f"{len(last['floor']['changed']):,} rows, "
                       f"{last['floor']['events']:,} events, "
                       f"{last['floor']['notifications']:,} notif.")
        spent = last["job"]["spent"]
        rows.append([job, state, f"{floor_s:.3f}", f"{job_s:.3f}",
                     f"{spent['statements']:.1f} / {spent['commits']:.1f} / {spent['queries']:,}",
                     f"{last['job']['rows_changed']:,}", marked, f"{ratio:.2f}",
                     f"{max(job_s - noop_s, 0) / floor_s:.2f}" if floor_s else "-",
                     "OK" if ok else "MISSED"])
        memory.append([job, state] + [f"{last['job'][k][1]:.0f}"
                                      for k in ("rss_start", "rss_early", "rss_all")]
                      + [f"{last['job']['rss_all'][0]:.0f}"])
    print(f"\n{len(tenants):,} companies × {visits_data.ACCOUNTS:,} accounts: {visits:,} visits, "
          f"{follow_ups:,} follow-ups; {runs} run(s), medians; {load_average()}")
    print(f"run_job itself (a job doing nothing) for every company: {noop_s:.3f} s "
          f"({noop_s / len(tenants) * 1000:.1f} ms per company)\n")
    print_table(["job", "state", "floor s", "job s", "job: SQL / commits s / queries",
                 "job changed", "marked so far (floor = job)", "× floor",
                 "(job − run_job) × floor", f"≤ {TARGET}×"], rows, left=2)
    print(f"\nmemory of the job process, current RSS MB: at start, after {EARLY} companies, after "
          f"all; peak (ru_maxrss, includes the parent's at fork)")
    print_table(["job", "state", "start", f"after {EARLY}", "after all", "peak"], memory, left=2)
    if missed:
        print(f"\nmissed: {'; '.join(missed)}")


if __name__ == "__main__":
    raise SystemExit(main())
