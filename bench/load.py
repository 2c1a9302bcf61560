"""Load: concurrent users against gunicorn, per operation throughput, errors, latency and service time.

    .venv/bin/pip install -e ".[bench]"                                       # Locust
    .venv/bin/python bench/generate.py                                        # once
    .venv/bin/python bench/recompute.py --tenant bench --tenant bench2        # figures
    .venv/bin/python bench/load.py [--users 100] [--duration 300] [--workers 4 [2 5 …]]

Starts gunicorn (``--workers`` sync workers, one run per value given, in that order) on a free
port of 127.0.0.1 and runs Locust headless against it, in a child process of its own (Locust's
gevent patches stay out of this one), for ``--duration`` seconds after every user has started.
Each user waits ``--think`` seconds on average (uniform 0.5x…1.5x) between requests and draws
80 % reads and 20 % writes on the bench tenant (100,000 accounts):

    list     30 %  GET /api/v1/accounts/?page_size=50 (no filter, industry + status, an owner,
                   or the next page of its previous list) with a read-write API key
    detail   25 %  GET /api/v1/accounts/<random id>/ with the key
    360°     25 %  GET /accounts/<random id>/, the HTML page, as bench.admin (a session cookie)
    bulk     10 %  POST /api/v1/transactions/bulk/, --bulk-rows new transactions (LOAD-…)
                   on random accounts (the service recomputes their figures)
    update   10 %  PATCH /api/v1/accounts/<id>/ {"notes": …} on one of 1,000 accounts

Client side (Locust, loopback only): requests, throughput, errors (a status other than the
expected one, or a transport error) and p50/p95/p99 of the latency, which includes the wait for
a free worker. Server side: the service time of each request — gunicorn's access log (``%(D)s``,
microseconds from the parsed request line to the last byte written, in the worker; no queueing);
every request names its operation in an ``X-Bench-Op`` header that the log format records.
Requests sent while users are still starting are marked ``warmup`` and left out of both.
The rate limit is lifted for the server (``KAM_API_RATE=1000000/min``; the throttle still runs).

Afterwards (also after an interrupted run, on the next start) it deletes the LOAD- transactions,
puts back the notes and updated_at of the 1,000 accounts, deletes the audit events its key and
its own clean-up wrote (as the owner: the event tables are append-only for kam_app), recomputes
the figures of the touched accounts, revokes its key and deletes its session, so reruns start
from the same state. The machine's load average and CPU use are printed with the results.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from common import (
    BASE_DIR,
    BENCH_ADMIN,
    bench_tenant,
    in_bench_tenant,
    median,
    percentile,
    print_table,
    setup_django,
)

PREFIX = "LOAD-"
KEY_PREFIX = "bench-load-"
COMMAND = "bench/load"  # the audit actor of in_bench_tenant() in this script
POOL_SIZE = 1_000
OPS = ("list", "detail", "360", "timeline", "bulk", "update")
OP_LABELS = {"list": "list (API)", "detail": "detail (API)", "360": "360° page",
             "timeline": "  its timeline", "bulk": "bulk (API)", "update": "update (API)"}
WEIGHTS = {"list": 30, "detail": 25, "360": 25, "bulk": 10, "update": 10}
ACCESS_FORMAT = "%({x-bench-op}i)s %(s)s %(D)s"


# --- the client (child process: Locust) ----------------------------------------------------------


def run_client(config_path: str, result_path: str) -> int:
    """Locust as a library; the gevent monkey-patching happens here, on import."""
    import gevent
    from locust import FastHttpUser, between, events, task
    from locust.env import Environment

    config = json.loads(Path(config_path).read_text())
    account_ids: list[int] = config["account_ids"]
    pool: list[int] = config["pool"]
    owners: list[int] = config["owners"]
    rows = config["bulk_rows"]
    think = config["think"]
    state = {"measuring": False}
    samples: dict[str, list[float]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    messages: dict[str, set[str]] = defaultdict(set)
    counter = iter(range(10**9))

    def on_request(name, response_time, exception, context, **_kw):
        if not context.get("measured"):
            return
        samples[name].append(response_time)
        if exception is not None:
            failures[name] += 1
            if len(messages[name]) < 5:
                messages[name].add(str(exception)[:200])

    events.request.add_listener(on_request)
    auth = {"Authorization": f"Bearer {config['key']}"}
    cookie = {"Cookie": f"sessionid={config['session']}"}
    industries = ["manufacturing", "energy", "retail", "logistics", "telecom"]

    class KamUser(FastHttpUser):
        host = config["url"]
        wait_time = between(think * 0.5, think * 1.5)
        network_timeout = 120.0
        connection_timeout = 30.0

        def on_start(self) -> None:
            self.rng = random.Random(config["seed"] * 1000 + next(counter))
            self.next_url: str | None = None

        def call(self, op: str, method: str, url: str, expect: int, **kwargs):
            measured = state["measuring"]
            headers = {**kwargs.pop("headers", {}), "X-Bench-Op": op if measured else "warmup"}
            with self.client.request(method, url, name=op, headers=headers, catch_response=True,
                                     allow_redirects=False, context={"measured": measured},
                                     **kwargs) as response:
                if response.status_code != expect:
                    response.failure(f"HTTP {response.status_code}: {(response.text or '')[:120]}")
                    return None
                return response

        @task(WEIGHTS["list"])
        def account_list(self) -> None:
            base = "/api/v1/accounts/?page_size=50"
            pick = self.rng.random()
            if pick < 0.25 and self.next_url:
                url, self.next_url = self.next_url, None
            elif pick < 0.5:
                url = f"{base}&industry={self.rng.choice(industries)}&lifecycle_status=active"
            elif pick < 0.75:
                url = f"{base}&owner={self.rng.choice(owners)}"
            else:
                url = base
            response = self.call("list", "GET", url, 200, headers=auth)
            if response is not None:
                nxt = urlsplit(response.json().get("next") or "")
                self.next_url = f"{nxt.path}?{nxt.query}" if nxt.path else None

        @task(WEIGHTS["detail"])
        def account_detail(self) -> None:
            self.call("detail", "GET", f"/api/v1/accounts/{self.rng.choice(account_ids)}/", 200,
                      headers=auth)

        @task(WEIGHTS["360"])
        def profile_page(self) -> None:
            # What a browser does: the page, then its timeline section (htmx, on load).
            account_id = self.rng.choice(account_ids)
            if self.call("360", "GET", f"/accounts/{account_id}/", 200, headers=cookie) is not None:
                self.call("timeline", "GET", f"/accounts/{account_id}/timeline/recent/", 200,
                          headers={**cookie, "HX-Request": "true"})

        @task(WEIGHTS["bulk"])
        def bulk(self) -> None:
            batch, run = [], next(counter)
            for i in range(rows):
                amount = self.rng.randint(5_000, 2_000_000) / 100
                batch.append({"account": self.rng.choice(account_ids),
                              "date": f"2026-{self.rng.randint(1, 9):02d}-"
                                      f"{self.rng.randint(1, 28):02d}",
                              "amount": f"{amount:.2f}", "gross_margin": f"{amount * 0.2:.2f}",
                              "product_line": "负载测试",
                              "external_id": f"{PREFIX}{config['seed']}-{run:07d}-{i:04d}"})
            self.call("bulk", "POST", "/api/v1/transactions/bulk/", 200,
                      headers={**auth, "Content-Type": "application/json"},
                      data=json.dumps(batch))

        @task(WEIGHTS["update"])
        def update(self) -> None:
            self.call("update", "PATCH", f"/api/v1/accounts/{self.rng.choice(pool)}/", 200,
                      headers={**auth, "Content-Type": "application/json"},
                      data=json.dumps({"notes": f"load {self.rng.randint(0, 10**9)}"}))

    env = Environment(user_classes=[KamUser], events=events)
    runner = env.create_local_runner()
    runner.start(config["users"], spawn_rate=config["spawn_rate"], wait=False)
    assert runner.spawning_greenlet is not None
    runner.spawning_greenlet.join()
    gevent.sleep(1)  # the last users' first requests
    state["measuring"] = True
    started = time.monotonic()
    gevent.sleep(config["duration"])
    state["measuring"] = False
    measured = time.monotonic() - started
    runner.quit()
    result = {"seconds": measured, "samples": samples, "failures": failures,
              "messages": {k: sorted(v) for k, v in messages.items()}}
    Path(result_path).write_text(json.dumps(result))
    return 0


# --- the server ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # the server must not outlive this script, even on SIGKILL
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def server(workers: int, access_log: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "DJANGO_DEBUG": "false", "KAM_LOG_LEVEL": "WARNING",
           "KAM_API_RATE": os.environ.get("KAM_API_RATE", "1000000/min")}
    process = subprocess.Popen(
        [str(BASE_DIR / ".venv" / "bin" / "gunicorn"), "kam.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", "120",
         "--log-level", "warning", "--access-logfile", str(access_log),
         "--access-logformat", ACCESS_FORMAT],
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
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def service_times(access_log: Path) -> dict[str, list[float]]:
    """Milliseconds per operation from the access log ('<op> <status> <microseconds>')."""
    out: dict[str, list[float]] = defaultdict(list)
    for line in access_log.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in OPS:
            out[parts[0]].append(int(parts[2]) / 1000)
    return out


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- set-up and clean-up -------------------------------------------------------------------------


def restore_file() -> Path:
    return Path(os.environ["KAM_STATE_DIR"]) / "bench-load-restore.json"


def cleanup(tenant) -> dict[str, int]:
    """Undo what a run wrote: LOAD- transactions, the pool's notes, the audit events of the
    load's keys and of this clean-up, then the figures of the touched accounts."""
    from django.db import connection, transaction

    from accounts.figures.services import figures_recompute_accounts

    done = {"transactions": 0, "accounts": 0, "events": 0}
    with in_bench_tenant(tenant), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT account_id FROM accounts_transaction WHERE tenant_id = %s "
                       "AND external_id LIKE %s", [tenant.pk, PREFIX + "%"])
        touched = [row[0] for row in cursor.fetchall()]
        cursor.execute("DELETE FROM accounts_transaction WHERE tenant_id = %s "
                       "AND external_id LIKE %s", [tenant.pk, PREFIX + "%"])
        done["transactions"] = cursor.rowcount
        path = restore_file()
        if path.exists():
            saved = json.loads(path.read_text())
            cursor.execute(
                "UPDATE accounts_account a SET notes = s.notes, updated_at = s.updated_at::timestamptz "
                "FROM jsonb_to_recordset(%s::jsonb) AS s(id bigint, notes text, updated_at text) "
                "WHERE a.tenant_id = %s AND a.id = s.id "
                "AND (a.notes, a.updated_at) IS DISTINCT FROM (s.notes, s.updated_at::timestamptz)",
                [json.dumps(saved), tenant.pk])
            done["accounts"] = cursor.rowcount
    with connection.as_owner(), in_bench_tenant(tenant), transaction.atomic(), \
            connection.cursor() as cursor:
        for table in ("accounts_transactionevent", "accounts_accountevent"):
            cursor.execute(
                f"DELETE FROM {table} WHERE tenant_id = %s AND (pgh_context->>'command' = %s "  # noqa: S608
                "OR pgh_context->>'api_key_name' LIKE %s)", [tenant.pk, COMMAND, KEY_PREFIX + "%"])
            done["events"] += cursor.rowcount
    if touched:
        figures_recompute_accounts(tenant_id=tenant.pk, account_ids=touched)
    restore_file().unlink(missing_ok=True)
    return done


def prepare(tenant, seed: int) -> dict:
    """Ids, the update pool (its notes saved for the clean-up), an API key and a session."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from kam.services import api_key_create
    from kam.tenancy import tenant_context

    with in_bench_tenant(tenant), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM accounts_account WHERE tenant_id = %s ORDER BY id",
                       [tenant.pk])
        account_ids = [row[0] for row in cursor.fetchall()]
        pool = sorted(random.Random(seed).sample(account_ids, POOL_SIZE))
        cursor.execute("SELECT id, notes, updated_at FROM accounts_account WHERE tenant_id = %s "
                       "AND id = ANY(%s)", [tenant.pk, pool])
        saved = [{"id": i, "notes": n, "updated_at": u.isoformat()} for i, n, u in cursor.fetchall()]
        cursor.execute("SELECT DISTINCT owner_id FROM accounts_account WHERE tenant_id = %s "
                       "AND owner_id IS NOT NULL", [tenant.pk])
        owners = sorted(row[0] for row in cursor.fetchall())
    restore_file().write_text(json.dumps(saved))
    with tenant_context(tenant):
        key, raw = api_key_create(name=f"{KEY_PREFIX}{time.time_ns()}", scopes=["read", "write"])
    client = Client()
    client.force_login(get_user_model().objects.get(username=BENCH_ADMIN))
    return {"account_ids": account_ids, "pool": pool, "owners": owners, "key": raw,
            "key_id": key.pk, "session": client.cookies["sessionid"].value}


def finish(tenant, setup: dict) -> dict[str, int]:
    from django.contrib.sessions.models import Session

    from kam.services import api_key_revoke
    from kam.tenancy import tenant_context

    done = cleanup(tenant)
    with tenant_context(tenant):
        api_key_revoke(key_id=setup["key_id"])
    Session.objects.filter(session_key=setup["session"]).delete()
    return done


# --- one run and the tables ----------------------------------------------------------------------


def one_run(setup: dict, args, workers: int, workdir: Path) -> dict:
    access_log = workdir / f"access-{workers}.log"
    config = {**{k: setup[k] for k in ("account_ids", "pool", "owners", "key", "session")},
              "users": args.users, "spawn_rate": args.spawn_rate, "duration": args.duration,
              "think": args.think, "bulk_rows": args.bulk_rows, "seed": args.seed + workers}
    config_path, result_path = workdir / "config.json", workdir / f"result-{workers}.json"
    cpu_before, server_cpu_before = cpu_times(), children_cpu()
    load_before = os.getloadavg()
    with server(workers, access_log) as url:
        config["url"] = url
        config_path.write_text(json.dumps(config))
        server_started_cpu = children_cpu()
        client = subprocess.run([sys.executable, __file__, "--client", str(config_path),
                                 str(result_path)], check=False)
        client_cpu = children_cpu() - server_started_cpu
    cpu_after = cpu_times()
    server_cpu = children_cpu() - server_cpu_before - client_cpu
    if client.returncode != 0:
        raise RuntimeError(f"the Locust client failed (exit {client.returncode})")
    result = json.loads(result_path.read_text())
    result.update(workers=workers, service=service_times(access_log),
                  machine_busy=(cpu_after[0] - cpu_before[0]) / max(1, cpu_after[1] - cpu_before[1]),
                  client_cpu=client_cpu, server_cpu=server_cpu, load_before=load_before,
                  load_after=os.getloadavg())
    return result


def summarize(result: dict) -> tuple[list[list[object]], dict[str, object]]:
    seconds = result["seconds"]
    rows, everything, all_service, errors = [], [], [], 0
    for op in OPS:
        times = result["samples"].get(op, [])
        service = result["service"].get(op, [])
        failed = result["failures"].get(op, 0)
        errors += failed
        everything += times
        all_service += service
        rows.append(_row(OP_LABELS[op], times, failed, service, seconds))
    rows.append(_row("all", everything, errors, all_service, seconds))
    total = {"workers": result["workers"], "rps": len(everything) / seconds,
             "errors": errors / max(1, len(everything)),
             "p50": median(everything) if everything else 0,
             "p99": percentile(everything, 99) if everything else 0,
             "service": sum(all_service) / max(1, len(all_service)),
             "list": median(result["service"].get("list", [0])),
             "360": median(result["service"].get("360", [0])),
             "busy": result["machine_busy"]}
    return rows, total


def _row(label: str, times: list[float], failed: int, service: list[float], seconds: float
         ) -> list[object]:
    if not times:
        return [label, 0, "-", "-", "-", "-", "-", "-", "-", "-", "-"]
    return [label, len(times), f"{len(times) / seconds:.1f}", f"{100 * failed / len(times):.2f} %",
            f"{median(times):.0f}", f"{percentile(times, 95):.0f}", f"{percentile(times, 99):.0f}",
            f"{median(service):.1f}" if service else "-",
            f"{percentile(service, 95):.1f}" if service else "-",
            f"{percentile(service, 99):.1f}" if service else "-",
            f"{sum(service) / len(service):.1f}" if service else "-"]


def print_run(result: dict, args) -> dict[str, object]:
    rows, total = summarize(result)
    one, five, _ = result["load_after"]
    print(f"\ngunicorn {result['workers']} sync workers, {args.users} users (think "
          f"{args.think:g} s), {result['seconds']:.0f} s measured; load average before "
          f"{result['load_before'][0]:.2f}, after {one:.2f} (1 min), {five:.2f} (5 min) on "
          f"{os.cpu_count()} CPUs; machine CPU busy {100 * result['machine_busy']:.0f} % "
          f"(gunicorn {result['server_cpu']:.0f} s, Locust {result['client_cpu']:.0f} s of CPU)\n")
    print_table(["operation", "requests", "req/s", "errors", "p50 ms", "p95 ms", "p99 ms",
                 "service p50", "service p95", "service p99", "service mean"], rows)
    for op, texts in result["messages"].items():
        print(f"  {op} failures, e.g.: {'; '.join(texts)}")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=float, default=300, help="seconds measured per run")
    parser.add_argument("--workers", type=int, nargs="+", default=[4],
                        help="gunicorn sync workers; one run per value")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean seconds a user waits between requests")
    parser.add_argument("--spawn-rate", type=float, default=20, help="users started per second")
    parser.add_argument("--bulk-rows", type=int, default=100)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--client", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        return run_client(*args.client)
    try:
        import locust  # noqa: F401
    except ImportError:
        sys.exit('Locust is missing: .venv/bin/pip install -e ".[bench]"')

    setup_django()
    tenant = bench_tenant()
    leftover = cleanup(tenant)  # rows of an interrupted run
    if any(leftover.values()):
        print(f"cleaned up an earlier run: {leftover}")
    setup = prepare(tenant, args.seed)
    totals = []
    try:
        with tempfile.TemporaryDirectory(prefix="kam-load-") as tmp:
            for workers in args.workers:
                result = one_run(setup, args, workers, Path(tmp))
                totals.append(print_run(result, args))
    finally:
        done = finish(tenant, setup)
        print(f"\nclean-up: {done['transactions']:,} transactions deleted, {done['accounts']:,} "
              f"accounts restored, {done['events']:,} audit events deleted; key revoked")
    if len(totals) > 1:
        print("\nworkers compared (latency: client side, ms; service: server side, ms)\n")
        print_table(["workers", "req/s", "errors", "p50", "p99", "service mean", "list service p50",
                     "360° service p50", "CPU busy"],
                    [[t["workers"], f"{t['rps']:.1f}", f"{100 * t['errors']:.2f} %",
                      f"{t['p50']:.0f}", f"{t['p99']:.0f}", f"{t['service']:.1f}",
                      f"{t['list']:.1f}", f"{t['360']:.1f}", f"{100 * t['busy']:.0f} %"]
                     for t in totals])
    return 0


if __name__ == "__main__":
    sys.exit(main())
