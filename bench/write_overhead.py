"""What issue 4 costs on writes, taken apart: audit triggers, composite tenant FKs, row-level security.

    .venv/bin/python bench/generate.py            # once
    .venv/bin/python bench/write_overhead.py [--runs 2] [--transactions 2000000] [--bulk-rows 10000]

The same writes are timed in four schema variants, each inside one transaction that is **rolled
back** (as the owner role, in the bench state dir only), so the bench data and schema are
untouched afterwards, even if the script is killed:

  A  as issue 4 ships it: audit triggers, composite (tenant_id, x) FKs, row-level security;
  B  A with the audit triggers off (``ALTER TABLE … DISABLE TRIGGER USER``);
  C  B without the composite tenant FKs of accounts/0005 (``DROP CONSTRAINT …_tenant_fk``);
  D  C with row-level security not applied to the owner (``NO FORCE ROW LEVEL SECURITY``):
     the issue-3 schema, as near as it can be had.

A − B is the audit triggers' cost, B − C the composite FKs', C − D row-level security's.

Writes: (1) generate.py's three INSERT … SELECT statements (accounts + the parent UPDATE,
contacts, transactions), for a throwaway tenant created inside the transaction with its own 50
account managers; (2) ``accounts.transactions.transaction_bulk_upsert`` in-process (no HTTP) with
bulk_api.py's bodies: new rows, the same rows again, changed amounts. Django's FKs are DEFERRABLE
INITIALLY DEFERRED, checked at COMMIT; as nothing commits here, every step ends with
``SET CONSTRAINTS ALL IMMEDIATE`` (timed with the step), which runs those checks as a commit would.
The variants alternate in order from run to run (A→D, then D→A, …); medians are reported.
Rolled-back inserts leave dead rows: the touched tables are vacuumed (as the owner, untimed) before
every variant and at the end, so neither the measurements nor later benchmarks see that bloat.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from common import (
    BENCH_ADMIN,
    bench_tenant,
    in_bench_tenant,
    load_average,
    median,
    print_table,
    setup_django,
    vacuum_analyze,
)

TABLES = ["accounts_account", "accounts_contact", "accounts_transaction"]
VARIANTS = {
    "A": "as shipped (audit triggers, composite FKs, RLS)",
    "B": "audit triggers off",
    "C": "B + composite tenant FKs dropped",
    "D": "C + RLS not forced (≈ issue 3)",
}
THROWAWAY_SLUG = "bench-write-overhead"
# A rolled-back INSERT leaves its rows behind as dead tuples at the end of the table (2M rolled-back
# transactions made accounts_transaction 2.2 GB instead of 245 MB). Left there, they change the
# plans of every later statement (figures_recompute went from a bitmap to a plain index scan under
# RLS, 3x slower), so the tables are vacuumed (and truncated) before every variant and at the end.
BLOATED = [*TABLES, "accounts_accountevent", "accounts_contactevent", "accounts_transactionevent",
           "accounts_accountfigures", "kam_membership", "kam_membershipevent", "kam_tenant"]


def _composite_fks(cursor) -> list[tuple[str, str]]:
    cursor.execute("""
        SELECT conrelid::regclass::text, conname FROM pg_constraint
         WHERE contype = 'f' AND conname LIKE '%%\\_tenant\\_fk'
           AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2""", [TABLES])
    return cursor.fetchall()


def _apply_variant(cursor, variant: str) -> None:
    """DDL at the start of the transaction (ALTER TABLE refuses tables with pending trigger events)."""
    if variant in "BCD":
        for table in TABLES:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    if variant in "CD":
        for table, name in _composite_fks(cursor):
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    if variant == "D":
        for table in TABLES:
            cursor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")


def _timed(cursor, work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred FK checks a COMMIT would run
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return time.perf_counter() - started


def generate_run(variant: str, n_transactions: int) -> dict[str, float]:
    """generate.py's statements for a throwaway tenant, in a rolled-back transaction."""
    import generate
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from kam.models import Membership, Tenant
    from kam.roles import Role
    from kam.tenancy import tenant_context

    users = list(get_user_model().objects.filter(username__startswith="bench.m")
                 .order_by("username")[:generate.MANAGERS])
    out: dict[str, float] = {}
    with connection.as_owner(), transaction.atomic(), connection.cursor() as cursor:
        _apply_variant(cursor, variant)
        tenant = Tenant.objects.create(slug=THROWAWAY_SLUG, name=THROWAWAY_SLUG)
        with tenant_context(tenant):
            owners = [Membership.objects.create(tenant=tenant, user=u, role=Role.MANAGER).pk
                      for u in users]
            cursor.execute("SELECT setseed(0.42)")
            t = tenant.pk

            def accounts() -> None:
                cursor.execute(generate.ACCOUNTS_SQL,
                               {"tenant": t, "owners": owners, "n": generate.ACCOUNTS})
                cursor.execute("ANALYZE accounts_account")
                cursor.execute(generate.PARENTS_SQL, {"tenant": t})

            def contacts() -> None:
                cursor.execute(generate.CONTACTS_SQL,
                               {"tenant": t, "per_account": generate.CONTACTS_PER_ACCOUNT})

            def transactions() -> None:
                cursor.execute("ANALYZE accounts_account")
                cursor.execute(generate.TRANSACTIONS_SQL, {"tenant": t, "n": n_transactions})

            out["generate: 100k accounts (+ parent UPDATE)"] = _timed(cursor, accounts)
            out["generate: 300k contacts"] = _timed(cursor, contacts)
            out[f"generate: {n_transactions / 1e6:g}M transactions"] = _timed(cursor, transactions)
        transaction.set_rollback(True)
    return out


def bulk_run(variant: str, tenant, rows: int) -> dict[str, float]:
    """transaction_bulk_upsert (as bench.admin) three passes, in a rolled-back transaction."""
    import bulk_api
    from django.db import connection, transaction

    from accounts.transactions.services import transaction_bulk_upsert
    from kam.models import Membership
    from kam.roles import Actor

    out: dict[str, float] = {}
    with connection.as_owner(), in_bench_tenant(tenant), transaction.atomic(), \
            connection.cursor() as cursor:
        _apply_variant(cursor, variant)
        actor = Actor(tenant=tenant, membership=Membership.objects.select_related("user").get(
            user__username=BENCH_ADMIN))
        cursor.execute("SELECT id FROM accounts_account WHERE tenant_id = %s ORDER BY id",
                       [tenant.pk])
        account_ids = [row[0] for row in cursor.fetchall()]
        new = json.loads(bulk_api.bodies(account_ids, 1, rows, bump=0)[0])
        changed = json.loads(bulk_api.bodies(account_ids, 1, rows, bump=1)[0])
        for label, body, expect in [("new rows", new, "created"),
                                    ("same rows again", new, "unchanged"),
                                    ("changed amounts", changed, "updated")]:
            result: dict[str, int] = {}

            def call(body: list = body, result: dict = result) -> None:
                result.update(transaction_bulk_upsert(actor=actor, rows=body))

            out[f"bulk upsert {rows:,} rows: {label}"] = _timed(cursor, call)
            if result.get(expect) != rows:
                raise RuntimeError(f"{label}: expected {rows} {expect}, got {result}")
        transaction.set_rollback(True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--transactions", type=int, default=2_000_000,
                        help="rows of the transactions INSERT (generate.py: 2,000,000)")
    parser.add_argument("--bulk-rows", type=int, default=10_000)
    parser.add_argument("--skip-generate", action="store_true")
    args = parser.parse_args()
    setup_django()
    from kam.models import Tenant

    tenant = bench_tenant()
    if Tenant.objects.filter(slug=THROWAWAY_SLUG).exists():
        raise SystemExit(f"tenant {THROWAWAY_SLUG!r} exists; it should only live inside this "
                         "script's rolled-back transactions")
    results: dict[str, dict[str, list[float]]] = {}
    order = list(VARIANTS)
    for run in range(args.runs):
        for variant in (order if run % 2 == 0 else order[::-1]):
            vacuum_analyze(BLOATED)  # every variant starts from a table without dead rows
            timings = bulk_run(variant, tenant, args.bulk_rows)
            if not args.skip_generate:
                timings.update(generate_run(variant, args.transactions))
            for step, seconds in timings.items():
                results.setdefault(step, {}).setdefault(variant, []).append(seconds)
            print(f"run {run + 1} variant {variant}: "
                  + ", ".join(f"{s:.2f}" for s in timings.values()), flush=True)

    vacuum_analyze(BLOATED)  # leave the bench tables as generate.py left them
    rows = []
    for step, per_variant in results.items():
        m = {v: median(per_variant[v]) for v in VARIANTS}
        rows.append([step, *(f"{m[v]:.2f}" for v in VARIANTS),
                     f"{m['A'] - m['B']:+.2f}", f"{m['B'] - m['C']:+.2f}",
                     f"{m['C'] - m['D']:+.2f}", f"{m['A'] / m['D']:.2f}x"])
    print(f"\nmedians of {args.runs} runs, seconds (each step includes its deferred FK checks); "
          f"{load_average()}")
    for v, text in VARIANTS.items():
        print(f"  {v}: {text}")
    print()
    print_table(["step", "A s", "B s", "C s", "D s", "audit (A-B)", "tenant FKs (B-C)",
                 "RLS (C-D)", "A / D"], rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
