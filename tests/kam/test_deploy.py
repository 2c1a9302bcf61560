"""The production stack: docker-compose.yml and the Dockerfile point at things that exist, and
production settings fail at boot without their secrets and pass ``check --deploy``.

Settings are evaluated once per process, so everything that needs KAM_ENV=production runs in a
subprocess with a controlled environment.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import dj_database_url
import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

BASE_DIR = Path(settings.BASE_DIR)
SETTINGS_FILE = BASE_DIR / "kam" / "settings.py"
APP_SERVICES = ("migrate", "web", "worker", "beat")
REQUIRED_VARS = {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "KAM_ENV",
                 "DJANGO_ALLOWED_HOSTS"}
# Values a user would export before `docker compose up`, for interpolating the compose file.
SAMPLE_SHELL_ENV = {"DJANGO_SECRET_KEY": "s" * 64, "POSTGRES_PASSWORD": "pw0123",
                    "KAM_OWNER_DB_PASSWORD": "owner0123", "KAM_APP_DB_PASSWORD": "app0123",
                    "DJANGO_ALLOWED_HOSTS": "kam.example.com",
                    "EMAIL_URL": "smtp://kam:pw@smtp.example.com:587/?tls=1"}
SUBPROCESS_TIMEOUT = 180


# --- helpers ------------------------------------------------------------------------------------


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text(encoding="utf-8"))


def service(name: str) -> dict[str, Any]:
    return compose()["services"][name]


def command(name: str) -> list[str]:
    cmd = service(name).get("command")
    assert cmd, f"service {name} has no command"
    return shlex.split(cmd) if isinstance(cmd, str) else [str(part) for part in cmd]


def option(cmd: list[str], flag: str) -> str:
    assert flag in cmd, f"{flag} missing from {cmd}"
    return cmd[cmd.index(flag) + 1]


def environment(name: str) -> dict[str, str]:
    env = service(name).get("environment") or {}
    if isinstance(env, list):  # the "KEY=value" list form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


_INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: str, shell_env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, enough for this file."""

    def replace(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"] or "", match["arg"] or ""
        current = shell_env.get(name)
        if op.endswith("?") and not current:
            raise KeyError(f"{name} is required: {arg}")
        if op.endswith("-") and not current:
            return arg
        return current or ""

    return _INTERPOLATION.sub(replace, value)


def clean_env(**overrides: str) -> dict[str, str]:
    """The test process's environment without any KAM/Django configuration, plus overrides."""
    env = {
        k: v for k, v in os.environ.items()
        if not (k.startswith(("DJANGO_", "KAM_"))
                or k in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "DEFAULT_FROM_EMAIL"})
    }
    # Keep the state dir, so nothing computed from it points at another run's servers.
    if "KAM_STATE_DIR" in os.environ:
        env["KAM_STATE_DIR"] = os.environ["KAM_STATE_DIR"]
    env["DJANGO_SETTINGS_MODULE"] = "kam.settings"
    env.update(overrides)
    return env


def database_url_from_settings(role: str = "app") -> str:
    """The test process's database as a URL; a socket directory becomes a percent-encoded host.

    ``role``: "app" (what the application connects as) or "owner" (what migrations use)."""
    db = settings.DATABASES["default"]
    assert db["ENGINE"] == "kam.db"
    user = db.get("APP_USER") if role == "app" else db.get("OWNER_USER")
    password = db.get("PASSWORD") if role == "app" else db.get("OWNER_PASSWORD")
    auth = quote(user or "", safe="")
    if password:
        auth += ":" + quote(password, safe="")
    host = quote(str(db.get("HOST") or ""), safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}"


def production_env(**overrides: str) -> dict[str, str]:
    values = {
        "KAM_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),  # ~86 characters
        "DJANGO_ALLOWED_HOSTS": "kam.example.com",
        "DATABASE_URL": database_url_from_settings(),
        "DATABASE_OWNER_URL": database_url_from_settings("owner"),
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_URL": "smtp://mail.invalid:25",
    }
    return clean_env(**{**values, **overrides})


def run_python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """This interpreter with fixed arguments written in this file: no untrusted input."""
    return subprocess.run([sys.executable, *args], env=env, cwd=BASE_DIR, text=True,  # noqa: S603
                          capture_output=True, timeout=SUBPROCESS_TIMEOUT, check=False)


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_python(str(BASE_DIR / "manage.py"), *args, env=env)


# --- docker-compose.yml -------------------------------------------------------------------------


def test_compose_declares_the_stack():
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= set(services)


def test_postgres_is_16_with_a_volume_and_a_healthcheck():
    postgres = service("postgres")
    assert re.fullmatch(r"postgres:16([.-].*)?", postgres["image"]), postgres["image"]
    assert postgres["healthcheck"]["test"]
    mounts = [str(v).split(":") for v in postgres.get("volumes", [])]
    data = [m for m in mounts if len(m) >= 2 and m[1] == "/var/lib/postgresql/data"]
    assert data, "the database must live in a volume"
    assert data[0][0] in (compose().get("volumes") or {}), "a named volume, declared at top level"
    # The roles and the database come from the init script, run by the image's superuser.
    init = [m for m in mounts if len(m) >= 2 and m[1].startswith("/docker-entrypoint-initdb.d/")]
    assert init and (BASE_DIR / init[0][0]).is_file(), "the roles' init script must be mounted"
    script = (BASE_DIR / init[0][0]).read_text()
    assert "CREATE ROLE kam_owner" in script and "CREATE ROLE kam_app" in script
    assert "NOBYPASSRLS" in script and "CREATE DATABASE kam OWNER kam_owner" in script


def test_only_the_migrate_service_has_the_owner_role():
    # Web, worker and beat connect as the application role and never see the owner's password.
    assert environment("migrate")["DATABASE_OWNER_URL"].startswith("postgres://kam_owner:")
    for name in ("web", "worker", "beat"):
        env = environment(name)
        assert "DATABASE_OWNER_URL" not in env
        assert env["DATABASE_URL"].startswith("postgres://kam_app:")


def test_redis_is_7_with_a_healthcheck():
    redis = service("redis")
    assert re.fullmatch(r"redis:7([.-].*)?", redis["image"]), redis["image"]
    assert redis["healthcheck"]["test"]


def test_web_serves_the_wsgi_application_with_gunicorn(db):  # importing kam.wsgi checks the DB role
    cmd = command("web")
    assert cmd[0] == "gunicorn"
    assert importlib.util.find_spec("gunicorn") is not None
    target = next(part for part in cmd[1:] if not part.startswith("-") and ":" in part)
    module_name, _, attr = target.partition(":")
    assert module_name == "kam.wsgi"
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attr))
    assert option(cmd, "--bind") == "0.0.0.0:8000"
    assert int(option(cmd, "--workers")) >= 1


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_celery_services_find_the_kam_app(name):
    from celery import Celery
    from celery.app.utils import find_app

    import kam.celery

    cmd = command(name)
    assert cmd[0] == "celery"
    assert name in cmd
    app = find_app(option(cmd, "-A"))  # exactly how `celery -A kam` resolves it
    assert isinstance(app, Celery)
    assert app is kam.celery.app


def test_beat_has_a_schedule_of_registered_tasks():
    from kam.celery import app

    cmd = command("beat")
    assert option(cmd, "-s").startswith("/tmp/")  # noqa: S108 - writable by the non-root user
    assert app.conf.beat_schedule, "beat without a schedule has nothing to do"
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks, f"{entry['task']} is scheduled but not registered"


def test_migrate_runs_once_before_web_worker_and_beat():
    cmd = command("migrate")
    assert cmd[0] in {"python", "python3"}
    assert (BASE_DIR / cmd[1]).name == "manage.py" and (BASE_DIR / cmd[1]).is_file()
    assert cmd[2] == "migrate" and "migrate" in get_commands()
    assert "--noinput" in cmd or "--no-input" in cmd
    assert service("migrate")["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert service("migrate").get("restart", "no") == "no"
    for name in ("web", "worker", "beat"):
        depends = service(name)["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["redis"]["condition"] == "service_healthy", name


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_are_configured_for_production(name):
    env = environment(name)
    assert REQUIRED_VARS <= set(env), REQUIRED_VARS - set(env)
    assert env["KAM_ENV"] == "production"
    # No default secret: compose refuses to start without it.
    assert re.fullmatch(r"\$\{DJANGO_SECRET_KEY:\?[^}]+\}", env["DJANGO_SECRET_KEY"])
    with pytest.raises(KeyError, match="DJANGO_SECRET_KEY"):
        interpolate(env["DJANGO_SECRET_KEY"], {})

    db = dj_database_url.parse(interpolate(env["DATABASE_URL"], SAMPLE_SHELL_ENV))
    assert (db["ENGINE"], db["HOST"], db["PORT"], db["NAME"], db["USER"]) == (
        "django.db.backends.postgresql", "postgres", 5432, "kam", "kam_app")
    assert db["PASSWORD"] == SAMPLE_SHELL_ENV["KAM_APP_DB_PASSWORD"]
    redis_url = urlsplit(interpolate(env["REDIS_URL"], SAMPLE_SHELL_ENV))
    assert (redis_url.scheme, redis_url.hostname, redis_url.port) == ("redis", "redis", 6379)
    # HTTPS redirect on unless explicitly turned off.
    ssl_redirect = env.get("DJANGO_SECURE_SSL_REDIRECT", "")
    assert interpolate(ssl_redirect, SAMPLE_SHELL_ENV).lower() == "true"


def test_app_services_share_one_environment():
    # One environment for all; migrate adds only the owner role's URL.
    envs = [environment(name) for name in APP_SERVICES]
    migrate = {k: v for k, v in envs[0].items() if k != "DATABASE_OWNER_URL"}
    assert all(env == migrate for env in envs[1:])


_RECORD_READS = """
import json, os, sys
SETTINGS_FILE = sys.argv[1]
seen = set()
_getitem = os._Environ.__getitem__

def _recording_getitem(self, key):
    frame = sys._getframe(1)
    while frame is not None:  # read while settings.py runs (directly or through a helper)
        if frame.f_code.co_filename == SETTINGS_FILE:
            seen.add(key)
            break
        frame = frame.f_back
    return _getitem(self, key)

os._Environ.__getitem__ = _recording_getitem
import django
django.setup()
print("READS=" + json.dumps(sorted(seen)))
"""


def env_names_settings_read(env: dict[str, str]) -> set[str]:
    result = run_python("-c", _RECORD_READS, str(SETTINGS_FILE), env=env)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("READS="))
    return set(json.loads(line.removeprefix("READS=")))


def test_every_variable_the_services_pass_is_read_by_settings():
    read = env_names_settings_read(clean_env()) | env_names_settings_read(production_env())
    assert REQUIRED_VARS <= read
    passed = set().union(*(environment(name) for name in APP_SERVICES))
    assert passed <= read, f"passed but never read by settings.py: {sorted(passed - read)}"


# --- Dockerfile ---------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (BASE_DIR / "Dockerfile").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    result = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def test_dockerfile_installs_the_project_on_python_311_slim():
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    runs = [rest for keyword, rest in instructions if keyword == "RUN"]
    assert any(re.search(r"\bpip install (\S+ )*\.(\s|$)", run) for run in runs)
    # pyproject.toml names README.md as the long description: the build needs it.
    ignored = (BASE_DIR / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", ".kam", ".git", "staticfiles", "__pycache__"} <= set(ignored)
    assert "README.md" not in ignored and "pyproject.toml" not in ignored


def test_dockerfile_collectstatic_values_satisfy_production_settings():
    """The throwaway values the image build uses load production settings (dry run here)."""
    run = next(rest for keyword, rest in dockerfile_instructions()
               if keyword == "RUN" and "collectstatic" in rest)
    build_env = dict(token.split("=", 1) for token in shlex.split(run)
                     if re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", token))
    assert build_env.get("KAM_ENV") == "production"
    assert REQUIRED_VARS <= set(build_env)
    result = run_manage("collectstatic", "--noinput", "--dry-run", env=clean_env(**build_env))
    assert result.returncode == 0, result.stderr


# --- production settings ------------------------------------------------------------------------

_SETUP = "import django; django.setup()"


@pytest.mark.parametrize("secret_key", [None, "", "too-short-" * 4])
def test_production_refuses_to_start_without_a_real_secret_key(secret_key):
    env = production_env()
    if secret_key is None:
        del env["DJANGO_SECRET_KEY"]
    else:
        env["DJANGO_SECRET_KEY"] = secret_key
    result = run_python("-c", _SETUP, env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("name", ["DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "EMAIL_URL"])
def test_production_refuses_to_start_without_its_servers_and_hosts(name):
    env = production_env()
    del env[name]
    result = run_python("-c", _SETUP, env=env)
    assert result.returncode != 0
    assert name in result.stderr


_DUMP = """
import json, django
django.setup()
from django.conf import settings as s
print("SETTINGS=" + json.dumps({
    "DEBUG": s.DEBUG, "ALLOWED_HOSTS": s.ALLOWED_HOSTS, "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE, "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SECURE_PROXY_SSL_HEADER": s.SECURE_PROXY_SSL_HEADER, "HOST": s.DATABASES["default"]["HOST"],
}))
"""


def production_settings(**overrides: str) -> dict[str, Any]:
    result = run_python("-c", _DUMP, env=production_env(**overrides))
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("SETTINGS="))
    return json.loads(line.removeprefix("SETTINGS="))


def test_production_settings_are_secure_by_default():
    values = production_settings(DJANGO_DEBUG="true",
                                 DJANGO_ALLOWED_HOSTS="kam.example.com, www.kam.example.com")
    assert values["DEBUG"] is False  # DJANGO_DEBUG is a development switch only
    assert values["ALLOWED_HOSTS"] == ["kam.example.com", "www.kam.example.com"]
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    # Behind a TLS proxy the redirect stays on: the proxy's header marks requests as secure.
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["HOST"] == str(settings.DATABASES["default"]["HOST"])


def test_production_ssl_redirect_can_be_turned_off():
    assert production_settings(DJANGO_SECURE_SSL_REDIRECT="false")["SECURE_SSL_REDIRECT"] is False


def test_database_url_from_settings_round_trips():
    parsed = dj_database_url.parse(database_url_from_settings())
    db = settings.DATABASES["default"]
    for key in ("HOST", "NAME", "USER"):
        assert str(parsed[key]) == str(db[key] or ""), key


def test_check_deploy_passes_in_production():
    result = run_manage("check", "--deploy", "--database", "default", "--fail-level", "WARNING",
                        env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr, result.stdout + result.stderr
