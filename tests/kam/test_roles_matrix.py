"""The role table of kam/roles.py (PERMISSION_TABLE) drives this test (issue 4: "what managers,
executives and admins may do is one readable table in the code, and the test is driven by it").

For every permission there are probes: requests (pages and API) that need exactly that permission.
For every role and every permission the test sends the probes as a member of that role and expects
success if the table grants the permission and a refusal if it does not; the same for API keys and
their scopes. Change the table and the expectations change with it. A permission without a probe
fails the test, so a new permission cannot ship untested.

Refusals: a missing permission is a 403, except account.view_all, whose absence hides other
people's accounts: a 404, as for anything one may not see.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AccountTeamMember, Contact
from accounts.team.models import TeamRole
from kam import clock
from kam.models import ApiKeyScope, Membership, Tenant
from kam.roles import (
    PERMISSION_TABLE,
    ROLE_PERMISSIONS,
    ROLES,
    SCOPE_PERMISSIONS,
    SCOPES,
    Perm,
    Role,
)
from kam.tenancy import tenant_context
from tests.conftest import key_for, make_member
from tests.factories import make_account

ALL_PERMS: list[str] = sorted(v for k, v in vars(Perm).items() if k.isupper())


@dataclass
class Setup:
    tenant: Tenant
    subject: Membership | None  # the member whose role is probed (None for a key)
    own: Any                    # an account the subject owns (or, for a key, any account)
    other: Any                  # an account of someone else, the subject not on its team
    bystander: Membership       # owns "other" and "teamed"; the member added to teams
    contact: Any                # a contact of "own"
    teamed: Any = None          # an account of someone else with the subject on its team


@dataclass(frozen=True)
class Probe:
    kind: str  # "page" (the member's session) or "api" (session, or the key as Bearer)
    method: str
    url: Callable[[Setup], str]
    ok: int
    body: Callable[[Setup], Any] | None = None

    def describe(self, s: Setup) -> str:
        return f"{self.kind} {self.method} {self.url(s)}"


def _account_form(name: str) -> dict:
    return {"name": name, "lifecycle_status": "active", "strategic_value": "3"}


def _team_body(account: Callable[[Setup], Any]) -> Callable[[Setup], dict]:
    return lambda s: {"account": account(s).pk, "membership": s.bystander.pk,
                      "team_role": "technical_support"}


def _own(s: Setup) -> Any:
    return s.own


def _teamed(s: Setup) -> Any:
    return s.teamed


# Permission -> the requests that need it (and nothing else the role might lack).
PROBES: dict[str, list[Probe]] = {
    Perm.ACCOUNT_VIEW_ALL: [
        Probe("page", "GET", lambda s: reverse("accounts:account-detail", args=[s.other.pk]), 200),
        Probe("api", "GET", lambda s: f"/api/v1/accounts/{s.other.pk}/", 200),
    ],
    Perm.ACCOUNT_CREATE: [
        Probe("page", "POST", lambda s: reverse("accounts:account-create"), 302,
              body=lambda s: _account_form("Probe New Co")),
        Probe("page", "GET", lambda s: reverse("accounts:import-list"), 200),
        Probe("api", "POST", lambda s: "/api/v1/accounts/", 201,
              body=lambda s: {"name": "Probe API Co"}),
    ],
    Perm.ACCOUNT_CHANGE: [
        Probe("page", "POST", lambda s: reverse("accounts:account-edit", args=[s.own.pk]), 302,
              body=lambda s: _account_form("Probe Renamed")),
        Probe("page", "POST", lambda s: reverse("accounts:contact-create"), 302,
              body=lambda s: {"account": str(s.own.pk), "name": "Probe Contact", "level": "business",
                              "relationship_strength": "3", "is_active": "on"}),
        Probe("api", "PATCH", lambda s: f"/api/v1/accounts/{s.own.pk}/", 200,
              body=lambda s: {"notes": "probe"}),
    ],
    # Staffing the team of an account one sees but does not own (a manager: one they are on).
    Perm.ACCOUNT_ASSIGN_OWNER: [
        Probe("page", "POST", lambda s: reverse("accounts:account-team-add", args=[s.teamed.pk]),
              302, body=lambda s: {"membership": str(s.bystander.pk),
                                   "team_role": "technical_support"}),
        Probe("api", "POST", lambda s: "/api/v1/account-team/", 201, body=_team_body(_teamed)),
    ],
    Perm.TEAM_MANAGE_OWN: [
        Probe("page", "POST", lambda s: reverse("accounts:account-team-add", args=[s.own.pk]), 302,
              body=lambda s: {"membership": str(s.bystander.pk), "team_role": "technical_support"}),
        Probe("api", "POST", lambda s: "/api/v1/account-team/", 201, body=_team_body(_own)),
    ],
    Perm.ACCOUNT_DELETE: [
        Probe("page", "POST", lambda s: reverse("accounts:account-delete", args=[s.own.pk]), 302),
        Probe("api", "DELETE", lambda s: f"/api/v1/accounts/{s.own.pk}/", 204),
    ],
    # The history of an account one sees but does not own (a manager: one they are on the team of).
    Perm.AUDIT_READ: [
        Probe("page", "GET", lambda s: reverse("accounts:account-history", args=[s.teamed.pk]),
              200),
        Probe("api", "GET", lambda s: f"/api/v1/accounts/{s.teamed.pk}/history/", 200),
    ],
    Perm.AUDIT_READ_OWN: [
        Probe("page", "GET", lambda s: reverse("accounts:account-history", args=[s.own.pk]), 200),
        Probe("api", "GET", lambda s: f"/api/v1/accounts/{s.own.pk}/history/", 200),
    ],
    Perm.DATA_SUBJECT: [
        Probe("page", "GET", lambda s: reverse("accounts:contact-export", args=[s.contact.pk]), 200),
        Probe("page", "POST", lambda s: reverse("accounts:contact-erase", args=[s.contact.pk]), 302),
    ],
    Perm.STANDARDS_MANAGE: [
        Probe("page", "GET", lambda s: reverse("accounts:tiering-policy-edit"), 200),
        Probe("page", "GET", lambda s: reverse("accounts:service-standards-edit"), 200),
    ],
    Perm.TIER_OVERRIDE: [
        Probe("page", "GET", lambda s: reverse("accounts:account-tier-override", args=[s.own.pk]), 200),
        Probe("page", "POST", lambda s: reverse("accounts:account-tier-override", args=[s.own.pk]), 302,
              body=lambda s: {"tier": "strategic", "reason": "probe",
                              "until": (clock.today(s.tenant)
                                        + datetime.timedelta(days=30)).isoformat()}),
    ],
    Perm.SETTINGS_MANAGE: [
        Probe("page", "GET", lambda s: reverse("kam:settings"), 200),
        Probe("page", "GET", lambda s: reverse("kam:job-runs"), 200),
        Probe("page", "POST", lambda s: reverse("kam:api-key-create"), 200,
              body=lambda s: {"name": "probe key", "scopes": ["read"]}),
        # Changing the working calendar (reading it is calendar.view).
        Probe("page", "GET", lambda s: reverse("kam:calendar-import"), 200),
        Probe("page", "POST", lambda s: reverse("kam:calendar-entry-add"), 302,
              body=lambda s: {"day": "2026-10-16", "kind": "holiday", "source": "company",
                              "year": "2026"}),
    ],
    Perm.CALENDAR_VIEW: [
        Probe("page", "GET", lambda s: reverse("kam:calendar"), 200),
        Probe("page", "GET", lambda s: reverse("kam:calendar-export"), 200),
    ],
}


def denied_status(perm: str) -> int:
    return 404 if perm == Perm.ACCOUNT_VIEW_ALL else 403


class _Rollback(Exception):  # control flow: leave the savepoint by rolling it back
    pass


def send(client: Client, probe: Probe, s: Setup) -> int | str:
    """One probe in a savepoint that is rolled back (a delete must not spoil the next probe).

    A redirect to the login page comes back as "login"."""
    status: Any = 0
    kwargs: dict[str, Any] = {}
    if probe.body is not None:
        kwargs["data"] = probe.body(s)
        if probe.kind == "api":
            kwargs["format"] = "json"
    try:
        with transaction.atomic():
            response = getattr(client, probe.method.lower())(probe.url(s), **kwargs)
            status = response.status_code
            if status == 302 and response["Location"].startswith(reverse("kam:login")):
                status = "login"
            raise _Rollback
    except _Rollback:
        pass
    return status


# --- the table itself ---------------------------------------------------------------------------------


def test_every_permission_has_probes():
    missing = [p for p in ALL_PERMS if not PROBES.get(p)]
    assert not missing, f"kam.roles.Perm has permissions no test probes: {missing}; add to PROBES"
    unknown = sorted(set(PROBES) - set(ALL_PERMS))
    assert not unknown, f"PROBES names permissions kam.roles.Perm does not have: {unknown}"


def test_the_table_has_a_row_per_permission_and_a_column_per_role_and_scope():
    assert set(PERMISSION_TABLE) == set(ALL_PERMS)
    for perm, row in PERMISSION_TABLE.items():
        assert len(row) == len(ROLES) + len(SCOPES), perm
    assert set(ROLES) == set(Role.values) == set(ROLE_PERMISSIONS)
    assert set(SCOPES) == set(ApiKeyScope.values) == set(SCOPE_PERMISSIONS)
    for who, perms in [*ROLE_PERMISSIONS.items(), *SCOPE_PERMISSIONS.items()]:
        assert perms <= set(ALL_PERMS), (who, sorted(perms - set(ALL_PERMS)))


def test_scopes_grant_only_what_the_api_can_do():
    """Keys authenticate the API only: a scope granting a permission with no API route would be
    a promise nothing keeps."""
    api_perms = {perm for perm, probes in PROBES.items() if any(p.kind == "api" for p in probes)}
    for scope, perms in SCOPE_PERMISSIONS.items():
        assert perms <= api_perms, (scope, sorted(perms - api_perms))


# --- roles ----------------------------------------------------------------------------------------------


@pytest.fixture
def tenant(db, settings) -> Tenant:
    settings.KAM_API_RATE = "100000/min"
    return Tenant.objects.create(name="Probe Tenant", slug="probe")


def _setup_for_member(tenant: Tenant, role: str) -> Setup:
    subject = make_member(tenant, f"probe_{role}", role)
    bystander = make_member(tenant, "probe_bystander", Role.MANAGER)
    # Another admin, so that nothing a probe does runs into "a tenant needs an administrator".
    make_member(tenant, "probe_other_admin", Role.ADMIN)
    own = make_account(tenant, "Probe Own Co", owner=subject)
    teamed = make_account(tenant, "Probe Teamed Co", owner=bystander)
    with tenant_context(tenant):
        AccountTeamMember.objects.create(account=teamed, membership=subject,
                                         team_role=TeamRole.SALES)
    return Setup(tenant=tenant, subject=subject, own=own,
                 other=make_account(tenant, "Probe Other Co", owner=bystander),
                 bystander=bystander, contact=_contact(tenant, own), teamed=teamed)


def _contact(tenant: Tenant, account: Any) -> Contact:
    with tenant_context(tenant):
        return Contact.objects.create(account=account, name="Probe Person",
                                      email="probe.person@example.com")


@pytest.mark.parametrize("perm", ALL_PERMS)
@pytest.mark.parametrize("role", list(Role.values))
def test_role_may_what_the_table_says(tenant, role, perm):
    s = _setup_for_member(tenant, role)
    granted = perm in ROLE_PERMISSIONS[role]
    clients = {"page": Client(), "api": APIClient()}
    for client in clients.values():
        client.force_login(s.subject.user)
    assert PROBES.get(perm), f"no probe for {perm} (see test_every_permission_has_probes)"
    for probe in PROBES[perm]:
        expected = probe.ok if granted else denied_status(perm)
        status = send(clients[probe.kind], probe, s)
        assert status == expected, (
            f"{role} {'has' if granted else 'lacks'} {perm} in kam.roles.ROLE_PERMISSIONS, "
            f"so {probe.describe(s)} should be {expected}, got {status}")


# --- API-key scopes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("perm", ALL_PERMS)
@pytest.mark.parametrize("scope", sorted(SCOPE_PERMISSIONS))
def test_key_scope_may_what_the_table_says(tenant, scope, perm):
    bystander = make_member(tenant, "probe_bystander", Role.MANAGER)
    account = make_account(tenant, "Probe Co", owner=bystander)
    s = Setup(tenant=tenant, subject=None, own=account, other=account, bystander=bystander,
              contact=_contact(tenant, account), teamed=account)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key_for(tenant, [scope], name='probe')}")
    granted = perm in SCOPE_PERMISSIONS[scope]
    api_probes = [p for p in PROBES[perm] if p.kind == "api"]
    if not api_probes:
        # Only pages need it, and keys do not open pages: the page probes send the key to login.
        assert not granted, f"scope {scope!r} grants {perm}, which no API route needs"
        page = Client(HTTP_AUTHORIZATION=client._credentials["HTTP_AUTHORIZATION"])
        for probe in PROBES[perm]:
            assert send(page, probe, s) == "login", probe.describe(s)
        return
    for probe in api_probes:
        expected = probe.ok if granted else denied_status(perm)
        status = send(client, probe, s)
        assert status == expected, (
            f"scope {scope!r} {'has' if granted else 'lacks'} {perm} in "
            f"kam.roles.SCOPE_PERMISSIONS, so {probe.describe(s)} should be {expected}, "
            f"got {status}")
