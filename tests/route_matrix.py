"""The route matrix's one walker (tests/kam/test_route_matrix.py): walk every URL pattern and every
OpenAPI operation, build two tenants' worth of objects, send one request and judge the outcome.

The expectations and the object builders live beside each app's tests, in ``tests/<app>/routes.py``
(PAGES, OPERATIONS, PARAMS, LITERAL_PARAMS, API_COLLECTIONS, A1_KINDS and ``build(...)``); this
module collects them (``tables()``) and knows nothing of any app. A route or operation missing from
every table still fails, and so does an entry whose route is gone.

Each row has one outcome per identity, in this column order:

    owner       a manager of tenant A who owns account A1 (the account every URL addresses)
    stranger    a manager of tenant A who is neither A1's owner nor on its team
    admin       tenant A's administrator
    executive   tenant A's executive
    read_key    a read-only API key of tenant A
    other_user  tenant B's administrator (the outsider at their most powerful)
    other_key   a read+write API key of tenant B

Outcomes: a status code; ``L`` = redirected to the login page; ``AL`` = redirected to the Django
admin's login; ``302`` = redirected elsewhere (a successful form post). Pages are visited with the
session of users; API keys are sent as ``Authorization: Bearer`` everywhere (pages ignore them, so a
key gets ``L`` on pages). URL parameters are filled with tenant A's objects (PARAMS), so for
tenant B the object is addressed but not theirs: 404. Tenant B gets 200 where no object is addressed
(lists, its own settings) — and the test then checks that no row of tenant A is in the response.
A create whose body names tenant A's objects (account, parent, member) is a 400 for tenant B: the
reference "does not exist" in their tenant. Every write of every identity that is expected to fail
is checked to leave tenant A's data unchanged.
"""

from __future__ import annotations

import copy
import json
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from rest_framework.test import APIClient

from kam import clock
from kam.models import ApiKey, Membership, Tenant
from kam.roles import Role
from kam.services import api_key_create, tenant_create
from kam.tenancy import tenant_context
from tests.conftest import make_member

# --- identities -------------------------------------------------------------------------------------

# The columns of every row of the table, in this order.
IDENTITIES: tuple[str, ...] = (
    "owner",       # a manager of tenant A who owns account A1
    "stranger",    # a manager of tenant A who is neither owner nor on the team of A1
    "admin",       # tenant A's administrator
    "executive",   # tenant A's executive
    "read_key",    # a read-only API key of tenant A
    "other_user",  # tenant B's administrator (the outsider at their most powerful)
    "other_key",   # a read+write API key of tenant B
)
OUTSIDERS = frozenset({"other_user", "other_key"})

# Outcomes that are not a plain status code.
LOGIN = "login"              # 302 to the login page (LOGIN_URL)
ADMIN_LOGIN = "admin-login"  # 302 to the Django admin's login page
REDIRECT = 302               # 302 anywhere else (a successful form post, "/" -> the account list)

# Every user-visible string of tenant A contains TOKEN_A; those of account A1 (its contacts,
# contracts, transactions, the owner's import) contain TOKEN_A1 as well. Tenant B's carry TOKEN_B.
TOKEN_A = "qzalpha"
TOKEN_A1 = "qzalpha1"
TOKEN_B = "qzbravo"


# --- the world ----------------------------------------------------------------------------------------


@dataclass
class World:
    tenant_a: Tenant
    tenant_b: Tenant
    members: dict[str, Membership]  # identity (or helper role) -> membership; "b_*" for tenant B
    raw_keys: dict[str, str]        # identity -> the raw API key
    a: dict[str, Any]               # tenant A's objects by kind ("account", "contact", ...)
    b: dict[str, Any]               # tenant B's copies
    a1_ids: dict[type[models.Model], set[int]] = field(default_factory=dict)
    a_ids: dict[type[models.Model], set[int]] = field(default_factory=dict)  # filled lazily

    def tenant_a_ids(self, model: type[models.Model]) -> set[int]:
        if model not in self.a_ids:
            with tenant_context(self.tenant_a):
                manager = getattr(model, "unscoped_all_tenants", None) or model._base_manager
                self.a_ids[model] = set(manager.filter(tenant_id=self.tenant_a.pk)
                                        .values_list("pk", flat=True))
        return self.a_ids[model]


def _key(tenant: Tenant, name: str, scopes: list[str]) -> str:
    with tenant_context(tenant):
        key, raw = api_key_create(name=name, scopes=scopes)
        # API-key use is recorded at most once a minute (kam.services.api_key_touch). Every request
        # of the matrix is rolled back, so each would record it again and tenant A's ApiKey row
        # would look changed; a last use in the future keeps the row still.
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=clock.now() + timedelta(days=1))
    return raw


def build_world() -> World:
    tenant_a = tenant_create(name=f"{TOKEN_A}0 精密制造", slug=f"{TOKEN_A}0", default_language="en")
    tenant_b = tenant_create(name=f"{TOKEN_B}0 Components", slug=f"{TOKEN_B}0",
                             default_language="en")
    members = {
        "owner": make_member(tenant_a, f"{TOKEN_A}0_owner", Role.MANAGER),
        "stranger": make_member(tenant_a, f"{TOKEN_A}0_stranger", Role.MANAGER),
        "admin": make_member(tenant_a, f"{TOKEN_A}0_admin", Role.ADMIN),
        "executive": make_member(tenant_a, f"{TOKEN_A}0_exec", Role.EXECUTIVE),
        "teammate": make_member(tenant_a, f"{TOKEN_A}0_teammate", Role.MANAGER),
        "target": make_member(tenant_a, f"{TOKEN_A}0_target", Role.MANAGER),
        "b_admin": make_member(tenant_b, f"{TOKEN_B}0_admin", Role.ADMIN),
        "b_owner": make_member(tenant_b, f"{TOKEN_B}0_owner", Role.MANAGER),
        "b_teammate": make_member(tenant_b, f"{TOKEN_B}0_teammate", Role.MANAGER),
        "b_target": make_member(tenant_b, f"{TOKEN_B}0_target", Role.MANAGER),
    }
    members["other_user"] = members["b_admin"]
    a: dict[str, Any] = {"tenant": tenant_a}
    b: dict[str, Any] = {"tenant": tenant_b}
    for table in tables():  # every app adds its objects of both tenants
        a.update(table.build(tenant_a, TOKEN_A, owner=members["owner"],
                             teammate=members["teammate"], target=members["target"]))
        b.update(table.build(tenant_b, TOKEN_B, owner=members["b_owner"],
                             teammate=members["b_teammate"], target=members["b_target"]))
    raw_keys = {
        "read_key": _key(tenant_a, f"{TOKEN_A}0 read", ["read"]),
        "other_key": _key(tenant_b, f"{TOKEN_B}0 read-write", ["read", "write"]),
    }
    world = World(tenant_a=tenant_a, tenant_b=tenant_b, members=members, raw_keys=raw_keys, a=a,
                  b=b)
    for table in tables():
        for kind in table.a1_kinds:  # the objects of account A1 the stranger must not see
            obj = a[kind]
            world.a1_ids.setdefault(type(obj), set()).add(obj.pk)
    return world


def clients_for(world: World, identity: str) -> tuple[Client, APIClient]:
    """(page client, API client) of an identity: sessions for users, Bearer keys for keys."""
    page, api = Client(), APIClient()
    if identity in world.raw_keys:
        header = f"Bearer {world.raw_keys[identity]}"
        page.defaults["HTTP_AUTHORIZATION"] = header
        api.credentials(HTTP_AUTHORIZATION=header)
    else:
        user = world.members[identity].user
        page.force_login(user)
        api.force_login(user)
    return page, api


# --- the apps' tables ----------------------------------------------------------------------------------

L = LOGIN
AL = ADMIN_LOGIN


def every(outcome: Any) -> tuple[Any, ...]:
    return (outcome,) * len(IDENTITIES)


@dataclass(frozen=True)
class Page:
    """A URL pattern: outcome per identity for each method sent to it."""

    expect: dict[str, tuple[Any, ...]]
    params: dict[str, str] = field(default_factory=dict)  # URL parameter -> object kind (of A)
    body: Callable[[World], dict] | None = None            # form data for POST
    optional: bool = False  # only exists in some configurations (DEBUG's static files)
    query: Callable[[World], dict] | None = None           # the URL's query string, e.g. a search


@dataclass(frozen=True)
class Op:
    """An OpenAPI operation: outcome per identity."""

    expect: tuple[Any, ...]
    body: Callable[[World], Any] | None = None  # JSON body of writes
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Table:
    """One app's part of the matrix (tests/<app>/routes.py)."""

    module: str
    pages: dict[str, Page]
    operations: dict[str, Op]
    params: dict[str, str]                          # URL parameter -> object kind (World.a[kind])
    literal_params: dict[str, Callable[[World], Any]]
    api_collections: dict[str, str]                 # API path segment before {id} -> object kind
    a1_kinds: tuple[str, ...]                       # kinds of account A1's objects (the stranger's)
    build: Callable[..., dict[str, Any]]            # (tenant, token, owner=, teammate=, target=)


@cache
def tables() -> tuple[Table, ...]:
    """The ``tests/<app>/routes.py`` of every project app (kam first), as tables."""
    import importlib
    from importlib.util import find_spec
    from pathlib import Path

    from django.conf import settings

    found = []
    names = ["kam"] + [c.name for c in apps.get_app_configs() if c.name != "kam"
                       and Path(c.path).parent == Path(settings.BASE_DIR)]
    for name in names:
        module_name = f"tests.{name}.routes"
        if find_spec(f"tests.{name}") is None or find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        found.append(Table(
            module=module_name, pages=getattr(module, "PAGES", {}),
            operations=getattr(module, "OPERATIONS", {}), params=getattr(module, "PARAMS", {}),
            literal_params=getattr(module, "LITERAL_PARAMS", {}),
            api_collections=getattr(module, "API_COLLECTIONS", {}),
            a1_kinds=tuple(getattr(module, "A1_KINDS", ())),
            build=getattr(module, "build", lambda *args, **kwargs: {})))
    return tuple(found)


def merged(attribute: str) -> dict[str, Any]:
    """One attribute of every table, merged; a key two apps both claim is an error."""
    out: dict[str, Any] = {}
    for table in tables():
        for key, value in getattr(table, attribute).items():
            if key in out:
                raise AssertionError(f"{key!r} is in the {attribute} of two apps' routes.py")
            out[key] = value
    return out


# --- tenant data snapshots ----------------------------------------------------------------------------


def tenant_models() -> list[type[models.Model]]:
    """Every model with a ``tenant`` foreign key: all tenant-owned data, audit rows included."""
    found = []
    for model in apps.get_models():
        f = next((f for f in model._meta.concrete_fields if f.name == "tenant"), None)
        if f is not None and f.is_relation and f.related_model is Tenant and f.concrete:
            found.append(model)
    return sorted(found, key=lambda m: m._meta.label)


@cache
def _snapshot_sql() -> str:
    """One statement: per tenant table, the row count and an md5 of all its rows in key order."""
    from django.db import connection

    q = connection.ops.quote_name
    parts = []
    for model in tenant_models():
        meta = model._meta
        tenant_column = meta.get_field("tenant").column
        # Identifiers from the models' own metadata, quoted; the tenant is a parameter.
        select = (
            f"SELECT '{meta.label}' AS label, count(*) AS n, "  # noqa: S608
            f"md5(coalesce(string_agg(t::text, '|' ORDER BY t.{q(meta.pk.column)}), '')) AS digest "
            f"FROM {q(meta.db_table)} t WHERE t.{q(tenant_column)} = %(tenant)s")
        parts.append(select)
    return "\nUNION ALL\n".join(parts)


def snapshot(tenant: Tenant) -> dict[str, tuple[int, str]]:
    """All of a tenant's rows, table by table (count, digest), read as that tenant."""
    from django.db import connection

    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute(_snapshot_sql(), {"tenant": tenant.pk})
        return {label: (n, digest) for label, n, digest in cursor.fetchall()}


def snapshot_diff(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    changed = []
    for label in sorted(set(before) | set(after)):
        old, new = before.get(label, (0, "")), after.get(label, (0, ""))
        if old != new:
            changed.append(f"{label}: {old[0]} rows -> {new[0]} rows"
                           + ("" if old[0] != new[0] else " (values changed)"))
    return changed


# --- URL patterns -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UrlRoute:
    key: str                  # the table key: "name", "namespace:name", or the route if unnamed
    name: str | None          # the name to reverse (with namespace), None if unnamed
    route: str                # the full route, e.g. "accounts/<int:account_id>/edit/"
    chain: tuple[Any, ...]    # the patterns from the root to this one (for unnamed URLs)
    callback: Callable
    kwargs: tuple[str, ...]   # the captured parameters
    defaults: tuple[tuple[str, Any], ...]

    @property
    def namespace(self) -> str:
        return self.key.split(":", 1)[0] if ":" in self.key else ""

    @property
    def viewset(self) -> type | None:
        cls = getattr(self.callback, "cls", None)
        return cls if getattr(self.callback, "actions", None) else None

    @property
    def actions(self) -> dict[str, str]:
        return dict(getattr(self.callback, "actions", None) or {})


def _captured(pattern: Any) -> list[str]:
    regex = pattern.regex
    return list(regex.groupindex)


def _walk(resolver: URLResolver, chain: tuple, namespace: str | None) -> Iterator[UrlRoute]:
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p, (*chain, p.pattern), ns)
        elif isinstance(p, URLPattern):
            full = (*chain, p.pattern)
            route = "".join(str(x) for x in full)
            name = (f"{namespace}:{p.name}" if namespace else p.name) if p.name else None
            if name:
                key = name
            else:
                key = f"{namespace}:{route}" if namespace else route
            kwargs = tuple(k for x in full for k in _captured(x))
            yield UrlRoute(key=key, name=name, route=route, chain=full, callback=p.callback,
                           kwargs=kwargs, defaults=tuple(sorted(p.default_args.items())))


@cache
def url_routes() -> tuple[UrlRoute, ...]:
    return tuple(_walk(get_resolver(), (), None))


def _fill_regex(regex: str, values: dict[str, Any]) -> str:
    """Replace each (?P<name>...) group (nested parentheses allowed) by its value."""
    out, i = [], 0
    while i < len(regex):
        m = re.compile(r"\(\?P<(\w+)>").match(regex, i)
        if not m:
            out.append(regex[i])
            i += 1
            continue
        depth, j = 1, m.end()
        while depth:
            ch = regex[j]
            if ch == "\\":
                j += 2
                continue
            depth += {"(": 1, ")": -1}.get(ch, 0)
            j += 1
        out.append(str(values[m.group(1)]))
        i = j
    text = "".join(out).lstrip("^").rstrip("$")
    return text.replace("/?", "/").replace("\\.", ".").replace("\\", "")


def build_url(route: UrlRoute, values: dict[str, Any]) -> str:
    kwargs = {k: values[k] for k in route.kwargs}
    if route.name:
        url = reverse(route.name, kwargs=kwargs or None)
    else:
        parts = []
        for pattern in route.chain:
            text = str(pattern)
            if hasattr(pattern, "converters") and not text.startswith("^"):  # path()
                text = re.sub(r"<(?:[^>:]+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), text)
            else:
                text = _fill_regex(text, kwargs)
            parts.append(text)
        url = "/" + "".join(parts)
    match = resolve(url.split("?")[0])
    if match.func is not route.callback:
        raise AssertionError(f"{route.key}: {url} resolves to {match.route!r}, not {route.route!r}")
    return url


# --- the OpenAPI schema -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str        # "GET", "POST", ...
    path: str          # the template, e.g. "/api/v1/accounts/{id}/"
    params: tuple[str, ...]
    has_body: bool


@cache
def schema_operations() -> tuple[Operation, ...]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    ops = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method.startswith("x-") or method == "parameters":
                continue
            ops.append(Operation(operation_id=op["operationId"], method=method.upper(), path=path,
                                 params=tuple(re.findall(r"{(\w+)}", path)),
                                 has_body="requestBody" in op))
    return tuple(ops)


# --- sending a request and judging it -----------------------------------------------------------------


class _Rollback(Exception):  # control flow: leave the savepoint by rolling it back
    pass


@dataclass
class Verdict:
    label: Any                    # what the table calls the outcome: 200, "login", ...
    problems: list[str]           # leaks, changed data, a 500 — each a failure


def outcome_label(response: HttpResponse) -> Any:
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.get("Location", "")
        path = location.split("?")[0]
        if path == reverse("admin:login"):
            return ADMIN_LOGIN
        if path == reverse("kam:login"):
            return LOGIN
        return response.status_code
    return response.status_code


def response_text(response: HttpResponse) -> str:
    if getattr(response, "streaming", False):
        # The test client closes the response when the stream ends (closing it again here would
        # fire request_finished and close the database connection of the test's transaction).
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    headers = " ".join(f"{k}: {v}" for k, v in response.items())
    return (body.decode("utf-8", errors="replace") + "\n" + headers).lower()


def _result_ids(response: HttpResponse) -> list[int]:
    if getattr(response, "streaming", False) or not response.get("Content-Type", "").startswith(
            "application/json"):
        return []
    try:
        data = json.loads(response.content)
    except ValueError:
        return []
    rows = data.get("results") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        return []
    return [r["id"] for r in rows if isinstance(r, dict) and isinstance(r.get("id"), int)]


def check(*, world: World, identity: str, client: Client, method: str, url: str,
          data: Any = None, json_body: bool = False, list_model: type[models.Model] | None = None,
          expect_unchanged: bool) -> Verdict:
    """Send one request inside a savepoint that is always rolled back; judge what came back."""
    problems: list[str] = []
    verdict = Verdict(label=None, problems=problems)
    before = snapshot(world.tenant_a) if expect_unchanged else None
    kwargs: dict[str, Any] = {}
    if data is not None:
        kwargs["data"] = data
        if json_body:
            kwargs["format"] = "json"
    cookies = copy.deepcopy(client.cookies)
    try:
        with transaction.atomic():
            call = getattr(client, method.lower())
            response = call(url, **kwargs)
            verdict.label = outcome_label(response)
            text = response_text(response)
            if identity in OUTSIDERS:
                if TOKEN_A in text:
                    problems.append(f"tenant A's data ({TOKEN_A}…) in the response")
            else:
                if TOKEN_B in text:
                    problems.append(f"tenant B's data ({TOKEN_B}…) in the response")
            if identity == "stranger" and TOKEN_A1 in text:
                problems.append(f"account A1's data ({TOKEN_A1}…) shown to a manager not on it")
            if list_model is not None and identity in OUTSIDERS | {"stranger"}:
                ids = set(_result_ids(response))
                if identity in OUTSIDERS:
                    hidden = world.tenant_a_ids(list_model)
                else:
                    hidden = world.a1_ids.get(list_model, set())
                if ids & hidden:
                    problems.append(f"list shows hidden {list_model.__name__} ids {sorted(ids & hidden)}")
            if before is not None:
                changed = snapshot_diff(before, snapshot(world.tenant_a))
                if changed:
                    problems.append("tenant A's data changed: " + "; ".join(changed))
            raise _Rollback
    except _Rollback:
        pass
    except Exception:  # noqa: BLE001 - a server error is a finding, reported with its traceback
        verdict.label = 500
        problems.append("server error:\n" + traceback.format_exc(limit=12))
    finally:
        client.cookies = cookies  # logout / set_language must not change the next request
    return verdict


def content_type_id() -> int:
    return ContentType.objects.get_for_model(Tenant).pk
