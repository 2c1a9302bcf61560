"""POST /api/v1/transactions/bulk/ over real HTTP: rows per second, new rows vs an unchanged re-send.

    .venv/bin/python bench/generate.py     # once
    .venv/bin/python bench/bulk_api.py [--requests 5] [--rows 10000]

Starts gunicorn (one sync worker, like one production worker) on a free port of 127.0.0.1, sends
--requests bodies of --rows transactions each with a write API key, three passes over the same
external ids: new rows (inserted), the same bodies again (unchanged: nothing written) and the
bodies with changed amounts (updated). Every request also recomputes the figures of the
accounts it touched (the service does, after each write). The rows are spread over the bench
tenant's accounts the way an ERP's daily sync is. Afterwards the script stops the server, deletes
its rows and their audit events, recomputes the tenant's figures and revokes the key, so the bench
data is as before. Since issue 4 every write also writes audit event rows (statement triggers):
that cost is part of what is measured.
No target is set for this one; the unchanged re-send should be clearly cheaper than new rows.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

from common import (
    BASE_DIR,
    bench_tenant,
    in_bench_tenant,
    load_average,
    median,
    print_table,
    setup_django,
)

PREFIX = "BULK-"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # the server must not outlive this script, even on SIGKILL
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def server(max_requests: int) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "DJANGO_DEBUG": "false", "KAM_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [str(BASE_DIR / ".venv" / "bin" / "gunicorn"), "kam.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "600",
         "--max-requests", str(max_requests), "--log-level", "warning"],
        cwd=BASE_DIR, env=env, preexec_fn=_die_with_parent)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=5):  # noqa: S310
                    break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def post(url: str, key: str, body: bytes) -> tuple[float, dict]:
    request = urllib.request.Request(  # noqa: S310
        f"{url}/api/v1/transactions/bulk/", data=body, method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
            payload = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"HTTP {exc.code}: {exc.read()[:2000]!r}") from exc
    return time.perf_counter() - started, payload


def bodies(account_ids: list[int], requests: int, rows: int, bump: int) -> list[bytes]:
    rng = random.Random(42)
    lines = ["精密轴承", "伺服电机", "数控刀具", "液压元件", "传感器"]
    out = []
    for r in range(requests):
        batch = []
        for i in range(rows):
            amount = rng.randint(5_000, 2_000_000) / 100 + bump
            batch.append({"account": rng.choice(account_ids),
                          "date": f"2026-{rng.randint(1, 9):02d}-{rng.randint(1, 28):02d}",
                          "amount": f"{amount:.2f}", "gross_margin": f"{amount * 0.2:.2f}",
                          "product_line": rng.choice(lines),
                          "external_id": f"{PREFIX}{r * rows + i:07d}"})
        out.append(json.dumps(batch).encode())
    return out


def cleanup(tenant) -> int:
    """Delete this script's transactions (as the bench tenant: row-level security), then, as the
    owner role, the audit events they left (insert, update and these deletes): the event tables
    are append-only for kam_app, and a rerun should find the bench state it measured before."""
    from django.db import connection, transaction

    with in_bench_tenant(tenant), connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_transaction WHERE tenant_id = %s "
                       "AND external_id LIKE %s", [tenant.pk, PREFIX + "%"])
        removed = cursor.rowcount
    with connection.as_owner(), in_bench_tenant(tenant), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_transactionevent WHERE tenant_id = %s "
                       "AND external_id LIKE %s", [tenant.pk, PREFIX + "%"])
    return removed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    from accounts.figures.services import figures_recompute
    from kam.services import api_key_create, api_key_revoke
    from kam.tenancy import tenant_context

    tenant = bench_tenant()
    with in_bench_tenant(tenant), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM accounts_account WHERE tenant_id = %s ORDER BY id",
                       [tenant.pk])
        account_ids = [row[0] for row in cursor.fetchall()]
    if cleanup(tenant):  # rows left by an interrupted run
        figures_recompute(tenant_id=tenant.pk)
    with tenant_context(tenant):
        key, raw = api_key_create(name=f"bench-bulk-{time.time_ns()}", scopes=["read", "write"])
    new = bodies(account_ids, args.requests, args.rows, bump=0)
    changed = bodies(account_ids, args.requests, args.rows, bump=1)
    size = len(new[0])
    passes = [("new rows (inserted)", new, "created"), ("same bodies again (unchanged)", new,
              "unchanged"), ("changed amounts (updated)", changed, "updated")]
    table = []
    try:
        with server(max_requests=10 * args.requests + 10) as url:
            post(url, raw, b"[]")  # warm-up: the worker imports and connects
            for label, payloads, expect in passes:
                seconds = []
                for body in payloads:
                    elapsed, result = post(url, raw, body)
                    if result.get(expect) != args.rows:
                        raise RuntimeError(f"{label}: expected {args.rows} {expect}, got {result}")
                    seconds.append(elapsed)
                total = sum(seconds)
                table.append([label, f"{args.requests} x {args.rows:,}",
                              f"{median(seconds):.2f}", f"{max(seconds):.2f}",
                              f"{args.rows / median(seconds):,.0f}",
                              f"{args.requests * args.rows / total:,.0f}"])
    finally:
        removed = cleanup(tenant)
        figures_recompute(tenant_id=tenant.pk)
        with tenant_context(tenant):
            api_key_revoke(key_id=key.pk)
    print(f"\nPOST /api/v1/transactions/bulk/ via gunicorn (1 sync worker), body "
          f"{size / 1e6:.2f} MB per request; rows spread over {len(account_ids):,} accounts; "
          f"cleanup removed {removed:,} rows; {load_average()}\n")
    print_table(["pass", "requests", "median s/request", "max s", "rows/s (median)",
                 "rows/s (overall)"], table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
