"""The route matrix: what every page and every API operation answers to whom.

tests/kam/test_route_matrix.py walks every URL pattern and every OpenAPI operation and looks each up
here; a route or operation missing from these tables fails the test, and so does an entry whose
route is gone. Each row has one outcome per identity, in this column order:

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
key gets ``L`` on pages). URL parameters are filled with tenant A's objects (see PARAMS), so for
tenant B the object is addressed but not theirs: 404. Tenant B gets 200 where no object is addressed
(lists, its own settings) — and the test then checks that no row of tenant A is in the response.
A create whose body names tenant A's objects (account, parent, member) is a 400 for tenant B: the
reference "does not exist" in their tenant. Every write of every identity that is expected to fail
is checked to leave tenant A's data unchanged.

Role rules behind the rows (kam/roles.py, tested on their own in tests/kam/test_roles_matrix.py):
managers create and change the accounts they own or are on the team of; executives read everything
and change nothing; admins do everything, including deletes, teams and settings; read keys read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from kam import clock
from tests.route_matrix_walk import ADMIN_LOGIN, IDENTITIES, LOGIN, World, content_type_id

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


@dataclass(frozen=True)
class Op:
    """An OpenAPI operation: outcome per identity."""

    expect: tuple[Any, ...]
    body: Callable[[World], Any] | None = None  # JSON body of writes
    params: dict[str, str] = field(default_factory=dict)


# URL parameters -> which of tenant A's objects fills them (World.a[kind].pk), unless an entry says
# otherwise. A parameter missing here fails the test with the route's name.
PARAMS: dict[str, str] = {
    "account_id": "account",
    "account_pk": "account",  # the history API's ".json" twin
    "contact_id": "contact",
    "contract_id": "contract",
    "member_id": "team_member",
    "membership_id": "target_member",
    "key_id": "revocable_key",
    "job_id": "import_done",
    # The superuser admin: anything will do, it redirects before looking anything up.
    "object_id": "account",
    "id": "account",
}
# Literal URL parameters.
LITERAL_PARAMS: dict[str, Callable[[World], Any]] = {
    "format": lambda w: "json",
    "app_label": lambda w: "accounts",
    "url": lambda w: "no-such-page/",
    "content_type_id": lambda w: content_type_id(),
    "path": lambda w: "kam/kam.css",
    "version": lambda w: _tier_policy_version(w),
}
# API paths: the collection before "{id}" -> object kind.
API_COLLECTIONS: dict[str, str] = {
    "accounts": "account",
    "contacts": "contact",
    "contracts": "contract",
    "transactions": "transaction",
    "account-team": "team_member",
}


# --- form bodies --------------------------------------------------------------------------------------


def _account_form(w: World) -> dict:
    # The parent is tenant A's account A1: a 400 for whoever cannot see it.
    return {"name": "Matrix New Co", "lifecycle_status": "active", "strategic_value": "3",
            "parent": str(w.a["account"].pk)}


def _account_edit_form(w: World) -> dict:
    return {"name": "Matrix Renamed Co", "lifecycle_status": "active", "strategic_value": "4"}


def _contact_form(w: World) -> dict:
    return {"account": str(w.a["account"].pk), "name": "Matrix Contact", "level": "technical",
            "relationship_strength": "4", "is_active": "on"}


def _contract_form(w: World) -> dict:
    return {"account": str(w.a["account"].pk), "number": "MATRIX-HT-1", "title": "Matrix deal",
            "start_date": "2025-01-01", "end_date": "2025-12-31", "value": "1000.00",
            "payment_terms_days": "60", "status": "active", "renewal_notice_days": "90"}


def _upload_form(w: World) -> dict:
    from tests.route_matrix_walk import _csv_upload

    return {"kind": "accounts", "mode": "valid_only", "file": _csv_upload("matrix.csv")}


def _tier_policy_version(w: World) -> int:
    """Tenant A's tiering policy version 1 (saved once per world): tenant B has none -> 404."""
    if "tier_policy" not in w.a:
        from accounts.tiering import default_policy, tier_policy_save
        from kam.tenancy import tenant_context

        with tenant_context(w.tenant_a):
            base = default_policy()
            w.a["tier_policy"] = tier_policy_save(
                criteria=base.criteria, cutoff_strategic=base.cutoff_strategic,
                cutoff_key=base.cutoff_key, cutoff_important=base.cutoff_important,
                hysteresis=base.hysteresis, note="qzalpha0 policy")
    return w.a["tier_policy"].version


def _tier_policy_form(w: World) -> dict:
    """The policy form with the built-in default policy, saved as the next version: with the
    base version and the preview digest tenant A's preview page would carry (a digest is bound to
    its tenant, so for tenant B's admin the save is refused and the page previews again: 200)."""
    from accounts.models import TierPolicy
    from accounts.tiering import default_criteria, policy_validate
    from accounts.tiering_views import policy_digest
    from kam.tenancy import tenant_context

    data = {"action": "save", "cutoff_strategic": "80", "cutoff_key": "60",
            "cutoff_important": "40", "hysteresis": "5", "note": "matrix"}
    with tenant_context(w.tenant_a):
        base = TierPolicy.objects.order_by("-version").values_list("version", flat=True).first()
    clean = policy_validate(criteria=default_criteria(), cutoff_strategic="80", cutoff_key="60",
                            cutoff_important="40", hysteresis="5")
    data["base_version"] = str(base or 0)
    data["preview_digest"] = policy_digest(clean, base_version=base or 0, tenant_id=w.tenant_a.pk)
    for key, spec in default_criteria().items():
        if spec["enabled"]:
            data[f"{key}-enabled"] = "on"
        data[f"{key}-weight"] = str(spec["weight"])
        for grade, points in spec.get("points", {}).items():
            data[f"credit-{grade or 'none'}"] = str(points)
        for i, (value, points) in enumerate(spec.get("thresholds", [])):
            data[f"{key}-t{i}-value"], data[f"{key}-t{i}-points"] = str(value), str(points)
    return data


def _standards_form(w: World) -> dict:
    from accounts.standards import DEFAULT_STANDARDS

    return {f"{tier}-{name}": ("on" if value is True else str(value))
            for tier, values in DEFAULT_STANDARDS.items() for name, value in values.items()
            if value is not False}


# --- pages ----------------------------------------------------------------------------------------------
#                                          owner stranger admin exec read_key other_user other_key

PAGES: dict[str, Page] = {
    # Public: the start page redirects (to the account list, or on to the login page).
    "home": Page({"GET": every(302)}),
    "healthz": Page({"GET": every(200)}),
    # redirect_authenticated_user: a logged-in user is sent on to the account list.
    # A wrong password re-shows the form (keys have no session); failures count towards the
    # lockout (django-axes), but each request here is rolled back.
    "login": Page({"GET": (302, 302, 302, 302, 200, 302, 200),
                   "POST": (302, 302, 302, 302, 200, 302, 200)},
                  body=lambda w: {"username": "matrix-nobody", "password": "wrong-password-1"}),
    # LOGOUT_REDIRECT_URL is the login page.
    "logout": Page({"GET": every(405), "POST": every(L)}),
    "set_language": Page({"GET": every(302), "POST": every(302)},
                         body=lambda w: {"language": "en", "next": "/accounts/"}),
    # Tenant A's id: outsiders are not members of it -> 404.
    "tenant-switch": Page({"GET": every(405),
                           "POST": (302, 302, 302, 302, L, 404, L)},
                          body=lambda w: {"tenant": str(w.tenant_a.pk)}),

    # Settings: administrators only. Tenant B's admin sees tenant B's settings.
    "settings": Page({"GET": (403, 403, 200, 403, L, 200, L)}),
    "member-add": Page({"GET": every(405),
                        "POST": (403, 403, 302, 403, L, 302, L)},
                       body=lambda w: {"username": "matrix_new_member", "role": "manager",
                                       "password": "a-long-enough-password-9"}),
    "member-update": Page({"GET": every(405),
                           "POST": (403, 403, 302, 403, L, 404, L)},
                          body=lambda w: {"role": "executive", "is_active": "on"}),
    "api-key-create": Page({"GET": every(405),
                            "POST": (403, 403, 200, 403, L, 200, L)},
                           body=lambda w: {"name": "matrix key", "scopes": ["read"]}),
    "api-key-revoke": Page({"GET": (403, 403, 200, 403, L, 404, L),
                            "POST": (403, 403, 302, 403, L, 404, L)}),
    # Nightly job runs: administrators only; tenant B's admin sees tenant B's runs. Read-only.
    "job-runs": Page({"GET": (403, 403, 200, 403, L, 200, L), "POST": every(405)}),

    # Accounts.
    "account-list": Page({"GET": (200, 200, 200, 200, L, 200, L)}),
    "account-create": Page({"GET": (200, 200, 200, 403, L, 200, L),
                            "POST": (302, 400, 302, 403, L, 400, L)}, body=_account_form),
    "account-detail": Page({"GET": (200, 404, 200, 200, L, 404, L)}),
    "account-edit": Page({"GET": (200, 404, 200, 403, L, 404, L),
                          "POST": (302, 404, 302, 403, L, 404, L)}, body=_account_edit_form),
    # The change history: audit.read (administrators and executives; managers never).
    "account-history": Page({"GET": (403, 403, 200, 200, L, 404, L)}),
    "account-delete": Page({"GET": (403, 403, 200, 403, L, 404, L),
                            "POST": (403, 403, 302, 403, L, 404, L)}),
    # The team: administrators (account.assign_owner). GET of "add" goes back to the account.
    "account-team-add": Page({"GET": (403, 403, 302, 403, L, 404, L),
                              "POST": (403, 403, 302, 403, L, 404, L)},
                             body=lambda w: {"membership": str(w.a["target_member"].pk),
                                             "team_role": "technical_support"}),
    "account-team-remove": Page({"GET": (403, 403, 200, 403, L, 404, L),
                                 "POST": (403, 403, 302, 403, L, 404, L)}),
    # Tier overrides: tier.override (administrators and executives; managers and keys never).
    "account-tier-override": Page({"GET": (403, 403, 200, 200, L, 404, L),
                                   "POST": (403, 403, 302, 302, L, 404, L)},
                                  body=lambda w: {"tier": "strategic", "reason": "matrix",
                                                  "until": str(clock.today(w.a["tenant"])
                                                               + timedelta(days=30))}),
    # Ending one with none set is a redirect back too (with a message).
    "account-tier-override-end": Page({"GET": (403, 403, 200, 200, L, 404, L),
                                       "POST": (403, 403, 302, 302, L, 404, L)}),

    # Contacts and contracts of A1.
    # The search form POSTs (a name searched for stays out of URLs): 303 to "?f=<token>".
    "contact-list": Page({"GET": (200, 200, 200, 200, L, 200, L),
                          "POST": (303, 303, 303, 303, L, 303, L)},
                         body=lambda w: {"q": "x", "level": "leadership"}),
    "contact-create": Page({"GET": (200, 200, 200, 403, L, 200, L),
                            "POST": (302, 400, 302, 403, L, 400, L)}, body=_contact_form),
    "contact-edit": Page({"GET": (200, 404, 200, 403, L, 404, L),
                          "POST": (302, 404, 302, 403, L, 404, L)}, body=_contact_form),
    "contact-delete": Page({"GET": (200, 404, 200, 403, L, 404, L),
                            "POST": (302, 404, 302, 403, L, 404, L)}),
    # Data-subject tools: contact.data_subject (administrators only).
    "contact-export": Page({"GET": (403, 403, 200, 403, L, 404, L)}),
    "contact-erase": Page({"GET": (403, 403, 200, 403, L, 404, L),
                           "POST": (403, 403, 302, 403, L, 404, L)}),
    "contract-list": Page({"GET": (200, 200, 200, 200, L, 200, L)}),
    "contract-create": Page({"GET": (200, 200, 200, 403, L, 200, L),
                             "POST": (302, 400, 302, 403, L, 400, L)}, body=_contract_form),
    "contract-edit": Page({"GET": (200, 404, 200, 403, L, 404, L),
                           "POST": (302, 404, 302, 403, L, 404, L)}, body=_contract_form),
    "contract-delete": Page({"GET": (200, 404, 200, 403, L, 404, L),
                             "POST": (302, 404, 302, 403, L, 404, L)}),
    "transaction-list": Page({"GET": (200, 200, 200, 200, L, 200, L)}),

    # Exports stream what the caller can see.
    "export-accounts": Page({"GET": (200, 200, 200, 200, L, 200, L)}),
    "export-contacts": Page({"GET": (200, 200, 200, 200, L, 200, L)}),
    "export-transactions": Page({"GET": (200, 200, 200, 200, L, 200, L)}),

    # Imports: account.create (not executives); managers see their own imports only.
    "import-list": Page({"GET": (200, 200, 200, 403, L, 200, L)}),
    "import-upload": Page({"GET": (200, 200, 200, 403, L, 200, L),
                           "POST": (302, 302, 302, 403, L, 302, L)}, body=_upload_form),
    "import-detail": Page({"GET": (200, 404, 200, 403, L, 404, L)}),
    "import-mapping": Page({"GET": (200, 404, 200, 403, L, 404, L),
                            "POST": (302, 404, 302, 403, L, 404, L)},
                           params={"job_id": "import_uploaded"},
                           body=lambda w: {"name": "客户名称", "external_id": "外部编号",
                                           "mode": "valid_only"}),
    "import-progress": Page({"GET": (200, 404, 200, 403, L, 404, L)}),
    "import-report": Page({"GET": (200, 404, 200, 403, L, 404, L)}),

    # Tiering policy and service standards: every member reads; standards.manage (administrators)
    # edits. Tenant B's admin reads and edits tenant B's own; tenant A's version number is a 404.
    "tiering-policy": Page({"GET": (200, 200, 200, 200, L, 200, L)}),
    "tiering-policy-version": Page({"GET": (200, 200, 200, 200, L, 404, L)}),
    "tiering-policy-edit": Page({"GET": (403, 403, 200, 403, L, 200, L),
                                 "POST": (403, 403, 302, 403, L, 200, L)},
                                body=_tier_policy_form),
    "service-standards": Page({"GET": (200, 200, 200, 200, L, 200, L)}),
    "service-standards-edit": Page({"GET": (403, 403, 200, 403, L, 200, L),
                                    "POST": (403, 403, 302, 403, L, 302, L)},
                                   body=_standards_form),

    # API plumbing that is not an operation of the schema: the router's index, the schema, the docs.
    "api-root": Page({"GET": every(200)}),
    "api-schema": Page({"GET": every(200)}),
    "api-docs": Page({"GET": every(200)}),

    # The superuser admin (kam.admin_site.KamAdminSite): none of our identities is a superuser.
    # "admin:*" is every route of the admin site, named or not, each one requested.
    "admin:*": Page({"GET": every(AL)}),
    "admin:login": Page({"GET": every(200)}),
    # Logging out of an admin one is not in: back to the admin index (which asks to log in).
    "admin:logout": Page({"GET": every(302)}),

    # Development only (settings.DEBUG): static files.
    "^static/(?P<path>.*)$": Page({"GET": every(200)}, optional=True),
}


# --- API operations (key: operationId) ------------------------------------------------------------------


def _contract_json(w: World, number: str) -> dict:
    return {"account": w.a["account"].pk, "number": number, "title": "Matrix deal",
            "start_date": "2025-01-01", "end_date": "2025-12-31", "value": "1000.00",
            "payment_terms_days": 30, "status": "active", "renewal_notice_days": 60}


#                                            owner stranger admin exec read_key other_user other_key
OPERATIONS: dict[str, Op] = {
    "accounts_list":              Op((200, 200, 200, 200, 200, 200, 200)),
    # The parent is A1: whoever cannot see A1 gets a 400 on "parent".
    "accounts_create":            Op((201, 400, 201, 403, 403, 400, 400),
                                     body=lambda w: {"name": "Matrix API Co",
                                                     "parent": w.a["account"].pk}),
    "accounts_retrieve":          Op((200, 404, 200, 200, 200, 404, 404)),
    "accounts_update":            Op((200, 404, 200, 403, 403, 404, 404),
                                     body=lambda w: {"name": "Matrix Renamed",
                                                     "lifecycle_status": "active",
                                                     "strategic_value": 4}),
    "accounts_partial_update":    Op((200, 404, 200, 403, 403, 404, 404),
                                     body=lambda w: {"notes": "matrix"}),
    "accounts_destroy":           Op((403, 404, 204, 403, 403, 404, 404)),
    # audit.read: managers get 403 whatever the id; keys (read scope and up) may.
    "accounts_history_list":      Op((403, 403, 200, 200, 200, 404, 404)),

    "contacts_list":              Op((200, 200, 200, 200, 200, 200, 200)),
    "contacts_create":            Op((201, 400, 201, 403, 403, 400, 400),
                                     body=lambda w: {"account": w.a["account"].pk,
                                                     "name": "Matrix Contact"}),
    "contacts_retrieve":          Op((200, 404, 200, 200, 200, 404, 404)),
    "contacts_update":            Op((200, 404, 200, 403, 403, 404, 404),
                                     body=lambda w: {"account": w.a["account"].pk,
                                                     "name": "Matrix Renamed"}),
    "contacts_partial_update":    Op((200, 404, 200, 403, 403, 404, 404),
                                     body=lambda w: {"title": "CTO"}),
    "contacts_destroy":           Op((204, 404, 204, 403, 403, 404, 404)),

    "contracts_list":             Op((200, 200, 200, 200, 200, 200, 200)),
    "contracts_renewals_due_list": Op((200, 200, 200, 200, 200, 200, 200)),
    "contracts_create":           Op((201, 400, 201, 403, 403, 400, 400),
                                     body=lambda w: _contract_json(w, "MATRIX-NEW")),
    "contracts_retrieve":         Op((200, 404, 200, 200, 200, 404, 404)),
    "contracts_update":           Op((200, 404, 200, 403, 403, 404, 404),
                                     body=lambda w: _contract_json(w, "MATRIX-PUT")),
    "contracts_partial_update":   Op((200, 404, 200, 403, 403, 404, 404),
                                     body=lambda w: {"notes": "matrix"}),
    "contracts_destroy":          Op((204, 404, 204, 403, 403, 404, 404)),

    "transactions_list":          Op((200, 200, 200, 200, 200, 200, 200)),
    "transactions_create":        Op((201, 400, 201, 403, 403, 400, 400),
                                     body=lambda w: {"account": w.a["account"].pk,
                                                     "date": "2025-03-01", "amount": "100.00"}),
    "transactions_bulk_create":   Op((200, 400, 200, 403, 403, 400, 400),
                                     body=lambda w: [{"account": w.a["account"].pk,
                                                      "date": "2025-03-02", "amount": "10.00",
                                                      "external_id": "MATRIX-BULK-1"}]),
    "transactions_retrieve":      Op((200, 404, 200, 200, 200, 404, 404)),
    "transactions_update":        Op((200, 404, 200, 403, 403, 404, 404),
                                     body=lambda w: {"account": w.a["account"].pk,
                                                     "date": "2025-03-03", "amount": "120.00"}),
    "transactions_partial_update": Op((200, 404, 200, 403, 403, 404, 404),
                                      body=lambda w: {"amount": "130.00"}),
    "transactions_destroy":       Op((204, 404, 204, 403, 403, 404, 404)),

    # Teams are managed by administrators (and write keys): managers and executives get 403.
    "account_team_list":          Op((200, 200, 200, 200, 200, 200, 200)),
    "account_team_create":        Op((403, 403, 201, 403, 403, 400, 400),
                                     body=lambda w: {"account": w.a["account"].pk,
                                                     "membership": w.a["target_member"].pk,
                                                     "team_role": "technical_support"}),
    "account_team_retrieve":      Op((200, 404, 200, 200, 200, 404, 404)),
    "account_team_destroy":       Op((403, 404, 204, 403, 403, 404, 404)),

    # Read-only, every identity lists (managers: the changes of the accounts they may see).
    "tier_changes_list":          Op((200, 200, 200, 200, 200, 200, 200)),
}
