"""The accounts app's part of the route matrix (tests/route_matrix.py, the walker, explains the
columns and outcomes): every page and API operation of the app, what each identity gets, the
objects its URLs address, and the form and JSON bodies of its writes.

Role rules behind the rows (kam/roles.py, tested on their own in tests/kam/test_roles_matrix.py):
managers create and change the accounts they own or are on the team of, and staff the team of and
read the history of those they own; executives read everything and change nothing; admins do
everything, including deletes, teams and settings; read keys read.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.account.models import Account
from accounts.contacts.models import Contact
from accounts.contracts.models import Contract
from accounts.imports.models import ImportStatus
from accounts.imports.services import import_create
from accounts.team.models import AccountTeamMember
from accounts.transactions.models import Transaction
from kam import clock
from kam.models import Membership, Tenant
from kam.roles import Actor
from kam.tenancy import tenant_context
from tests.route_matrix import L, Op, Page, World

# URL parameters -> which of tenant A's objects fills them (World.a[kind].pk).
PARAMS: dict[str, str] = {
    "account_id": "account",
    "account_pk": "account",  # the history API's ".json" twin
    "contact_id": "contact",
    "contract_id": "contract",
    "member_id": "team_member",
    "job_id": "import_done",
}
LITERAL_PARAMS = {
    "version": lambda w: _tier_policy_version(w),
    "kind": lambda w: "contacts",        # the import templates
    "file_format": lambda w: "xlsx",
}
# API paths: the collection before "{id}" -> object kind.
API_COLLECTIONS: dict[str, str] = {
    "accounts": "account",
    "contacts": "contact",
    "contracts": "contract",
    "transactions": "transaction",
    "account-team": "team_member",
}
# Account A1's objects: the manager who is not on A1 must see none of them.
A1_KINDS = ("account", "contact", "contract", "transaction", "team_member", "import_uploaded",
            "import_done")


def _csv_upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "外部编号,客户名称\nM-1,Matrix import row\n".encode())


def build(tenant: Tenant, token: str, *, owner: Membership, teammate: Membership,
          target: Membership) -> dict[str, Any]:
    """One tenant's copy of every kind of object an accounts URL can address."""
    with tenant_context(tenant):
        account = Account.objects.create(name=f"{token}1 Precision Co", owner=owner,
                                          lifecycle_status="active", strategic_value=3,
                                          external_id=f"{token}1-acct")
        contact = Contact.objects.create(account=account, name=f"{token}1 Contact Li",
                                         email=f"{token}1@example.com")
        contract = Contract.objects.create(
            account=account, number=f"{token}1-ctr", title=f"{token}1 framework",
            start_date=date(2025, 1, 1), end_date=clock.today(tenant) + timedelta(days=30),
            value="100000.00", status="active", renewal_notice_days=90)
        tx = Transaction.objects.create(account=account, date=date(2025, 2, 1), amount="5000.00",
                                        product_line=f"{token}1 bearings",
                                        external_id=f"{token}1-tx")
        team_member = AccountTeamMember.objects.create(account=account, membership=teammate,
                                                       team_role="sales")
        actor = Actor(tenant=tenant, membership=owner)
        import_uploaded = import_create(actor=actor, kind="accounts", mode="valid_only",
                                        upload=_csv_upload(f"{token}1-mapping.csv"))
        import_done = import_create(actor=actor, kind="accounts", mode="valid_only",
                                    upload=_csv_upload(f"{token}1-done.csv"))
        import_done.status = ImportStatus.DONE
        import_done.total_rows = import_done.processed_rows = import_done.failed_count = 1
        import_done.finished_at = clock.now()
        import_done.report.save("report.csv", ContentFile(f"row,error\n2,{token}1 bad\n".encode()),
                                save=False)
        import_done.save()
    return {
        "account": account, "contact": contact, "contract": contract, "transaction": tx,
        "team_member": team_member, "import_uploaded": import_uploaded, "import_done": import_done,
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
    return {"kind": "accounts", "mode": "valid_only", "file": _csv_upload("matrix.csv")}


def _tier_policy_version(w: World) -> int:
    """Tenant A's tiering policy version 1 (saved once per world): tenant B has none -> 404."""
    if "tier_policy" not in w.a:
        from accounts.tiering.selectors import default_policy
        from accounts.tiering.services import tier_policy_save
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
    from accounts.tiering.policy import default_criteria, policy_validate
    from accounts.tiering.services import policy_digest
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
    from accounts.standards.models import DEFAULT_STANDARDS

    return {f"{tier}-{name}": ("on" if value is True else str(value))
            for tier, values in DEFAULT_STANDARDS.items() for name, value in values.items()
            if value is not False}


# --- pages ----------------------------------------------------------------------------------------------
#                                          owner stranger admin exec read_key other_user other_key

PAGES: dict[str, Page] = {
    # Accounts.
    "accounts:account-list": Page({"GET": (200, 200, 200, 200, L, 200, L)}),
    "accounts:account-create": Page({"GET": (200, 200, 200, 403, L, 200, L),
                            "POST": (302, 400, 302, 403, L, 400, L)}, body=_account_form),
    # The account picker's matches for a term in A1's name ("qzalpha1 Precision Co", and B1's:
    # no token, which a login redirect's ?next= would carry): whoever may not see A1 (the manager
    # not on it, tenant B) gets a list without it (the walker looks for its token).
    "accounts:account-lookup": Page({"GET": (200, 200, 200, 200, L, 200, L)},
                                    query=lambda w: {"q": "1 Precision"}),
    "accounts:account-detail": Page({"GET": (200, 404, 200, 200, L, 404, L)}),
    "accounts:account-timeline": Page({"GET": (200, 404, 200, 200, L, 404, L)}),
    "accounts:account-timeline-recent": Page({"GET": (200, 404, 200, 200, L, 404, L)}),
    "accounts:account-edit": Page({"GET": (200, 404, 200, 403, L, 404, L),
                          "POST": (302, 404, 302, 403, L, 404, L)}, body=_account_edit_form),
    # The change history: audit.read (administrators and executives), audit.read_own (a manager,
    # of the accounts they own; one they do not see is a 404 like any account).
    "accounts:account-history": Page({"GET": (200, 404, 200, 200, L, 404, L)}),
    "accounts:account-delete": Page({"GET": (403, 403, 200, 403, L, 404, L),
                            "POST": (403, 403, 302, 403, L, 404, L)}),
    # The team: administrators (account.assign_owner) and the account's owner (team.manage_own);
    # adding has a page of its own.
    "accounts:account-team-add": Page({"GET": (200, 404, 200, 403, L, 404, L),
                              "POST": (302, 404, 302, 403, L, 404, L)},
                             body=lambda w: {"membership": str(w.a["target_member"].pk),
                                             "team_role": "technical_support"}),
    "accounts:account-team-remove": Page({"GET": (200, 404, 200, 403, L, 404, L),
                                 "POST": (302, 404, 302, 403, L, 404, L)}),
    # Tier overrides: tier.override (administrators and executives; managers and keys never).
    "accounts:account-tier-override": Page({"GET": (403, 403, 200, 200, L, 404, L),
                                   "POST": (403, 403, 302, 302, L, 404, L)},
                                  body=lambda w: {"tier": "strategic", "reason": "matrix",
                                                  "until": str(clock.today(w.tenant_a)
                                                               + timedelta(days=30))}),
    # Ending one with none set is a redirect back too (with a message).
    "accounts:account-tier-override-end": Page({"GET": (403, 403, 200, 200, L, 404, L),
                                       "POST": (403, 403, 302, 302, L, 404, L)}),

    # Contacts and contracts of A1.
    # The search form POSTs (a name searched for stays out of URLs): 303 to "?f=<token>".
    "accounts:contact-list": Page({"GET": (200, 200, 200, 200, L, 200, L),
                          "POST": (303, 303, 303, 303, L, 303, L)},
                         body=lambda w: {"q": "x", "level": "leadership"}),
    "accounts:contact-create": Page({"GET": (200, 200, 200, 403, L, 200, L),
                            "POST": (302, 400, 302, 403, L, 400, L)}, body=_contact_form),
    "accounts:contact-edit": Page({"GET": (200, 404, 200, 403, L, 404, L),
                          "POST": (302, 404, 302, 403, L, 404, L)}, body=_contact_form),
    "accounts:contact-delete": Page({"GET": (200, 404, 200, 403, L, 404, L),
                            "POST": (302, 404, 302, 403, L, 404, L)}),
    # Data-subject tools: contact.data_subject (administrators only).
    "accounts:contact-export": Page({"GET": (403, 403, 200, 403, L, 404, L)}),
    "accounts:contact-erase": Page({"GET": (403, 403, 200, 403, L, 404, L),
                           "POST": (403, 403, 302, 403, L, 404, L)}),
    "accounts:contract-list": Page({"GET": (200, 200, 200, 200, L, 200, L)}),
    "accounts:contract-create": Page({"GET": (200, 200, 200, 403, L, 200, L),
                             "POST": (302, 400, 302, 403, L, 400, L)}, body=_contract_form),
    "accounts:contract-edit": Page({"GET": (200, 404, 200, 403, L, 404, L),
                           "POST": (302, 404, 302, 403, L, 404, L)}, body=_contract_form),
    "accounts:contract-delete": Page({"GET": (200, 404, 200, 403, L, 404, L),
                             "POST": (302, 404, 302, 403, L, 404, L)}),
    "accounts:transaction-list": Page({"GET": (200, 200, 200, 200, L, 200, L)}),

    # Exports stream what the caller can see.
    "accounts:export-accounts": Page({"GET": (200, 200, 200, 200, L, 200, L)}),
    "accounts:export-contacts": Page({"GET": (200, 200, 200, 200, L, 200, L)}),
    "accounts:export-transactions": Page({"GET": (200, 200, 200, 200, L, 200, L)}),

    # Imports: account.create (not executives); managers see their own imports only.
    "accounts:import-list": Page({"GET": (200, 200, 200, 403, L, 200, L)}),
    "accounts:import-upload": Page({"GET": (200, 200, 200, 403, L, 200, L),
                           "POST": (302, 302, 302, 403, L, 302, L)}, body=_upload_form),
    "accounts:import-detail": Page({"GET": (200, 404, 200, 403, L, 404, L)}),
    "accounts:import-mapping": Page({"GET": (200, 404, 200, 403, L, 404, L),
                            "POST": (302, 404, 302, 403, L, 404, L)},
                           params={"job_id": "import_uploaded"},
                           body=lambda w: {"name": "客户名称", "external_id": "外部编号",
                                           "mode": "valid_only"}),
    # An empty file with the column names: every identity that may import (tenant B's admin
    # gets tenant B's, which is the same file).
    "accounts:import-template": Page({"GET": (200, 200, 200, 403, L, 200, L)}),
    "accounts:import-progress": Page({"GET": (200, 404, 200, 403, L, 404, L)}),
    "accounts:import-report": Page({"GET": (200, 404, 200, 403, L, 404, L)}),

    # Tiering policy and service standards: every member reads; standards.manage (administrators)
    # edits. Tenant B's admin reads and edits tenant B's own; tenant A's version number is a 404.
    "accounts:tiering-policy": Page({"GET": (200, 200, 200, 200, L, 200, L)}),
    "accounts:tiering-policy-version": Page({"GET": (200, 200, 200, 200, L, 404, L)}),
    "accounts:tiering-policy-edit": Page({"GET": (403, 403, 200, 403, L, 200, L),
                                 "POST": (403, 403, 302, 403, L, 200, L)},
                                body=_tier_policy_form),
    "accounts:service-standards": Page({"GET": (200, 200, 200, 200, L, 200, L)}),
    "accounts:service-standards-edit": Page({"GET": (403, 403, 200, 403, L, 200, L),
                                    "POST": (403, 403, 302, 403, L, 302, L)},
                                   body=_standards_form),
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
    # audit.read: executives, admins and keys (read scope and up); a manager of the accounts they
    # own (audit.read_own): the stranger does not see A1, a 404.
    "accounts_history_list":      Op((200, 404, 200, 200, 200, 404, 404)),

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

    # Teams are managed by administrators, write keys and the account's owner; executives get
    # 403, a manager naming an account they do not see a 400 (it "does not exist").
    "account_team_list":          Op((200, 200, 200, 200, 200, 200, 200)),
    "account_team_create":        Op((201, 400, 201, 403, 403, 400, 400),
                                     body=lambda w: {"account": w.a["account"].pk,
                                                     "membership": w.a["target_member"].pk,
                                                     "team_role": "technical_support"}),
    "account_team_retrieve":      Op((200, 404, 200, 200, 200, 404, 404)),
    "account_team_destroy":       Op((204, 404, 204, 403, 403, 404, 404)),

    # Read-only, every identity lists (managers: the changes of the accounts they may see).
    "tier_changes_list":          Op((200, 200, 200, 200, 200, 200, 200)),
}
