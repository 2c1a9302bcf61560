"""Shared plumbing of the bench scripts: boot Django on the bench stack, find the bench tenant,
print tables. Imported by the scripts in this folder (``python bench/<script>.py``)."""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

BENCH_SLUG = "bench"
BENCH_ADMIN = "bench.admin"  # bench/import_export.py logs in as this user too
# A second large tenant of the same shape, generated after bench: every row id of it is larger, so
# the same requests can be compared between a tenant at the start of the tables and one further on.
BENCH2_SLUG = "bench2"
LARGE_SLUGS = (BENCH_SLUG, BENCH2_SLUG)
# 1,000 small tenants small-0001 … small-1000 (admin: small-0001.admin …), generated after both.
SMALL_PREFIX = "small-"
SMALL_TENANTS = 1_000


def small_slug(number: int) -> str:
    return f"{SMALL_PREFIX}{number:04d}"


def setup_django() -> None:
    """Start the embedded PostgreSQL/Redis of the bench state dir (if needed), then Django.

    DEBUG is off so Django keeps no per-query log (CaptureQueriesContext turns it on where a
    script counts queries)."""
    os.environ.setdefault("KAM_STATE_DIR", str(BASE_DIR / ".kam" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    from kam import devstack

    devstack.up()
    import django

    django.setup()


def bench_tenant(slug: str = BENCH_SLUG):
    from kam.models import Tenant

    try:
        return Tenant.objects.get(slug=slug)
    except Tenant.DoesNotExist:
        sys.exit(f"No tenant {slug!r}: run `python bench/generate.py` first.")


@contextmanager
def in_bench_tenant(tenant) -> Iterator[None]:
    """Raw SQL on tenant tables must run as a tenant (issue 4): row-level security shows no rows
    and refuses every write without one. Writes made inside are recorded by the audit triggers
    with this script as the actor."""
    from kam.audit import ACTOR_COMMAND, audit_context
    from kam.tenancy import tenant_context

    script = Path(sys.argv[0]).stem
    with tenant_context(tenant), audit_context(actor=ACTOR_COMMAND, command=f"bench/{script}"):
        yield


def vacuum_analyze(tables: list[str]) -> None:
    """VACUUM (ANALYZE) as the owner role: the application role kam_app owns no table, and
    PostgreSQL only *warns* ("skipping …") when a non-owner vacuums or analyzes, doing nothing.
    Must run outside a transaction (VACUUM cannot run in one; the owner switch reconnects)."""
    from django.db import connection

    with connection.as_owner(), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def load_average() -> str:
    """The machine is shared: print the load next to every result, to read them by."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 200 samples is the 190th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def print_table(headers: list[str], rows: list[list[object]], left: int = 1) -> None:
    """The first ``left`` columns (labels) aligned left, the others (numbers) right."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))
