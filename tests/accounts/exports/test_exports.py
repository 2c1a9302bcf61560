from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Contact, Transaction
from kam.tenancy import tenant_context
from tests.conftest import login
from tests.factories import make_account

pytestmark = pytest.mark.django_db

KEYS = {"header": "keys"}  # the machine header: the field names, the same in every language


def read_csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


def test_account_csv_export_follows_filters_and_tenant(client, admin_a, admin_b):
    make_account(admin_a.tenant, "能源甲", industry="energy", external_id="E1")
    make_account(admin_a.tenant, "零售乙", industry="retail", external_id="R1")
    make_account(admin_b.tenant, "Other tenant energy", industry="energy", external_id="X1")
    login(client, admin_a)
    response = client.get(reverse("accounts:export-accounts"),
                          {**KEYS, "format": "csv", "industry": "energy"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert [(r["name"], r["external_id"], r["industry"]) for r in rows] == [("能源甲", "E1", "energy")]
    everything = read_csv(client.get(reverse("accounts:export-accounts"), {**KEYS, "format": "csv"}))
    assert sorted(r["name"] for r in everything) == ["能源甲", "零售乙"]


def test_other_tenant_exports_none_of_our_rows(client, admin_a, admin_b):
    account = make_account(admin_a.tenant, "Secret", external_id="S1")
    with tenant_context(admin_a.tenant):
        Contact.objects.create(account=account, name="Secret Person")
        Transaction.objects.create(account=account, date=date(2026, 1, 5), amount=Decimal("10"))
    login(client, admin_b)
    for name in ("accounts:export-accounts", "accounts:export-contacts", "accounts:export-transactions"):
        assert read_csv(client.get(reverse(name), {**KEYS, "format": "csv"})) == []
    # Filtering by another tenant's account id is invalid input, not a way in.
    response = client.get(reverse("accounts:export-contacts"),
                          {**KEYS, "format": "csv", "account": account.pk})
    assert response.status_code == 400


def test_manager_exports_only_visible_accounts(client, manager_a, manager2_a):
    make_account(manager_a.tenant, "Mine", owner=manager_a)
    make_account(manager_a.tenant, "Theirs", owner=manager2_a)
    login(client, manager_a)
    rows = read_csv(client.get(reverse("accounts:export-accounts"), {**KEYS, "format": "csv"}))
    assert [r["name"] for r in rows] == ["Mine"]


def test_xlsx_export_of_transactions(client, admin_a):
    account = make_account(admin_a.tenant, "Buyer", external_id="B1")
    with tenant_context(admin_a.tenant):
        Transaction.objects.create(account=account, date=date(2026, 3, 1), amount=Decimal("1234.50"),
                                   product_line="pumps", external_id="T1")
        Transaction.objects.create(account=account, date=date(2026, 4, 1), amount=Decimal("99.00"),
                                   external_id="T2")
    login(client, admin_a)
    response = client.get(reverse("accounts:export-transactions"), {**KEYS, "format": "xlsx"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    header = rows[0]
    data = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    assert [(d["external_id"], d["account_external_id"], Decimal(str(d["amount"]))) for d in data] == [
        ("T2", "B1", Decimal("99.00")), ("T1", "B1", Decimal("1234.50"))]


def test_contact_export(client, admin_a):
    account = make_account(admin_a.tenant, "Buyer", external_id="B1")
    with tenant_context(admin_a.tenant):
        Contact.objects.create(account=account, name="王总", level="leadership",
                               buying_role="decision_maker", email="wang@example.com")
    login(client, admin_a)
    rows = read_csv(client.get(reverse("accounts:export-contacts"),
                               {**KEYS, "format": "csv", "level": "leadership"}))
    assert [(r["name"], r["account_external_id"], r["buying_role"]) for r in rows] == [
        ("王总", "B1", "decision_maker")]


@pytest.mark.parametrize("params", [{"format": "pdf"}, {"format": "csv", "industry": "zombie"},
                                    {"format": "csv", "owner": "abc"}])
def test_bad_export_requests_are_400(client, admin_a, params):
    login(client, admin_a)
    assert client.get(reverse("accounts:export-accounts"), params).status_code == 400


def test_export_needs_login(client, admin_a):
    response = client.get(reverse("accounts:export-accounts"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("kam:login"))


def test_export_query_count_does_not_grow_with_rows(client, admin_a):
    login(client, admin_a)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("accounts:export-accounts"), {**KEYS, "format": "csv"})
            rows = read_csv(response)
        return len(ctx.captured_queries), len(rows)

    for i in range(5):
        make_account(admin_a.tenant, f"S{i}")
    client.get(reverse("accounts:account-list"))  # the session learns the tenant
    small, n_small = count()
    for i in range(60):
        make_account(admin_a.tenant, f"B{i}")
    big, n_big = count()
    assert (n_small, n_big) == (5, 65)
    assert small == big


def test_contact_export_carries_the_list_search(client, admin_a):
    account = make_account(admin_a.tenant, "Buyer")
    with tenant_context(admin_a.tenant):
        Contact.objects.create(account=account, name="张伟")
        Contact.objects.create(account=account, name="李娜")
    login(client, admin_a)
    # The search is POSTed on the list; the export link carries its opaque token, not the term.
    listed = client.post(reverse("accounts:contact-list"), {"q": "张"})
    assert listed.status_code == 303
    token = QueryDict(urlsplit(listed["Location"]).query)["f"]
    rows = read_csv(client.get(reverse("accounts:export-contacts"), {**KEYS, "format": "csv", "f": token}))
    assert [r["name"] for r in rows] == ["张伟"]
    # An old link with the term in it still exports the same rows, via a token.
    old = client.get(reverse("accounts:export-contacts"), {**KEYS, "format": "csv", "q": "张"})
    assert old.status_code == 303 and "张" not in old["Location"] and "f=" in old["Location"]
    assert [r["name"] for r in read_csv(client.get(old["Location"]))] == ["张伟"]


# --- formulas in CSV cells -----------------------------------------------------------------------

FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(A1:A9)", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]


# How a reader undoes it: one leading apostrophe dropped where apostrophes precede such a character.
ESCAPED = re.compile(r"'+[=+\-@\t\r]")


def test_csv_cells_that_start_a_formula_are_text_and_numbers_stay_numbers(client, admin_a):
    names = {f"x{i}": formula for i, formula in enumerate(FORMULAS)}
    for external_id, name in names.items():
        make_account(admin_a.tenant, name, external_id=external_id, city="'=已是文本")
    buyer = make_account(admin_a.tenant, "Buyer", external_id="B1", notes="普通 -备注 =x")
    with tenant_context(admin_a.tenant):
        Contact.objects.create(account=buyer, name="王总", phone="+86 138 0013 8000")
        sale = Transaction.objects.create(account=buyer, date=date(2026, 3, 1),
                                          amount=Decimal("12.50"), product_line="-", external_id="T1")
        Transaction.objects.create(account=buyer, date=date(2026, 3, 2), amount=Decimal("-12.50"),
                                   refund_of=sale, external_id="T2")
    login(client, admin_a)
    accounts = {r["external_id"]: r for r in read_csv(
        client.get(reverse("accounts:export-accounts"), {**KEYS, "format": "csv"}))}
    for external_id, name in names.items():
        assert accounts[external_id]["name"] == "'" + name
        assert ESCAPED.sub(lambda m: m.group()[1:], accounts[external_id]["name"],
                           count=1) == name  # undone exactly
        assert accounts[external_id]["city"] == "''=已是文本"  # one more apostrophe: reversible
    assert accounts["B1"]["name"] == "Buyer" and accounts["B1"]["notes"] == "普通 -备注 =x"
    assert accounts["B1"]["strategic_value"] == "3"
    contacts = read_csv(client.get(reverse("accounts:export-contacts"), {**KEYS, "format": "csv"}))
    assert contacts[0]["phone"] == "'+86 138 0013 8000"
    transactions = {r["external_id"]: r for r in read_csv(
        client.get(reverse("accounts:export-transactions"), {**KEYS, "format": "csv"}))}
    assert transactions["T1"]["product_line"] == "'-"
    assert (transactions["T1"]["amount"], transactions["T2"]["amount"]) == ("12.50", "-12.50")
    # The Excel export writes the same text as text cells, never as formulas.
    workbook = load_workbook(io.BytesIO(b"".join(client.get(
        reverse("accounts:export-accounts"), {**KEYS, "format": "xlsx"}).streaming_content)))
    cells = {row[1].value: row[2] for row in workbook.active.iter_rows(min_row=2)}
    assert cells["x0"].value == FORMULAS[0] and cells["x0"].data_type == "s"


# --- the header row --------------------------------------------------------------------------------

ACCOUNT_KEYS = ["id", "external_id", "name", "short_name", "unified_social_credit_code", "industry",
                "province", "city", "employee_count", "annual_revenue_band", "development_stage",
                "parent_external_id", "parent_name", "owner", "lifecycle_status", "strategic_value",
                "credit_rating", "language", "business_scope", "notes", "revenue_12m", "created_at",
                "updated_at"]


@pytest.mark.parametrize("browser,header", [
    ("zh-CN", ["KAM 编号", "外部编号", "客户名称", "简称", "统一社会信用代码", "行业", "省份", "城市",
               "员工人数", "年营业收入", "发展阶段", "上级客户外部编号", "上级客户名称", "负责人",
               "生命周期状态", "战略价值", "信用等级", "语言", "经营范围", "备注", "近 12 个月收入",
               "创建时间", "更新时间"]),
    ("en", ["KAM ID", "External ID", "Account name", "Short name", "Unified social credit code",
            "Industry", "Province", "City", "Employees", "Annual revenue", "Development stage",
            "Parent account external ID", "Parent account name", "Owner", "Lifecycle status",
            "Strategic value", "Credit rating", "Language", "Business scope", "Notes",
            "Revenue, last 12 months", "Created", "Updated"]),
])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_headers_are_in_the_users_language_and_keys_stay_for_integrations(
        client, admin_a, browser, header, fmt):
    make_account(admin_a.tenant, "能源甲", external_id="E1")
    login(client, admin_a)

    def first_rows(params: dict) -> list[list]:
        response = client.get(reverse("accounts:export-accounts"), {"format": fmt, **params},
                              HTTP_ACCEPT_LANGUAGE=browser)
        assert response.status_code == 200
        if fmt == "csv":
            body = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
            return list(csv.reader(io.StringIO(body)))
        workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
        return [list(row) for row in workbook.active.iter_rows(values_only=True)]

    labelled = first_rows({})
    assert labelled[0] == header
    keyed = first_rows(KEYS)
    assert keyed[0] == ACCOUNT_KEYS  # whatever the language
    assert labelled[1:] == keyed[1:] and len(keyed) == 2  # the same values either way


def test_an_unknown_header_style_is_a_400(client, admin_a):
    login(client, admin_a)
    response = client.get(reverse("accounts:export-accounts"), {"format": "csv", "header": "snake"},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Choose labels" in response.content.decode()


@pytest.mark.parametrize("header", [{}, KEYS])
@pytest.mark.parametrize("browser", ["zh-CN", "en"])
def test_an_export_imports_back_onto_itself(client, admin_a, browser, header):
    """Exported in either language (or with the keys) and uploaded as it is, every row maps to
    its fields by itself and comes back unchanged."""
    from tests.accounts.imports.test_imports import run

    parent = make_account(admin_a.tenant, "集团甲", external_id="P1", industry="energy",
                          owner=admin_a, employee_count=1200, strategic_value=5)
    child = make_account(admin_a.tenant, "=子公司乙", external_id="C1", parent=parent,
                         city="苏州", notes="-备注")
    with tenant_context(admin_a.tenant):
        Contact.objects.create(account=parent, name="王总", external_id="K1", level="leadership",
                               buying_role="decision_maker", phone="+86 138 0013 8000",
                               email="wang@example.com", birthday=date(1970, 5, 1))
        Contact.objects.create(account=child, name="李工", external_id="K2", level="technical")
        Transaction.objects.create(account=parent, date=date(2026, 3, 1), amount=Decimal("1234.50"),
                                   gross_margin=Decimal("200.00"), product_line="泵",
                                   external_id="T1")
        Transaction.objects.create(account=child, date=date(2026, 3, 2), amount=Decimal("99"),
                                   external_id="T2")
    login(client, admin_a)
    for kind, rows in (("accounts", 2), ("contacts", 2), ("transactions", 2)):
        response = client.get(reverse(f"accounts:export-{kind}"), {**header, "format": "csv"},
                              HTTP_ACCEPT_LANGUAGE=browser)
        job = run(admin_a, kind, b"".join(response.streaming_content), name=f"{kind}.csv")
        assert (job.status, job.failed_count, job.unchanged_count) == ("done", 0, rows), (
            kind, job.mapping, job.error_message)
