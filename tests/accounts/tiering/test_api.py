"""Tiering in the REST API: the account's tier fields and breakdown (/api/v1/accounts/), and the
tier changes for integrations (/api/v1/tier-changes/): filters, keyset pages, who sees what, cost.

The fixture is tests/accounts/tiering/test_services.py's hand-computed book (same policy, figures set
directly, one tier_recompute); the numbers below are computed by hand from it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, AccountTier, TierChange
from accounts.tiering.services import tier_override_clear, tier_override_set, tier_policy_save, tier_recompute
from kam.models import Tenant
from kam.tenancy import tenant_context
from tests.accounts.tiering.book import figures, policy_criteria
from tests.api_helpers import assert_validation_error, ids_of
from tests.conftest import bearer, key_for, login
from tests.factories import make_account

pytestmark = pytest.mark.django_db

ACCOUNTS_URL = "/api/v1/accounts/"
CHANGES_URL = "/api/v1/tier-changes/"
TODAY = datetime.date(2026, 6, 30)
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
# The nightly run's moment (all its changes share it) and a later manual override.
RUN_AT = datetime.datetime(2026, 6, 1, 2, 0, tzinfo=SHANGHAI)
OVERRIDE_AT = datetime.datetime(2026, 6, 10, 10, 0, tzinfo=SHANGHAI)






@pytest.fixture
def book(tenant_a, manager_a, manager2_a):
    """X 100 strategic, Y 50 important, Z 4 general, W 72 key (hand-computed in test_tiering);
    manager_a owns X and W, manager2_a owns Y, nobody Z. N is created after the run: not tiered."""
    x = make_account(tenant_a, "X", owner=manager_a, strategic_value=5, credit_rating="A")
    y = make_account(tenant_a, "Y", owner=manager2_a, strategic_value=3, credit_rating="B")
    z = make_account(tenant_a, "Z", strategic_value=1, credit_rating="")
    w = make_account(tenant_a, "W", owner=manager_a, strategic_value=3, credit_rating="C")
    with tenant_context(tenant_a):
        tier_policy_save(criteria=policy_criteria(), cutoff_strategic=80, cutoff_key=60,
                         cutoff_important=40, hysteresis=5)
        figures(x, revenue="1000", orders=10, growth="0.25", share="0.9")
        figures(y, revenue="500", orders=5, growth="0.05")
        figures(w, revenue="1000", orders=10, growth=None)
    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    with tenant_context(tenant_a):
        TierChange.objects.update(changed_at=RUN_AT)
    n = make_account(tenant_a, "N", owner=manager_a)
    return {"X": x, "Y": y, "Z": z, "W": w, "N": n}


def read_key(tenant: Tenant, api):
    return bearer(api, key_for(tenant, ["read"], name="bi-read"))


def by_id(response) -> dict[int, dict]:
    assert response.status_code == 200, response.content
    return {item["id"]: item for item in response.json()["results"]}


# --- the account API: tier fields and breakdown ------------------------------------------------------


W_CRITERIA = [
    # W: revenue 1000 ≥ 1000 → 100 × 40 %; share and margin switched off (points, no weight);
    # 10 orders → 100 × 20 %; no growth figure → 0; strategic 3 → 50 × 20 %; credit C → 20 × 10 %.
    {"criterion": "revenue", "enabled": True, "raw_value": "1000.00", "points": "100.00",
     "weight": 40, "contribution": "40.00"},
    {"criterion": "share", "enabled": False, "raw_value": "0.00", "points": "100.00",
     "weight": 0, "contribution": "0.00"},
    {"criterion": "frequency", "enabled": True, "raw_value": "10", "points": "100.00",
     "weight": 20, "contribution": "20.00"},
    {"criterion": "margin", "enabled": False, "raw_value": "0.00", "points": "100.00",
     "weight": 0, "contribution": "0.00"},
    {"criterion": "growth", "enabled": True, "raw_value": None, "points": "0.00",
     "weight": 10, "contribution": "0.00"},
    {"criterion": "strategic", "enabled": True, "raw_value": "3", "points": "50.00",
     "weight": 20, "contribution": "10.00"},
    {"criterion": "credit", "enabled": True, "raw_value": "C", "points": "20.00",
     "weight": 10, "contribution": "2.00"},
]


def test_detail_shows_the_tier_and_the_exact_breakdown(api, tenant_a, book):
    read_key(tenant_a, api)
    body = api.get(f"{ACCOUNTS_URL}{book['W'].pk}/").json()
    assert (body["tier"], body["computed_tier"], body["tier_score"], body["tier_policy_version"],
            body["tier_override"]) == ("key", "key", "72.00", 1, None)
    assert body["tier_breakdown"] == {
        "policy_version": 1, "score": "72.00", "computed_tier": "key", "tier": "key",
        "criteria": W_CRITERIA,
        # strategic from 80: 8 points up; key from 60 with a 5-point margin: at 54.99 it drops.
        "next_up": {"tier": "strategic", "points_needed": "8.00"},
        "next_down": {"tier": "important", "points_to_lose": "17.00"},
    }
    assert sum(Decimal(c["contribution"]) for c in body["tier_breakdown"]["criteria"]) == 72


def test_list_shows_every_accounts_tier_and_nulls_when_not_tiered(api, tenant_a, book):
    read_key(tenant_a, api)
    rows = by_id(api.get(ACCOUNTS_URL))
    assert len(rows) == 5
    got = {name: (rows[a.pk]["tier"], rows[a.pk]["tier_score"]) for name, a in book.items()}
    assert got == {"X": ("strategic", "100.00"), "Y": ("important", "50.00"),
                   "Z": ("general", "4.00"), "W": ("key", "72.00"), "N": (None, None)}
    # The list carries the same breakdown as the detail.
    assert rows[book["W"].pk]["tier_breakdown"]["criteria"] == W_CRITERIA
    x = rows[book["X"].pk]["tier_breakdown"]
    # The top tier has no next up; X can lose 100 - (80 - 5) = 25 points and stay strategic.
    assert (x["next_up"], x["next_down"]) == (None, {"tier": "key", "points_to_lose": "25.00"})
    z = rows[book["Z"].pk]["tier_breakdown"]
    assert (z["next_up"], z["next_down"]) == ({"tier": "important", "points_needed": "36.00"},
                                              None)
    n = rows[book["N"].pk]
    assert {k: n[k] for k in ("tier", "computed_tier", "tier_score", "tier_policy_version",
                              "tier_override", "tier_breakdown")} == dict.fromkeys(
        ("tier", "computed_tier", "tier_score", "tier_policy_version", "tier_override",
         "tier_breakdown"))


def test_override_is_shown_beside_the_computed_tier(api, tenant_a, book, exec_a, today):
    until = today + datetime.timedelta(days=30)
    with tenant_context(tenant_a):
        tier_override_set(account=book["Y"], tier="strategic", reason="Group framework deal",
                          until=until, by=exec_a)
        set_at = AccountTier.objects.get(account=book["Y"]).override_at
    read_key(tenant_a, api)
    body = api.get(f"{ACCOUNTS_URL}{book['Y'].pk}/").json()
    assert (body["tier"], body["computed_tier"], body["tier_score"]) == ("strategic", "important",
                                                                         "50.00")
    assert body["tier_override"] == {
        "tier": "strategic", "reason": "Group framework deal", "until": until.isoformat(),
        "set_by": exec_a.display_name,
        "set_at": body["tier_override"]["set_at"]}
    assert datetime.datetime.fromisoformat(body["tier_override"]["set_at"]) == set_at
    assert (body["tier_breakdown"]["tier"], body["tier_breakdown"]["computed_tier"]) == (
        "strategic", "important")


def test_tier_fields_are_read_only_and_refused_in_writes(api, tenant_a, book):
    bearer(api, key_for(tenant_a, ["read", "write"], name="erp"))
    w = book["W"]
    tier_fields = {"tier": "general", "computed_tier": "general", "tier_score": "1.00",
                   "tier_policy_version": 9, "tier_override": {"tier": "general"},
                   "tier_breakdown": None}
    response = api.patch(f"{ACCOUNTS_URL}{w.pk}/", {"notes": "seen", **tier_fields}, format="json")
    # A request body takes only the fields the schema names (additionalProperties: false).
    assert set(assert_validation_error(response, *tier_fields)["errors"]) == set(tier_fields)
    response = api.patch(f"{ACCOUNTS_URL}{w.pk}/", {"notes": "seen"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["tier"], response.json()["tier_score"]) == ("key", "72.00")
    with tenant_context(tenant_a):
        state = AccountTier.objects.get(account=w)
        assert (state.tier, state.computed_tier, state.score, state.override_tier) == (
            "key", "key", Decimal("72.00"), "")
        assert Account.objects.get(pk=w.pk).notes == "seen"


def test_a_write_answers_the_breakdown_of_the_new_values(api, tenant_a, book):
    """The response of an update explains the tier with the values just saved (strategic value
    3 → 5 is 50 → 100 points × 20 %: the score the next run gives goes 72 → 82)."""
    bearer(api, key_for(tenant_a, ["read", "write"], name="erp"))
    body = api.patch(f"{ACCOUNTS_URL}{book['W'].pk}/", {"strategic_value": 5},
                     format="json").json()
    assert body["tier_score"] == "72.00"  # stored: until the next run
    assert (body["tier_breakdown"]["score"], body["tier_breakdown"]["computed_tier"]) == (
        "82.00", "strategic")


@pytest.mark.parametrize("auth", ["key", "session"])
def test_account_list_queries_do_not_grow_with_tiered_accounts(api, tenant_a, admin_a, manager_a,
                                                               auth):
    if auth == "key":
        read_key(tenant_a, api)
    else:
        login(api, admin_a)
    assert api.get(ACCOUNTS_URL).status_code == 200  # warm-up: the key's last_used_at
    with tenant_context(tenant_a):
        tier_policy_save(criteria=policy_criteria(), cutoff_strategic=80, cutoff_key=60,
                         cutoff_important=40, hysteresis=5)

    def list_queries() -> list[str]:
        tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(ACCOUNTS_URL)
        rows = response.json()["results"]
        assert response.status_code == 200 and rows
        assert all(r["tier"] and r["tier_breakdown"] and r["owner_name"] for r in rows)
        return [q["sql"] for q in ctx.captured_queries]

    make_account(tenant_a, "Solo", owner=manager_a, credit_rating="A")
    one = list_queries()
    for i in range(9):
        make_account(tenant_a, f"More {i}", owner=manager_a if i % 2 else admin_a,
                     credit_rating="B")
    ten = list_queries()
    assert len(one) == len(ten), (one, ten)
    # The account API's own list (tests/accounts/account/test_api.py: 2 with a key, 4 with a session)
    # plus 2 for tiering, whatever the page holds: the current policy, and every breakdown of
    # the page in one statement. Tier state, its policy and the override's author are joined.
    assert len(one) == (2 if auth == "key" else 4) + 2, one
    assert "accounts_accounttier" in one[-3]  # the page, with the tier state joined
    assert "accounts_tierpolicy" in one[-2]  # the current policy
    assert "WITH raw AS" in one[-1]  # the breakdowns: the nightly job's SQL, no writes
    assert not any(sql.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")) for sql in one)


# --- GET /api/v1/tier-changes/ ------------------------------------------------------------------------


@pytest.fixture
def history(tenant_a, book, exec_a, today):
    """The run's four first tierings at RUN_AT, then an override of Y at OVERRIDE_AT."""
    with tenant_context(tenant_a):
        tier_override_set(account=book["Y"], tier="strategic", reason="Group framework deal",
                          until=today + datetime.timedelta(days=30), by=exec_a)
        TierChange.objects.filter(source="override").update(changed_at=OVERRIDE_AT)
        run = list(TierChange.objects.filter(changed_at=RUN_AT).order_by("id")
                   .values_list("id", flat=True))
        override = TierChange.objects.get(source="override").pk
        y_run = TierChange.objects.get(account=book["Y"], source="computed").pk
    assert len(run) == 4
    return {"run": run, "override": override, "y_run": y_run}


def test_lists_every_change_oldest_first_with_its_fields(api, tenant_a, book, history, exec_a):
    read_key(tenant_a, api)
    response = api.get(CHANGES_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert ids_of(response) == [*history["run"], history["override"]]
    items = {item["account_name"]: item for item in response.json()["results"]
             if item["source"] == "computed"}
    w = items["W"]
    assert {k: v for k, v in w.items() if k != "id"} == {
        "account": book["W"].pk, "account_name": "W", "from_tier": None, "to_tier": "key",
        "score": "72.00", "policy_version": 1, "source": "computed",
        "reason": "Score 72.00 under policy v1",
        "changed_at": w["changed_at"], "changed_by": None}
    assert datetime.datetime.fromisoformat(w["changed_at"]) == RUN_AT
    override = response.json()["results"][-1]
    assert (override["account"], override["from_tier"], override["to_tier"], override["source"],
            override["reason"], override["changed_by"], override["score"]) == (
        book["Y"].pk, "important", "strategic", "override", "Group framework deal",
        exec_a.display_name, "50.00")


def test_the_computed_reason_is_translated(api, tenant_a, book, history):
    read_key(tenant_a, api)
    results = api.get(CHANGES_URL, HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"]
    reasons = {item["account_name"]: item["reason"] for item in results}
    assert reasons["W"] != "Score 72.00 under policy v1"
    assert "72.00" in reasons["W"] and "1" in reasons["W"]


def test_ended_overrides_say_removed_or_expired(api, tenant_a, book, history, exec_a, today):
    with tenant_context(tenant_a):
        tier_override_clear(account=book["Y"], by=exec_a)  # removed by a person
        tier_override_set(account=book["W"], tier="strategic", reason="Pilot",
                          until=today, by=exec_a)
    # The nightly run after the expiry date ends W's override by itself.
    tier_recompute(tenant_id=tenant_a.pk,
                   today=today + datetime.timedelta(days=1))
    read_key(tenant_a, api)
    results = api.get(CHANGES_URL).json()["results"]
    ended = [(item["account_name"], item["reason"], item["changed_by"]) for item in results
             if item["source"] == "override_ended"]
    assert ended == [("Y", "removed", exec_a.display_name), ("W", "expired", None)]


@pytest.mark.parametrize("since,expected", [
    # changed_at > since: the run's own moment excludes the run.
    ("2026-06-01T02:00:00+08:00", "override"),
    ("2026-06-01T01:59:59.999999+08:00", "all"),
    ("2026-05-31T18:00:00Z", "override"),  # the same moment in UTC
    ("2026-05-31T17:59:59z", "all"),
    # Naive: the tenant's time zone (Asia/Shanghai). Read as UTC it would exclude the run.
    ("2026-06-01T01:30:00", "all"),
    ("2026-06-01T02:00", "override"),
    ("2026-06-10T10:00:00+08:00", "none"),
    ("2026-06-10T09:59:59+08:00", "override"),
    # Offsets beyond PostgreSQL's ±15:59, and moments that leave the calendar in UTC.
    ("2026-06-01T10:00:00+16:00", "override"),
    ("2026-06-09T03:00:00-23:59", "none"),  # 2026-06-10T02:59Z: after the override
    ("0001-01-01T00:00:00+23:59", "all"),
    ("9999-12-31T23:59:59.999999-23:59", "none"),
])
def test_since_filters_by_the_moment_of_the_change(api, tenant_a, book, history, since, expected):
    read_key(tenant_a, api)
    want = {"all": [*history["run"], history["override"]], "override": [history["override"]],
            "none": []}[expected]
    assert ids_of(api.get(CHANGES_URL, {"since": since})) == want


def test_account_filter(api, tenant_a, book, history):
    read_key(tenant_a, api)
    got = ids_of(api.get(CHANGES_URL, {"account": book["Y"].pk}))
    assert got == [history["y_run"], history["override"]]
    assert ids_of(api.get(CHANGES_URL, {"account": book["N"].pk})) == []  # not tiered: none
    assert ids_of(api.get(CHANGES_URL, {"account": book["Y"].pk,
                                        "since": "2026-06-05T00:00:00Z"})) == [history["override"]]


@pytest.mark.parametrize("query,field", [
    ({"since": "yesterday"}, "since"),
    ({"since": ""}, "since"),
    ({"since": "2026-06-01"}, "since"),  # a date is not a moment
    ({"since": "2026-13-01T00:00:00Z"}, "since"),
    ({"since": "2026-02-30T00:00:00"}, "since"),
    ({"since": "2026-06-01T24:00:00Z"}, "since"),
    ({"since": "2026-06-01T00:00:60Z"}, "since"),
    ({"since": "2026-06-01T00:00:00+24:00"}, "since"),
    ({"since": "0000-01-01T00:00:00Z"}, "since"),
    ({"since": "2026-06-01T00:00:00\x00"}, "since"),
    ({"account": "abc"}, "account"),
    ({"account": ""}, "account"),
    ({"account": "999999999"}, "account"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"page_size": "0"}, "page_size"),
    ({"page_size": "501"}, "page_size"),
])
def test_bad_input_is_400(api, tenant_a, book, history, query, field):
    read_key(tenant_a, api)
    body = assert_validation_error(api.get(CHANGES_URL, query), field)
    if field == "since":
        assert "ISO 8601" in body["errors"]["since"][0] or "8601" in body["errors"]["since"][0]


def test_a_repeated_parameter_is_400(api, tenant_a, book, history):
    read_key(tenant_a, api)
    response = api.get(f"{CHANGES_URL}?since=2026-01-01T00:00:00Z&since=2026-06-05T00:00:00Z")
    assert_validation_error(response, "since")


def test_a_forged_cursor_is_400(api, tenant_a, book, history):
    import base64
    import json

    def encode(payload) -> str:
        return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")

    read_key(tenant_a, api)
    for payload in ({"t": "2026-06-01T02:00:00", "i": 1},  # naive
                    {"t": "2026-06-01T02:00:00+08:00", "i": "1"},
                    {"t": "2026-06-01T02:00:00+08:00", "i": 0},
                    {"t": "2026-06-01T02:00:00+08:00", "i": 2**63},
                    {"t": "0001-01-01T00:00:00+05:00", "i": 1},  # before year 1 in UTC
                    {"t": "junk", "i": 1}, [1, 2], "x"):
        assert_validation_error(api.get(CHANGES_URL, {"cursor": encode(payload)}), "cursor")
    # A position nobody made but well-formed (an offset PostgreSQL would not take) is a position.
    after = encode({"t": "2026-06-01T10:00:00+16:00", "i": history["run"][-1]})
    assert ids_of(api.get(CHANGES_URL, {"cursor": after})) == [history["override"]]


def test_pages_walk_every_change_once_in_order(api, tenant_a, book, history, exec_a):
    """Ties on changed_at (a run records all its changes at one moment) page by id."""
    extra = [make_account(tenant_a, f"Extra {i}", credit_rating="A") for i in range(5)]
    tier_recompute(tenant_id=tenant_a.pk)  # tiers N and the five extras (Y's override holds)
    with tenant_context(tenant_a):
        second_run = datetime.datetime(2026, 6, 20, 2, 0, tzinfo=SHANGHAI)
        TierChange.objects.filter(account__in=[book["N"], *extra]).update(changed_at=second_run)
        expected = list(TierChange.objects.order_by("changed_at", "id")
                        .values_list("id", flat=True))
    assert len(expected) == 11
    read_key(tenant_a, api)
    for query, want in (("page_size=2", expected), ("page_size=3&since=2026-06-05T00:00:00Z",
                                                    expected[4:])):
        url: str | None = f"{CHANGES_URL}?{query}"
        seen: list[int] = []
        pages = 0
        while url:
            response = api.get(url)
            page = ids_of(response)
            assert page and response.json()["previous"] is None
            seen += page
            url = response.json()["next"]
            pages += 1
            assert pages <= len(want), "pagination does not end"
        assert seen == want  # each exactly once, in order, no gap


def test_tier_change_list_queries_do_not_grow_with_rows(api, tenant_a, book, history):
    read_key(tenant_a, api)
    assert api.get(CHANGES_URL).status_code == 200  # warm-up: the key's last_used_at

    def count(query: dict) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert len(ids_of(api.get(CHANGES_URL, query))) >= 1
        return len(ctx.captured_queries)

    few = count({"account": book["Z"].pk})
    many = count({})
    after_cursor = api.get(CHANGES_URL, {"page_size": 2}).json()["next"]
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(after_cursor).status_code == 200
    # 1. the key; 2. the filter's account (account= only); 3. the page, account, policy and
    # author joined.
    assert (few, many, len(ctx.captured_queries)) == (3, 2, 2)


# --- who sees what ----------------------------------------------------------------------------------


def test_manager_sees_only_the_changes_of_accounts_they_may_see(api, tenant_a, book, history,
                                                                manager_a, manager2_a):
    login(api, manager_a)  # owns X and W
    got = api.get(CHANGES_URL).json()["results"]
    assert {item["account_name"] for item in got} == {"X", "W"}
    # Y is tenant A's but not theirs: the filter is valid, the list empty.
    assert ids_of(api.get(CHANGES_URL, {"account": book["Y"].pk})) == []
    login(api, manager2_a)  # owns Y
    assert ids_of(api.get(CHANGES_URL)) == [history["y_run"], history["override"]]


@pytest.mark.parametrize("who", ["admin", "executive", "read_key"])
def test_admins_executives_and_keys_see_every_change(api, tenant_a, book, history, admin_a,
                                                     exec_a, who):
    if who == "read_key":
        read_key(tenant_a, api)
    else:
        login(api, admin_a if who == "admin" else exec_a)
    assert ids_of(api.get(CHANGES_URL)) == [*history["run"], history["override"]]


@pytest.mark.parametrize("outsider_kind", ["admin_b-session", "tenant_b-key"])
def test_another_tenant_sees_none_of_tenant_as_changes(api, tenant_a, book, history, admin_b,
                                                       outsider_kind):
    # Tenant B has changes of its own, so an empty answer is not an empty table.
    b_account = make_account(admin_b.tenant, "B Co", credit_rating="A")
    tier_recompute(tenant_id=admin_b.tenant.pk, today=TODAY)
    with tenant_context(admin_b.tenant):
        b_change = TierChange.objects.get(account=b_account).pk
    if outsider_kind == "admin_b-session":
        login(api, admin_b)
    else:
        bearer(api, key_for(admin_b.tenant, ["read", "write"], name="erp-b"))
    response = api.get(CHANGES_URL)
    assert ids_of(response) == [b_change]
    assert "Group framework deal" not in response.content.decode()
    # Naming tenant A's account is naming a row that does not exist for B: 400, as for every
    # filter of the API (tests/accounts/account/test_api.py::test_filter_by_another_tenants_...).
    assert_validation_error(api.get(CHANGES_URL, {"account": book["Y"].pk}), "account")
    # And tenant A's accounts are 404 in the account API, tiering or not.
    assert api.get(f"{ACCOUNTS_URL}{book['W'].pk}/").status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_list_is_read_only(api, tenant_a, book, history, method):
    bearer(api, key_for(tenant_a, ["read", "write"], name="erp"))
    before = list(TierChange.unscoped_all_tenants.order_by("id").values())
    response = getattr(api, method)(CHANGES_URL, {"to_tier": "general"}, format="json")
    assert response.status_code == 405, response.content
    assert "GET" in response["Allow"]
    assert list(TierChange.unscoped_all_tenants.order_by("id").values()) == before


def test_no_credentials_is_401(api, tenant_a, book, history):
    assert api.get(CHANGES_URL).status_code == 401

