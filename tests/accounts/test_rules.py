"""One rule set per entity, every channel (accounts/<concept>/rules.py): the same conflict is
reported on the same field with the same words by a single write, the bulk upsert and a file
import — for transactions, accounts and contacts."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import translation

from accounts.transactions.models import Transaction
from kam.tenancy import tenant_context
from tests.accounts.imports.test_imports import csv_bytes, report_rows, run
from tests.conftest import login
from tests.factories import make_account

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/transactions/"
BULK_URL = "/api/v1/transactions/bulk/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DAY = "2026-03-01"


@pytest.fixture
def world(tenant_a, manager_a, manager2_a):
    tenant_a.default_language = "en"  # the import reports in the tenant's language
    tenant_a.save(update_fields=["default_language"])
    own = make_account(tenant_a, "Own", owner=manager_a, external_id="OWN")
    other_own = make_account(tenant_a, "Own 2", owner=manager_a, external_id="OWN2")
    colleagues = make_account(tenant_a, "Colleague's", owner=manager2_a, external_id="COL")
    with tenant_context(tenant_a):
        hidden = Transaction.objects.create(account=colleagues, date=datetime.date(2026, 1, 5),
                                            amount=Decimal(5), external_id="T-HIDDEN")
        original = Transaction.objects.create(account=own, date=datetime.date(2026, 1, 6),
                                              amount=Decimal(50), external_id="T-ORIG")
        Transaction.objects.create(account=own, date=datetime.date(2026, 1, 7),
                                   amount=Decimal(-5), refund_of=original, external_id="T-REFUND")
    return {"own": own, "other_own": other_own, "colleagues": colleagues, "hidden": hidden,
            "original": original}


def single(api, body: dict) -> dict[str, list[str]]:
    response = api.post(LIST_URL, body, format="json", **EN)
    assert response.status_code == 400, response.content
    return response.json()["errors"]


def bulk(api, row: dict) -> dict[str, list[str]]:
    response = api.post(BULK_URL, [row], format="json", **EN)
    assert response.status_code == 400, response.content
    [entry] = response.json()["errors"]
    return entry["errors"]


def imported(member, row: dict) -> dict[str, list[str]]:
    """The errors of the row in the failed-rows report, by field (the columns are the fields)."""
    header = ["account", "date", "amount", "external_id"]
    job = run(member, "transactions", csv_bytes([header, [row[h] for h in header]]))
    assert job.failed_count == 1, (job.status, job.error_message)
    [failed] = report_rows(job)
    # "<column>: <messages>; <column>: …" (a message may hold "; " itself).
    parts = re.split(r"(?:^|; )(account|date|amount|external_id): ", failed["Errors"])[1:]
    return {field: [message] for field, message in zip(parts[::2], parts[1::2], strict=True)}


def channels(api, member, world, *, account: str, amount: str, external_id: str,
             include_single: bool = True) -> list[dict[str, list[str]]]:
    pk = world[account].pk
    out = []
    if include_single:
        out.append(single(api, {"account": pk, "date": DAY, "amount": amount,
                                "external_id": external_id}))
    out.append(bulk(api, {"account": pk, "date": DAY, "amount": amount, "external_id": external_id}))
    out.append(imported(member, {"account": world[account].external_id, "date": DAY,
                                 "amount": amount, "external_id": external_id}))
    return out


def test_an_account_the_actor_may_not_see(api, manager_a, world):
    login(api, manager_a)
    found = channels(api, manager_a, world, account="colleagues", amount="10.00", external_id="N-1")
    # The import names the account by external id; a colleague's reads as no account at all.
    assert found == [{"account": ["The account does not exist."]}] * 3


def test_an_external_id_held_by_a_hidden_transaction(api, manager_a, world):
    login(api, manager_a)
    found = channels(api, manager_a, world, account="own", amount="10.00",
                     external_id="T-HIDDEN")
    assert found == [{"external_id": ["Another transaction already has this external ID."]}] * 3
    with tenant_context(world["own"].tenant):
        assert Transaction.objects.get(external_id="T-HIDDEN").account_id == world["colleagues"].pk


def test_moving_a_transaction_with_refunds(api, manager_a, world):
    login(api, manager_a)
    patched = api.patch(f"{LIST_URL}{world['original'].pk}/", {"account": world["other_own"].pk},
                        format="json", **EN)
    assert patched.status_code == 400
    found = [patched.json()["errors"],
             *channels(api, manager_a, world, account="other_own", amount="50.00",
                       external_id="T-ORIG", include_single=False)]
    assert found == [{"account": ["A transaction with refunds cannot move to another account."]}] * 3


def test_bulk_and_import_refuse_a_refund_alike(api, manager_a, world):
    login(api, manager_a)
    assert channels(api, manager_a, world, account="own", amount="1.00", external_id="T-REFUND",
                    include_single=False) == [
        {"external_id": ["This external ID is a refund; change refunds one by one."]}] * 2
    with translation.override("en"):
        negative = channels(api, manager_a, world, account="own", amount="-1.00",
                            external_id="N-2", include_single=False)
    assert negative == [{"amount": ["A negative amount is only allowed for a refund; refunds "
                                    "cannot be imported in bulk."]}] * 2
    assert single(api, {"account": world["own"].pk, "date": DAY, "amount": "-1.00"}) == {
        "amount": ["A negative amount is only allowed for a refund (set refund_of)."]}


# --- accounts and contacts: the single write and the import ------------------------------------------


def imported_accounts(member, header: list[str], row: list[str], kind: str = "accounts"
                      ) -> dict[str, list[str]]:
    job = run(member, kind, csv_bytes([header, row]))
    assert job.failed_count == 1, (job.status, job.error_message)
    [failed] = report_rows(job)
    fields = "|".join(header)
    parts = re.split(rf"(?:^|; )({fields}): ", failed["Errors"])[1:]
    return {field: [message] for field, message in zip(parts[::2], parts[1::2], strict=True)}


def test_an_account_whose_parent_the_actor_may_not_see(api, manager_a, world):
    """Before the one rule set, the import linked a manager's account to a colleague's as its
    parent, which the API and the page refuse."""
    login(api, manager_a)
    response = api.post("/api/v1/accounts/", {"name": "New", "external_id": "NEW-1",
                                              "parent": world["colleagues"].pk},
                        format="json", **EN)
    assert response.status_code == 400
    assert response.json()["errors"] == {"parent": ["The parent account does not exist."]}
    assert imported_accounts(manager_a, ["name", "external_id", "parent"],
                             ["New", "NEW-1", "COL"]) == {
        "parent": ["The parent account does not exist."]}


def test_an_account_external_id_held_by_a_colleagues_account(api, manager_a, world):
    login(api, manager_a)
    response = api.post("/api/v1/accounts/", {"name": "Mine", "external_id": "COL"},
                        format="json", **EN)
    assert response.json()["errors"] == {
        "external_id": ["Another account already has this external ID."]}
    assert imported_accounts(manager_a, ["name", "external_id"], ["Mine", "COL"]) == {
        "external_id": ["Another account already has this external ID."]}


def test_a_contact_external_id_held_by_a_colleagues_contact(api, manager_a, world):
    from accounts.contacts.models import Contact

    with tenant_context(world["own"].tenant):
        Contact.objects.create(account=world["colleagues"], name="Wu", external_id="C-HIDDEN",
                               email="wu@example.com")
    login(api, manager_a)
    response = api.post("/api/v1/contacts/", {"account": world["own"].pk, "name": "Li",
                                              "external_id": "C-HIDDEN"}, format="json", **EN)
    assert response.json()["errors"] == {
        "external_id": ["Another contact already has this external ID."]}
    assert imported_accounts(manager_a, ["account", "name", "external_id"],
                             ["OWN", "Li", "C-HIDDEN"], kind="contacts") == {
        "external_id": ["Another contact already has this external ID."]}
