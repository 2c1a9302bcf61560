"""Every route x every identity (issue 4, "Route matrix").

Walks every URL pattern of the URLconf (includes, i18n, the admin, the schema and docs) and every
operation of the OpenAPI schema, and sends each, with each method the table names, as seven
identities (the owner, a manager not on the account, the admin, the executive, a read-only key of
tenant A; tenant B's admin and a read+write key of tenant B). The expected outcome per identity is
the tables in tests/<app>/routes.py, collected by tests/route_matrix.py. For every request the
test also checks:

- no string of tenant B in what tenant A's identities get, none of tenant A in what tenant B gets,
  and none of account A1's rows (names, ids in a JSON list) in what the manager not on A1 gets;
- tenant A's rows (every model with a tenant, compared before and after inside the request's
  savepoint) are unchanged by every request of tenant B and by every write that is refused;
- a server error is a failure with its traceback.

Each request runs in a savepoint that is rolled back, so a successful delete does not take the
objects away from the next route. Run with ``-s`` to see the counts; they are also module constants
(URL_PATTERNS, PAGE_PATTERNS, API_OPERATIONS, IDENTITY_COUNT, ROUTE_IDENTITY_PAIRS, TOTAL_CHECKS)
for the issue's note.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import models

from tests.route_matrix import (
    ADMIN_LOGIN,
    IDENTITIES,
    LOGIN,
    OUTSIDERS,
    UrlRoute,
    World,
    build_url,
    build_world,
    check,
    clients_for,
    merged,
    schema_operations,
    url_routes,
)

PAGES = merged("pages")
OPERATIONS = merged("operations")
PARAMS = merged("params")
LITERAL_PARAMS = merged("literal_params")
API_COLLECTIONS = merged("api_collections")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Check:
    key: str          # the table key: route name / pattern, or operationId
    kind: str         # "page", "api" (an operation) or "api-format" (a .json suffix of one)
    method: str
    expect: tuple[Any, ...]
    url: Callable[[World], str]
    body: Callable[[World], Any] | None = None
    list_model: type[models.Model] | None = None

    @property
    def label(self) -> str:
        return f"{self.method} {self.key}" + (" (.json)" if self.kind == "api-format" else "")


def _param_value(world: World, name: str, overrides: dict[str, str]) -> Any:
    kind = overrides.get(name) or PARAMS.get(name)
    if kind is not None:
        return world.a[kind].pk
    return LITERAL_PARAMS[name](world)


def _page_url(route: UrlRoute, overrides: dict[str, str],
              query: Callable[[World], dict] | None = None) -> Callable[[World], str]:
    def url(world: World) -> str:
        values = {name: _param_value(world, name, overrides) for name in route.kwargs}
        if query is None:
            return build_url(route, values)
        return f"{build_url(route, values)}?{urlencode(query(world))}"

    return url


def _api_url(path: str, params: dict[str, str]) -> Callable[[World], str]:
    def url(world: World) -> str:
        filled = path
        for name in re.findall(r"{(\w+)}", path):
            filled = filled.replace("{" + name + "}", str(world.a[params[name]].pk))
        return filled

    return url


def _dummy_path(path: str) -> str:
    return re.sub(r"{\w+}", "1", path)


def plan() -> tuple[list[Check], list[str], dict[str, int]]:
    """(the checks for one identity, what is wrong with the table, counts)."""
    from django.urls import resolve

    checks: list[Check] = []
    errors: list[str] = []
    routes = url_routes()
    ops = schema_operations()
    used_keys: set[str] = set()

    # API operations first: which URL pattern serves each (by its callback).
    op_by_callback: dict[Any, dict[str, Any]] = {}
    for op in ops:
        entry = OPERATIONS.get(op.operation_id)
        match = resolve(_dummy_path(op.path))
        op_by_callback.setdefault(match.func, {})[op.method] = op
        if entry is None:
            errors.append(f"operation {op.operation_id} ({op.method} {op.path}) has no entry in "
                          "OPERATIONS of any tests/<app>/routes.py")
            continue
        used_keys.add(op.operation_id)
        params = dict(entry.params)
        for name in op.params:
            if name not in params:
                segments = op.path.strip("/").split("/")
                before = segments[segments.index("{" + name + "}") - 1]
                if before in API_COLLECTIONS:
                    params[name] = API_COLLECTIONS[before]
                else:
                    errors.append(f"operation {op.operation_id}: say which object fills "
                                  f"{{{name}}} (Op(params=...) or API_COLLECTIONS)")
        if op.method not in SAFE_METHODS and op.method != "DELETE" and entry.body is None:
            errors.append(f"operation {op.operation_id}: a write needs a valid body in the table")
        if len(entry.expect) != len(IDENTITIES):
            errors.append(f"operation {op.operation_id}: {len(entry.expect)} outcomes for "
                          f"{len(IDENTITIES)} identities")
            continue
        cls = getattr(match.func, "cls", None)
        model = getattr(cls, "model", None) if op.method == "GET" else None
        checks.append(Check(key=op.operation_id, kind="api", method=op.method,
                            expect=entry.expect, url=_api_url(op.path, params), body=entry.body,
                            list_model=model))

    url_patterns = 0
    for route in routes:
        url_patterns += 1
        if route.viewset is not None:
            # A router URL: its methods are the schema's operations (checked above); each method
            # of the viewset must be one.
            if "format" in route.kwargs:
                # The ".json" twin of a router URL: every method, expected as the plain URL's.
                plain = next((r for r in routes if r.name == route.name
                              and "format" not in r.kwargs), None)
                served = op_by_callback.get(plain.callback, {}) if plain else {}
                for method in route.actions:
                    op = served.get(method.upper())
                    if op is None:
                        errors.append(f"route {route.key} ({route.route}): {method.upper()} is "
                                      "not an operation of the OpenAPI schema")
                        continue
                    entry = OPERATIONS.get(op.operation_id)
                    if entry is None:
                        continue  # reported with the operation
                    # The object the operation's own entry names ({id}), else its collection's.
                    kind = entry.params.get("id") or _collection_kind(op.path)
                    checks.append(Check(
                        key=op.operation_id, kind="api-format", method=op.method,
                        expect=entry.expect, url=_page_url(route, {"pk": kind} if kind else {}),
                        body=entry.body,
                        list_model=getattr(route.viewset, "model", None) if op.method == "GET"
                        else None))
                continue
            served = op_by_callback.get(route.callback, {})
            for method in route.actions:
                if method.upper() not in served:
                    errors.append(f"route {route.key} ({route.route}): {method.upper()} is not an "
                                  "operation of the OpenAPI schema, so nothing checks it")
            continue
        key = route.key
        entry = PAGES.get(key)
        if entry is None and route.namespace == "admin":
            entry, key = PAGES.get("admin:*"), "admin:*"
        if entry is None:
            errors.append(f"route {route.key} ({route.route}) has no entry in PAGES of any "
                          "tests/<app>/routes.py")
            continue
        used_keys.add(key)
        for name in route.kwargs:
            if name not in entry.params and name not in PARAMS and name not in LITERAL_PARAMS:
                errors.append(f"route {route.key}: say which object fills <{name}> (PARAMS)")
        for method, expect in entry.expect.items():
            if len(expect) != len(IDENTITIES):
                errors.append(f"route {route.key} {method}: {len(expect)} outcomes for "
                              f"{len(IDENTITIES)} identities")
                continue
            checks.append(Check(key=route.key, kind="page", method=method, expect=expect,
                                url=_page_url(route, entry.params, entry.query), body=entry.body))

    for key in sorted(set(PAGES) - used_keys):
        if not PAGES[key].optional:
            errors.append(f"PAGES has an entry for {key}, which is no route any more")
    for key in sorted(set(OPERATIONS) - used_keys):
        errors.append(f"OPERATIONS has an entry for {key}, which is no operation any more")
    counts = {"url_patterns": url_patterns, "api_operations": len(ops),
              "router_patterns": sum(1 for r in routes if r.viewset is not None)}
    return checks, errors, counts


def _collection_kind(path: str) -> str | None:
    """"/api/v1/contacts/{id}/" -> "contact" (None for a path without a parameter)."""
    segments = path.strip("/").split("/")
    for i, segment in enumerate(segments):
        if segment.startswith("{"):
            return API_COLLECTIONS.get(segments[i - 1])
    return None


CHECKS, TABLE_ERRORS, _COUNTS = plan()
URL_PATTERNS: int = _COUNTS["url_patterns"]        # every pattern of the URLconf
ROUTER_PATTERNS: int = _COUNTS["router_patterns"]  # of which the API router's (checked as operations)
PAGE_PATTERNS: int = URL_PATTERNS - ROUTER_PATTERNS  # pages, admin, auth, i18n, schema, docs …
API_OPERATIONS: int = _COUNTS["api_operations"]
IDENTITY_COUNT: int = len(IDENTITIES)
ROUTE_IDENTITY_PAIRS: int = (PAGE_PATTERNS + API_OPERATIONS) * IDENTITY_COUNT
CHECKS_PER_IDENTITY: int = len(CHECKS)  # requests: each method of each route, ".json" twins too
TOTAL_CHECKS: int = CHECKS_PER_IDENTITY * IDENTITY_COUNT
EXECUTED: dict[str, int] = {}


def test_every_route_and_operation_has_an_entry():
    assert not TABLE_ERRORS, "The route matrix is out of date:\n  " + "\n  ".join(TABLE_ERRORS)


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.KAM_API_RATE = "100000/min"  # the matrix is not a rate-limit test
    return build_world()


def _is_refusal(outcome: Any) -> bool:
    return outcome in (LOGIN, ADMIN_LOGIN) or (isinstance(outcome, int) and outcome >= 400)


@pytest.mark.slow
@pytest.mark.parametrize("identity", IDENTITIES)
def test_route_matrix(world, identity):
    page_client, api_client = clients_for(world, identity)
    column = IDENTITIES.index(identity)
    failures: list[str] = []
    done = 0
    for c in CHECKS:
        expected = c.expect[column]
        client = page_client if c.kind == "page" else api_client
        unchanged = identity in OUTSIDERS or (c.method not in SAFE_METHODS
                                              and _is_refusal(expected))
        body = c.body(world) if c.body is not None and c.method not in SAFE_METHODS else None
        try:
            url = c.url(world)
        except Exception as exc:  # noqa: BLE001 - reported with the route's name
            failures.append(f"{c.label}: cannot build the URL: {exc!r}")
            continue
        verdict = check(world=world, identity=identity, client=client, method=c.method, url=url,
                        data=body, json_body=c.kind != "page", list_model=c.list_model,
                        expect_unchanged=unchanged)
        done += 1
        if verdict.label != expected:
            failures.append(f"{c.label} {url}: expected {expected}, got {verdict.label}")
        failures.extend(f"{c.label} {url}: {p}" for p in verdict.problems)
    EXECUTED[identity] = done
    assert not failures, f"{identity}: {len(failures)} of {done} checks failed:\n  " + "\n  ".join(
        failures)


def test_route_matrix_counts():
    """The numbers for the issue's note (printed with -s)."""
    lines = [
        f"route matrix: {URL_PATTERNS} URL patterns ({PAGE_PATTERNS} pages/other + "
        f"{ROUTER_PATTERNS} API router patterns) and {API_OPERATIONS} API operations",
        f"  ({PAGE_PATTERNS} + {API_OPERATIONS}) routes x {IDENTITY_COUNT} identities "
        f"= {ROUTE_IDENTITY_PAIRS} route-identity pairs",
        f"  {CHECKS_PER_IDENTITY} requests per identity (each method of each route, the API's "
        f"'.json' twins included) = {TOTAL_CHECKS} requests in all",
    ]
    if EXECUTED:
        lines.append(f"  executed in this run: {sum(EXECUTED.values())} "
                     f"({', '.join(f'{k}={v}' for k, v in EXECUTED.items())})")
    print("\n" + "\n".join(lines))
    assert CHECKS_PER_IDENTITY > 0 and URL_PATTERNS > 0 and API_OPERATIONS > 0
    for identity, done in EXECUTED.items():
        assert done == CHECKS_PER_IDENTITY, identity


def test_the_checks_can_fail(world):
    """The judge itself: a changed value of tenant A is seen, tenant B's writes are not tenant A's,
    and a response with tenant A's strings counts as a leak for tenant B."""
    from accounts.contacts.models import Contact
    from kam.tenancy import tenant_context
    from tests.route_matrix import snapshot, snapshot_diff

    before = snapshot(world.tenant_a)
    with tenant_context(world.tenant_b):
        Contact.objects.filter(pk=world.b["contact"].pk).update(title="changed in B")
    assert snapshot_diff(before, snapshot(world.tenant_a)) == []
    with tenant_context(world.tenant_a):
        Contact.objects.filter(pk=world.a["contact"].pk).update(title="changed in A")
    changed = snapshot_diff(before, snapshot(world.tenant_a))
    # (As many contacts as the apps' tables build: the count does not matter, the change does.)
    assert any(re.fullmatch(r"accounts\.Contact: (\d+) rows -> \1 rows \(values changed\)", c)
               for c in changed), changed
    page, _api = clients_for(world, "owner")
    leak = check(world=world, identity="other_user", client=page, method="GET",
                 url=f"/accounts/{world.a['account'].pk}/", expect_unchanged=False)
    assert any("tenant A's data" in p for p in leak.problems), leak
