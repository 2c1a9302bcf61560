"""Issue 13's my day (``GET /``): latency and queries per request, with the account list page as
the baseline measured in the same run.

    export KAM_STATE_DIR=$PWD/.kam/bench13
    .venv/bin/python bench/my_day.py [-n 200] [--tenants 200] [--explain]

Data (bench/visits_data.py, shared with bench/visits_jobs.py): company ``visits-0001`` of
``--tenants`` companies (the others' rows in the same tables): 1,000 accounts, two account
managers owning 500 each, a year of visits at the three levels (5 per account, the next five
weeks planned), 2 follow-ups per account (open ones overdue and due this week), a tier each and
tier changes (a few in the last week). Before measuring, the company's nightly visit jobs run
(visits_missed, follow_ups_overdue, cadence: the cadence rows my day reads, the overdue marks),
idempotent.

In-process through Django's test client (bench/latency.py's ``measure``: 5 warm-ups, then N
requests, queries counted with CaptureQueriesContext). Cases:

* a manager's my day (``visits-0001.m1``, 500 accounts);
* the executive's portfolio (``visits-0001.exec``: the whole company, 1,000 accounts);
* the executive's view of one member (``/?member=<m1>``, the team filter);
* the manager's account list (``/accounts/``): the baseline, its ratio printed.

``--explain`` prints, for each case, its slowest queries of one request with
``EXPLAIN (ANALYZE, BUFFERS)``. Target (issue 13): my day p95 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from common import in_bench_tenant, load_average, median, percentile, print_table, setup_django

TARGET_MS = 100
NIGHTLY = ("visits_missed", "follow_ups_overdue", "cadence")


def _slowest(client, url: str, tenant, top: int = 4) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    queries = sorted(ctx.captured_queries, key=lambda q: float(q["time"]), reverse=True)[:top]
    for query in queries:
        sql = query["sql"]
        while sql.startswith("SELECT set_config("):  # the tenant and audit context (kam.db)
            sql = sql.split(";", 1)[1]
        print(f"\n--- {url}: {float(query['time']) * 1000:.1f} ms\n{sql[:600]}")
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with in_bench_tenant(tenant), connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print("\n".join(row[0] for row in cursor.fetchall()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=200, help="requests per case")
    parser.add_argument("--tenants", type=int, default=200,
                        help="companies generated (visits_data); measured: the first")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("KAM_STATE_DIR", str(Path(__file__).resolve().parent.parent
                                               / ".kam" / "bench13"))
    setup_django()
    import visits_data
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from latency import measure

    from kam.jobs import run_job
    from kam.models import Membership

    tenant = visits_data.generate(args.tenants)[0]
    for job in NIGHTLY:
        run = run_job(job, tenant)
        assert run.outcome == "succeeded", run.error
    User = get_user_model()
    clients = {}
    for who in ("m1", "exec"):
        clients[who] = Client()
        clients[who].force_login(User.objects.get(username=f"{tenant.slug}.{who}"))
    with in_bench_tenant(tenant), connection.cursor() as cursor:
        m1 = Membership.objects.get(user__username=f"{tenant.slug}.m1").pk
        cursor.execute("""
            SELECT (SELECT count(*) FROM accounts_account WHERE owner_id = %(m)s),
                   (SELECT count(*) FROM visits_visit WHERE owner_id = %(m)s),
                   (SELECT count(*) FROM visits_followup WHERE owner_id = %(m)s
                       AND status = 'open' AND overdue_since IS NOT NULL),
                   (SELECT count(*) FROM visits_cadencestatus c JOIN accounts_account a
                       ON a.tenant_id = c.tenant_id AND a.id = c.account_id
                     WHERE a.owner_id = %(m)s AND c.state IN ('overdue', 'due_soon')),
                   (SELECT count(*) FROM accounts_tierchange c JOIN accounts_account a
                       ON a.tenant_id = c.tenant_id AND a.id = c.account_id
                     WHERE a.owner_id = %(m)s AND c.changed_at > now() - interval '7 days')""",
                       {"m": m1})
        accounts, visits, overdue, behind, changes = cursor.fetchone()

    cases = [
        ("my day, a manager (500 accounts)", "m1", "/"),
        ("my day, the executive (whole company)", "exec", "/"),
        ("my day, the executive: one member", "exec", f"/?member={m1}"),
        ("account list, the manager (baseline)", "m1", "/accounts/"),
    ]
    rows, results = [], {}
    for label, who, url in cases:
        times, queries, statuses = measure(clients[who], [url], args.n)
        results[label] = times
        p95 = percentile(times, 95)
        is_my_day = url != "/accounts/"
        ok = statuses == {200} and (p95 <= TARGET_MS or not is_my_day)
        rows.append([label, len(times), f"{median(times):.1f}", f"{p95:.1f}", f"{max(times):.1f}",
                     f"{min(queries)}" + (f"-{max(queries)}" if max(queries) != min(queries)
                                          else ""),
                     ",".join(map(str, sorted(statuses))),
                     f"≤ {TARGET_MS}" if is_my_day else "baseline",
                     ("OK" if ok else "MISSED") if is_my_day else ""])
        if args.explain:
            _slowest(clients[who], url, tenant)
    baseline = median(results[cases[-1][0]])
    for row, (label, _who, _url) in zip(rows, cases, strict=True):
        row.insert(5, f"{median(results[label]) / baseline:.2f}")
    print(f"\n{tenant.slug} (of {args.tenants} companies): the manager owns {accounts:,} accounts, "
          f"{visits:,} visits, {overdue:,} overdue open follow-ups, {behind:,} account levels "
          f"behind cadence, {changes:,} tier changes in the last 7 days; {load_average()}\n")
    print_table(["case", "n", "median ms", "p95 ms", "max ms", "median × list", "queries",
                 "status", "target p95", ""], rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
