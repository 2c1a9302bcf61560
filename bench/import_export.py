"""Import and export at scale: wall time and peak memory, each in a fresh child process.

    KAM_STATE_DIR=.kam/bench .venv/bin/python bench/generate.py        # once: the bench tenant
    KAM_STATE_DIR=.kam/bench .venv/bin/python bench/import_export.py

Every measurement runs in its own Python process so its peak RSS (ru_maxrss) is its own; a
baseline process that only boots Django and runs one query gives the fixed cost, and the table
shows peak minus baseline. "Flat memory" is shown by a ratio measured in the same run: the same
operation on ~10x fewer rows should need about the same memory (ratio near 1), not 10x.

Targets (issue 3): import 100k accounts <= 60 s; export 100k rows <= 15 s; memory flat.
Since issue 4 the import also writes an audit event per created or updated account (statement
triggers), and every query runs under row-level security: both are part of what is measured.
"""

from __future__ import annotations

import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
BENCH_SLUG = "bench"
IMPORT_SLUG = "bench-import"
BENCH_USER = "bench.admin"


def _setup_django() -> None:
    os.environ.setdefault("KAM_STATE_DIR", str(BASE_DIR / ".kam" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    from kam import devstack

    devstack.up()
    import django

    django.setup()


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _admin_client(slug: str, username: str = BENCH_USER):
    """An admin of ``slug`` only: one user per tenant, so the session cannot land elsewhere."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from kam.models import Membership, Tenant
    from kam.roles import Role
    from kam.tenancy import tenant_context

    tenant, _ = Tenant.objects.get_or_create(slug=slug, defaults={"name": slug})
    user, _ = get_user_model().objects.get_or_create(username=username)
    with tenant_context(tenant):
        Membership.objects.get_or_create(user=user, defaults={"tenant": tenant, "role": Role.ADMIN})
    client = Client()
    client.force_login(user)
    client.get("/accounts/")  # the session learns the tenant
    return tenant, user, client


# --- child operations ---------------------------------------------------------------------------


def op_baseline(_arg: str) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"rows": 0, "bytes": 0}


def op_export(arg: str) -> dict:
    """arg: kind:format[:query string]"""
    kind, fmt, *rest = arg.split(":", 2)
    _tenant, _user, client = _admin_client(BENCH_SLUG)
    query = f"?format={fmt}" + (f"&{rest[0]}" if rest and rest[0] else "")
    response = client.get(f"/export/{kind}/{query}")
    assert response.status_code == 200, response.status_code
    size = 0
    lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        if fmt == "csv":
            lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    return {"rows": max(lines - 1, 0) if fmt == "csv" else None, "bytes": size}


def op_import(arg: str) -> dict:
    """arg: [fresh:]path of a CSV of accounts, imported into a separate tenant (upsert by
    external_id); "fresh:" first removes that tenant's accounts so every row is new."""
    from accounts.imports import run as imports

    tenant, _user, _client = _admin_client(IMPORT_SLUG, username="bench.importer")
    result = imports.bench_import_file(tenant=tenant, path=Path(arg), kind="accounts")
    return {"rows": result.get("total"), "bytes": Path(arg).stat().st_size, **result}


OPS = {"baseline": op_baseline, "export": op_export, "import": op_import}


def _reset_import_tenant() -> None:
    """Outside the measurement: the import tenant holds only accounts, removed in one statement.

    As that tenant (row-level security, issue 4) and as the owner role: the delete writes audit
    events, and the event tables are append-only for kam_app; their rows of this tenant are removed
    too, so every run imports against the same (empty) event table."""
    from django.db import connection, transaction

    from kam.audit import audit_context
    from kam.models import Tenant
    from kam.tenancy import tenant_context

    tenant = Tenant.objects.filter(slug=IMPORT_SLUG).first()
    if tenant is not None:
        with connection.as_owner(), tenant_context(tenant), \
                audit_context(actor="command", command="bench/import_export"), \
                transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM accounts_account WHERE tenant_id = %s", [tenant.pk])
            cursor.execute("DELETE FROM accounts_accountevent WHERE tenant_id = %s", [tenant.pk])


def _child(op: str, arg: str) -> None:
    _setup_django()
    if op == "import" and arg.startswith("fresh:"):
        arg = arg.removeprefix("fresh:")
        _reset_import_tenant()
    started = time.perf_counter()
    result = OPS[op](arg)
    result["seconds"] = time.perf_counter() - started
    result["peak_kib"] = _peak_kib()
    print("RESULT " + json.dumps(result, default=str))


# --- parent -------------------------------------------------------------------------------------


def run(op: str, arg: str = "") -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", op, arg], capture_output=True, text=True,
        cwd=BASE_DIR, timeout=900, check=False)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"{op} {arg} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")


def write_accounts_csv(path: Path, rows: int, seed: int = 7) -> None:
    """Streamed to disk, so the file's size never sits in this process's memory."""
    rng = random.Random(seed)
    industries = ["manufacturing", "energy", "retail", "logistics", "electronics", "chemicals"]
    statuses = ["active", "active", "active", "prospect", "at_risk"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["外部编号", "客户名称", "行业", "省份", "城市", "员工人数", "生命周期状态",
                         "战略价值", "信用等级"])
        for i in range(rows):
            writer.writerow([f"IMP-{i:07d}", f"导入测试客户{i:07d}有限公司", rng.choice(industries),
                             "江苏省", "苏州", rng.randint(10, 50000), rng.choice(statuses),
                             rng.randint(1, 5), rng.choice("ABCD")])


def main() -> int:
    baseline = run("baseline")
    base_kib = baseline["peak_kib"]
    table: list[tuple[str, str, str, str, str]] = []

    def add(label: str, res: dict) -> None:
        extra_mib = (res["peak_kib"] - base_kib) / 1024
        rows = res.get("rows")
        table.append((label, f"{rows:,}" if isinstance(rows, int) else "-",
                      f"{res['seconds']:.1f}", f"{extra_mib:.0f}",
                      f"{res['bytes'] / 1e6:.1f}"))
        return extra_mib

    mem = {}
    mem["csv_small"] = add("export accounts CSV (10k, q filter)",
                           run("export", "accounts:csv:q=00"))
    mem["csv"] = add("export accounts CSV (all)", run("export", "accounts:csv"))
    mem["xlsx_small"] = add("export accounts xlsx (10k, q filter)",
                            run("export", "accounts:xlsx:q=00"))
    mem["xlsx"] = add("export accounts xlsx (all)", run("export", "accounts:xlsx"))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            small, big = Path(tmp) / "acc10k.csv", Path(tmp) / "acc100k.csv"
            write_accounts_csv(small, 10_000)
            write_accounts_csv(big, 100_000)
            mem["import_small"] = add("import accounts CSV (10k)", run("import", f"fresh:{small}"))
            mem["import"] = add("import accounts CSV (100k, new)", run("import", f"fresh:{big}"))
            add("import accounts CSV (100k, same file again)", run("import", str(big)))
    except RuntimeError as exc:
        print(f"import not measured: {exc}", file=sys.stderr)

    one, five, _ = os.getloadavg()
    print(f"\nbaseline process (Django booted, one query): {base_kib / 1024:.0f} MiB peak RSS; "
          f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs\n")
    print(f"{'operation':<44} {'rows':>9} {'seconds':>8} {'extra MiB':>10} {'file MB':>8}")
    for row in table:
        print(f"{row[0]:<44} {row[1]:>9} {row[2]:>8} {row[3]:>10} {row[4]:>8}")
    print("\nmemory ratio, all rows vs ~1/10 of the rows (flat ≈ 1, proportional ≈ 10):")
    for key in ("csv", "xlsx", "import"):
        if key in mem and f"{key}_small" in mem:
            small = max(mem[f"{key}_small"], 1.0)
            print(f"  {key:<7} {mem[key] / small:5.2f}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
        sys.exit(0)
    sys.exit(main())
