"""Shared plumbing of the bench scripts: boot Django on the bench stack, find the bench tenant,
print tables. Imported by the scripts in this folder (``python bench/<script>.py``)."""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

BENCH_SLUG = "bench"
BENCH_ADMIN = "bench.admin"  # bench/import_export.py logs in as this user too


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


def bench_tenant():
    from kam.models import Tenant

    try:
        return Tenant.objects.get(slug=BENCH_SLUG)
    except Tenant.DoesNotExist:
        sys.exit("No bench tenant: run `python bench/generate.py` first.")


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 200 samples is the 190th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def print_table(headers: list[str], rows: list[list[object]]) -> None:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True)))

    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))
