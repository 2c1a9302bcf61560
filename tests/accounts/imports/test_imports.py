"""Bulk import (issue 3): files, mapping, per-row validation, upsert, modes, pages, the worker."""

from __future__ import annotations

import csv
import io
import os
import time
from datetime import date, datetime
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from accounts.exports.selectors import EXPORTS
from accounts.imports import batcher as import_batcher
from accounts.imports import run as import_run_module
from accounts.imports.run import import_run
from accounts.imports.services import import_create, import_start
from accounts.imports.specs import SPECS, _norm_header, suggest_mapping
from accounts.models import Account, AccountFigures, Contact, ImportJob, Transaction
from kam.roles import Actor
from kam.tenancy import tenant_context
from tests.conftest import login
from tests.factories import make_account

pytestmark = pytest.mark.django_db

USCC_OK = "91350100M000100Y43"  # a valid code (check character Y)
ACCOUNT_HEADER = ["外部编号", "客户名称", "统一社会信用代码", "行业", "员工人数", "战略价值",
                  "上级客户", "负责人"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def csv_bytes(rows: list[list[object]], *, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run(member, kind: str, content: bytes, *, mode: str = "valid_only", name: str = "data.csv",
        mapping: dict | None = None) -> ImportJob:
    """Upload, keep the suggested mapping (or another), queue, and run the task's code."""
    actor = Actor(tenant=member.tenant, membership=member)
    with tenant_context(member.tenant):
        job = import_create(actor=actor, kind=kind, mode=mode,
                            upload=SimpleUploadedFile(name, content))
        import_start(actor=actor, job=job, mapping=mapping or job.mapping, mode=mode)
        import_run(job_id=job.pk)
        job.refresh_from_db()
    return job


def report_rows(job: ImportJob) -> list[dict]:
    with job.report.open("rb") as fh:
        text = fh.read().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def accounts_snapshot(tenant) -> list[dict]:
    return list(Account.unscoped_all_tenants.filter(tenant=tenant).order_by("external_id").values())


# --- files and mapping suggestions ----------------------------------------------------------------


def test_chinese_headers_are_suggested():
    mapping = suggest_mapping(kind="accounts", columns=[*ACCOUNT_HEADER, "备注", "随便"])
    assert mapping == {
        "external_id": "外部编号", "name": "客户名称", "unified_social_credit_code": "统一社会信用代码",
        "industry": "行业", "employee_count": "员工人数", "strategic_value": "战略价值",
        "parent": "上级客户", "owner": "负责人", "notes": "备注",
    }
    tx = suggest_mapping(kind="transactions", columns=["订单编号", "客户编号", "日期", "金额", "毛利"])
    assert tx == {"external_id": "订单编号", "account": "客户编号", "date": "日期", "amount": "金额",
                  "gross_margin": "毛利"}
    # An export of this application maps back onto itself.
    exported = suggest_mapping(kind="contacts", columns=["id", "external_id", "account_external_id",
                                                         "account_name", "name", "email"])
    assert exported == {"external_id": "external_id", "account": "account_external_id",
                        "name": "name", "email": "email"}


# The export column (its key) each import field is read from.
EXPORTED_AS = {"parent": "parent_external_id", "owner": "owner", "account": "account_external_id"}


@pytest.mark.parametrize("header", ["zh-hans", "en", "keys"])
@pytest.mark.parametrize("kind", SPECS)
def test_every_export_maps_back_onto_its_import(kind, header):
    """Every field an import takes is in the export of its kind and is suggested for its column,
    whether the export's header row is in Chinese, in English or the keys."""
    spec = EXPORTS[kind]
    with translation.override("en" if header == "keys" else header):
        headers = spec.headers(keys=header == "keys")
    by_key = dict(zip(spec.headers(keys=True), headers, strict=True))
    expected = {f.name: by_key[EXPORTED_AS.get(f.name, f.name)] for f in SPECS[kind].fields}
    assert suggest_mapping(kind=kind, columns=headers) == expected


@pytest.mark.parametrize("kind,columns,expected", [
    ("accounts",
     ["Customer no.", "Customer", "USCC", "Sector", "State", "City", "Headcount", "Turnover",
      "Parent account ID", "Account manager", "Status", "Credit", "Remarks", "Something else"],
     {"external_id": "Customer no.", "name": "Customer", "unified_social_credit_code": "USCC",
      "industry": "Sector", "province": "State", "city": "City", "employee_count": "Headcount",
      "annual_revenue_band": "Turnover", "parent": "Parent account ID",
      "owner": "Account manager", "lifecycle_status": "Status", "credit_rating": "Credit",
      "notes": "Remarks"}),
    ("contacts",
     ["Contact ID", "Customer ID", "Full name", "Position", "Dept", "Seniority", "Role",
      "Relationship", "Mobile number", "E-mail address", "WeChat", "Date of birth"],
     {"external_id": "Contact ID", "account": "Customer ID", "name": "Full name",
      "title": "Position", "department": "Dept", "level": "Seniority", "buying_role": "Role",
      "relationship_strength": "Relationship", "phone": "Mobile number",
      "email": "E-mail address", "wechat_id": "WeChat", "birthday": "Date of birth"}),
    ("transactions",
     ["Order number", "Customer", "Order date", "Amount", "Gross profit", "Product"],
     {"external_id": "Order number", "account": "Customer", "date": "Order date",
      "amount": "Amount", "gross_margin": "Gross profit", "product_line": "Product"}),
    ("transactions", ["Order no.", "Account number", "Invoice date", "Total", "Margin", "Category"],
     {"external_id": "Order no.", "account": "Account number", "date": "Invoice date",
      "amount": "Total", "gross_margin": "Margin", "product_line": "Category"}),
])
def test_english_headers_are_suggested(kind, columns, expected):
    """As complete as the Chinese ones: the names an English spreadsheet gives its columns."""
    assert suggest_mapping(kind=kind, columns=columns) == expected


@pytest.mark.parametrize("kind", SPECS)
def test_a_header_names_one_field_only(kind):
    """Every name a header is recognised by (field names, labels in every language, synonyms)
    belongs to one field of the kind, so no suggestion depends on the order they are tried in."""
    spec = SPECS[kind]
    owners: dict[str, set[str]] = {}
    for f in spec.fields:
        names = [f.name, *f.synonyms]
        for lang, _name in settings.LANGUAGES:
            with translation.override(lang):
                names.append(spec.label(f.name))
                if f.ref is None:
                    names.append(str(spec.model._meta.get_field(f.name).verbose_name))
        for name in names:
            owners.setdefault(_norm_header(name), set()).add(f.name)
    assert {key: fields for key, fields in owners.items() if len(fields) > 1} == {}


def test_upload_page_sniffs_gb18030_semicolons_and_shows_preview(client, admin_a):
    content = csv_bytes([["外部编号", "客户名称", "城市"], ["A-1", "苏州精工", "苏州"],
                         ["A-2", "上海机电", "上海"]], encoding="gb18030", delimiter=";")
    login(client, admin_a)
    response = client.post(reverse("accounts:import-upload"), {
        "kind": "accounts", "mode": "valid_only", "file": SimpleUploadedFile("客户.csv", content)})
    assert response.status_code == 302
    with tenant_context(admin_a.tenant):
        job = ImportJob.objects.get()
    assert response["Location"] == reverse("accounts:import-mapping", args=[job.pk])
    assert (job.columns, job.file_format, job.original_name) == (["外部编号", "客户名称", "城市"],
                                                                 "csv", "客户.csv")
    assert job.mapping == {"external_id": "外部编号", "name": "客户名称", "city": "城市"}
    page = client.get(response["Location"]).content.decode()
    assert "苏州精工" in page and "上海机电" in page
    assert '<option value="客户名称" selected>' in page


@pytest.mark.parametrize("name,content,message", [
    ("garbage.csv", None, "not a CSV or Excel"),
    ("fake.xlsx", b"PK\x03\x04" + os.urandom(4096), "not a valid Excel"),
    ("old.xls", b"\xd0\xcf\x11\xe0" + os.urandom(1024), ".xls"),
    ("empty.csv", b"", "empty"),
    ("header-only.csv", "外部编号,客户名称\n".encode(), "no data rows"),
])
def test_unreadable_files_are_a_clear_400_and_store_nothing(client, admin_a, name, content,
                                                            message):
    if content is None:
        content = os.urandom(10 * 1024 * 1024)  # 10 MB of random bytes
    login(client, admin_a)
    started = time.monotonic()
    response = client.post(reverse("accounts:import-upload"), {
        "kind": "accounts", "mode": "valid_only", "file": SimpleUploadedFile(name, content)},
        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert time.monotonic() - started < 30  # no hang (a generous bound, not a benchmark)
    assert ImportJob.unscoped_all_tenants.count() == 0


def test_file_turned_to_garbage_before_the_run_fails_the_job_clearly(admin_a, tenant_a):
    actor = Actor(tenant=tenant_a, membership=admin_a)
    with tenant_context(tenant_a):
        job = import_create(actor=actor, kind="accounts", mode="valid_only", upload=SimpleUploadedFile(
            "a.csv", csv_bytes([["外部编号", "客户名称"], ["A-1", "甲"]])))
        import_start(actor=actor, job=job, mapping=job.mapping, mode="valid_only")
        with open(job.file.path, "wb") as fh:
            fh.write(os.urandom(100_000))
        import_run(job_id=job.pk)
        job.refresh_from_db()
        assert job.status == "failed" and job.error_message
        assert not Account.objects.exists()


# --- validation, modes and upsert ----------------------------------------------------------------


BAD_ROWS = [
    ["A-2", "", "", "manufacturing", "", "3", "", ""],                  # no name
    ["A-3", "坏码公司", "91350100M000100Y44", "", "", "3", "", ""],      # wrong check character
    ["A-4", "行业错", "", "spaceships", "", "3", "", ""],               # not a choice
    ["A-5", "人数错", "", "", "很多", "3", "", ""],                      # not a number
    ["A-6", "价值错", "", "", "", "9", "", ""],                          # strategic value 1–5
    ["A-1", "重复", "", "", "", "3", "", ""],                            # duplicate external id
    ["", "无编号", "", "", "", "3", "", ""],                             # no external id
    ["A-7", "无上级", "", "", "", "3", "NOPE", ""],                      # unknown parent
    ["A-8", "无主", "", "", "", "3", "", "nobody"],                      # unknown owner
]
GOOD_ROWS = [
    ["A-1", "华东精密", USCC_OK, "制造业", "1200", "5", "", "admin_a"],
    ["A-9", "子公司", "", "energy", "", "", "A-1", "admin_a@example.com"],
]


def test_all_or_nothing_rejects_the_file_and_writes_nothing(admin_a, tenant_a):
    job = run(admin_a, "accounts", csv_bytes([ACCOUNT_HEADER, *GOOD_ROWS, *BAD_ROWS]),
              mode="all_or_nothing")
    assert job.status == "rejected"
    assert (job.failed_count, job.created_count, job.total_rows) == (len(BAD_ROWS), 0, 11)
    assert not Account.unscoped_all_tenants.filter(tenant=tenant_a).exists()
    failed = report_rows(job)
    assert [r["客户名称"] for r in failed] == [r[1] for r in BAD_ROWS]
    assert all(r["错误"] for r in failed)


def test_valid_only_imports_valid_rows_and_reports_the_rest(admin_a, tenant_a):
    job = run(admin_a, "accounts", csv_bytes([ACCOUNT_HEADER, *GOOD_ROWS, *BAD_ROWS]))
    assert job.status == "done", job.error_message
    assert (job.created_count, job.updated_count, job.unchanged_count, job.failed_count) == (
        2, 0, 0, len(BAD_ROWS))
    with tenant_context(tenant_a):
        parent = Account.objects.get(external_id="A-1")
        child = Account.objects.get(external_id="A-9")
    assert (parent.name, parent.unified_social_credit_code, parent.industry,
            parent.employee_count, parent.strategic_value, parent.owner_id) == (
        "华东精密", USCC_OK, "manufacturing", 1200, 5, admin_a.pk)
    assert (child.parent_id, child.industry, child.strategic_value, child.owner_id) == (
        parent.pk, "energy", 3, admin_a.pk)
    failed = report_rows(job)
    assert list(failed[0]) == [*ACCOUNT_HEADER, "错误"]  # the tenant's language: Chinese
    by_name = {r["客户名称"]: r["错误"] for r in failed}
    assert set(by_name) == {r[1] for r in BAD_ROWS}
    assert by_name[""].startswith("客户名称：")
    assert by_name["坏码公司"].startswith("统一社会信用代码：")
    assert by_name["行业错"].startswith("行业：")
    assert by_name["人数错"].startswith("员工人数：")
    assert by_name["价值错"].startswith("战略价值：")
    assert by_name["重复"].startswith("外部编号：") and "2" in by_name["重复"]
    assert by_name["无编号"].startswith("外部编号：")
    assert by_name["无上级"].startswith("上级客户：")
    assert by_name["无主"].startswith("负责人：")


def test_messages_follow_the_tenants_language_without_a_starter_language(admin_b):
    job = run(admin_b, "accounts", csv_bytes([["external_id", "name", "industry"],
                                              ["X-1", "", "zombies"]]))
    assert report_rows(job)[0]["Errors"] == (
        "name: This field is required.; industry: Value 'zombies' is not a valid choice.")


@pytest.mark.parametrize("browser,errors,message", [
    ("zh-CN", {"错误": "name：此字段为必填项。 industry：值 'zombies' 不是有效选项。"},
     "1 行失败，因此未导入任何数据。"),
    ("en", {"Errors": "name: This field is required.; industry: Value 'zombies' is not a valid "
                      "choice."}, "1 row failed, so nothing was imported."),
])
def test_the_failed_rows_are_in_the_language_of_who_started_the_import(
        client, admin_b, browser, errors, message):
    """An English company's member working in Chinese gets the failed rows in Chinese — the
    column names of the file stay as they were — and the other way round."""
    login(client, admin_b)
    upload = client.post(reverse("accounts:import-upload"), {
        "kind": "accounts", "mode": "all_or_nothing",
        "file": SimpleUploadedFile("a.csv", csv_bytes([["external_id", "name", "industry"],
                                                       ["X-1", "", "zombies"]]))},
        HTTP_ACCEPT_LANGUAGE=browser)
    client.post(upload["Location"], {"external_id": "external_id", "name": "name",
                                     "industry": "industry", "mode": "all_or_nothing"},
                HTTP_ACCEPT_LANGUAGE=browser)
    with tenant_context(admin_b.tenant):
        job = ImportJob.objects.get()
        import_run(job_id=job.pk)  # in a worker: no request, no browser
        job.refresh_from_db()
    assert job.status == "rejected" and job.error_message == message
    failed = report_rows(job)
    assert [{k: v for k, v in row.items() if k in errors} for row in failed] == [errors]
    assert list(failed[0])[:3] == ["external_id", "name", "industry"]


def test_same_file_twice_changes_nothing(admin_a, tenant_a):
    # The child comes before its parent: the link is made once every row is in.
    rows = [ACCOUNT_HEADER,
            ["G-2", "子公司乙", "", "retail", "10", "2", "G-1", ""],
            ["G-1", "集团甲", USCC_OK, "能源与公用事业", "", "4", "", "admin_a"],
            ["G-3", "独立丙", "", "", "", "", "", ""]]
    content = csv_bytes(rows)
    first = run(admin_a, "accounts", content)
    assert (first.status, first.created_count, first.failed_count) == ("done", 3, 0)
    before = accounts_snapshot(tenant_a)
    assert {r["external_id"]: r["parent_id"] for r in before}["G-2"] == next(
        r["id"] for r in before if r["external_id"] == "G-1")
    second = run(admin_a, "accounts", content)
    assert (second.created_count, second.updated_count, second.unchanged_count,
            second.failed_count) == (0, 0, 3, 0)
    assert accounts_snapshot(tenant_a) == before
    # A changed cell updates that row only, and only the mapped columns.
    rows[3][1] = "独立丙（改名）"
    third = run(admin_a, "accounts", csv_bytes(rows))
    assert (third.created_count, third.updated_count, third.unchanged_count) == (0, 1, 2)


def test_unmapped_columns_are_left_alone_on_update(admin_a, tenant_a):
    account = make_account(tenant_a, "旧名", external_id="K-1", industry="energy", city="苏州")
    job = run(admin_a, "accounts", csv_bytes([["外部编号", "客户名称"], ["K-1", "新名"]]))
    assert (job.created_count, job.updated_count) == (0, 1)
    account.refresh_from_db()
    assert (account.name, account.industry, account.city) == ("新名", "energy", "苏州")


def test_parent_cycle_in_the_file_fails_the_whole_import(admin_a, tenant_a):
    job = run(admin_a, "accounts", csv_bytes([["外部编号", "客户名称", "上级客户"],
                                              ["C-1", "甲", "C-2"], ["C-2", "乙", "C-1"]]))
    assert job.status == "failed" and "C-1" in job.error_message
    assert not Account.unscoped_all_tenants.filter(tenant=tenant_a).exists()


def test_xlsx_transactions_upsert_and_refresh_figures(admin_a, tenant_a, today):
    account = make_account(tenant_a, "买家", external_id="B-1")
    content = xlsx_bytes([
        ["订单编号", "客户编号", "日期", "金额", "毛利", "产品线"],
        ["T-1", "B-1", datetime(today.year, today.month, 1), 1234.5, 300, "泵"],
        ["T-2", "B-1", today.isoformat(), "2,000.00", None, None],
        ["T-3", "B-1", "not a date", 5, None, None],
        ["T-4", "B-1", today.isoformat(), -5, None, None],
        [None, None, None, None, None, None],  # empty rows are skipped
    ])
    job = run(admin_a, "transactions", content, name="orders.xlsx")
    assert job.file_format == "xlsx"
    assert (job.status, job.total_rows, job.created_count, job.failed_count) == ("done", 4, 2, 2)
    with tenant_context(tenant_a):
        amounts = dict(Transaction.objects.values_list("external_id", "amount"))
        figures = AccountFigures.objects.get(account=account)
    assert amounts == {"T-1": Decimal("1234.50"), "T-2": Decimal("2000.00")}
    assert figures.revenue_12m == Decimal("3234.50")
    failed = {r["订单编号"]: r["错误"] for r in report_rows(job)}
    assert set(failed) == {"T-3", "T-4"}
    assert failed["T-3"].startswith("日期：") and failed["T-4"].startswith("金额：")
    again = run(admin_a, "transactions", content, name="orders.xlsx")
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)


def test_contacts_import_with_email_and_phone_rules(admin_a, tenant_a):
    make_account(tenant_a, "客户甲", external_id="ACC-1")
    header = ["联系人编号", "客户编号", "姓名", "层级", "手机", "邮箱", "生日"]
    job = run(admin_a, "contacts", csv_bytes([
        header,
        ["P-1", "ACC-1", "王总", "leadership", "138 0013 8000", "wang@example.com", "1970/5/1"],
        ["P-2", "ACC-1", "李工", "技术层", "", "WANG@example.com", ""],
        ["P-3", "ACC-1", "赵", "", "abc", "not-an-email", ""],
        ["P-4", "NOPE", "钱", "", "", "", ""],
    ]))
    assert (job.created_count, job.failed_count) == (1, 3)
    with tenant_context(tenant_a):
        wang = Contact.objects.get(external_id="P-1")
    assert (wang.level, wang.phone, wang.birthday) == ("leadership", "138 0013 8000",
                                                       date(1970, 5, 1))
    failed = {r["联系人编号"]: r["错误"] for r in report_rows(job)}
    assert failed["P-2"].startswith("邮箱：")  # the same address, whatever the case
    assert "手机：" in failed["P-3"] and "邮箱：" in failed["P-3"]
    assert failed["P-4"].startswith("客户编号：")


def test_rows_naming_another_tenants_accounts_fail(admin_a, admin_b, tenant_a, tenant_b):
    make_account(tenant_b, "Other tenant buyer", external_id="B-SECRET")
    make_account(tenant_a, "Ours", external_id="A-OWN")
    job = run(admin_a, "transactions", csv_bytes([
        ["external_id", "account_external_id", "date", "amount"],
        ["T-1", "B-SECRET", "2026-01-05", "10"],
        ["T-2", "A-OWN", "2026-01-05", "10"],
    ]))
    assert (job.created_count, job.failed_count) == (1, 1)
    assert report_rows(job)[0]["external_id"] == "T-1"
    assert not Transaction.unscoped_all_tenants.filter(tenant=tenant_b).exists()
    contacts = run(admin_a, "contacts", csv_bytes([["external_id", "account_external_id", "name"],
                                                   ["P-1", "B-SECRET", "Spy"]]),
                   mode="all_or_nothing")
    assert contacts.status == "rejected"
    assert not Contact.unscoped_all_tenants.exists()


def test_manager_cannot_take_over_invisible_accounts_or_assign_others(manager_a, manager2_a,
                                                                      tenant_a):
    make_account(tenant_a, "Theirs", owner=manager2_a, external_id="M-2")
    job = run(manager_a, "accounts", csv_bytes([
        ["外部编号", "客户名称", "负责人"],
        ["M-1", "Mine", ""],
        ["M-2", "Stolen", ""],
        ["M-3", "Given away", "manager2_a"],
        ["M-4", "Also mine", "manager_a"],
    ]))
    failed = {r["外部编号"]: r["错误"] for r in report_rows(job)}
    assert set(failed) == {"M-1", "M-2", "M-3"}  # M-1: a manager cannot leave an account ownerless
    with tenant_context(tenant_a):
        assert Account.objects.get(external_id="M-2").name == "Theirs"
        assert Account.objects.get(external_id="M-4").owner_id == manager_a.pk


# --- pages -----------------------------------------------------------------------------------------


def test_full_flow_through_the_pages(client, admin_a, tenant_a, django_capture_on_commit_callbacks):
    login(client, admin_a)
    response = client.post(reverse("accounts:import-upload"), {
        "kind": "accounts", "mode": "valid_only",
        "file": SimpleUploadedFile("a.csv", csv_bytes([["编号", "名称", "省份"],
                                                       ["F-1", "甲公司", "江苏"],
                                                       ["F-2", "", "浙江"]]))})
    mapping_url = response["Location"]
    with tenant_context(tenant_a):
        job = ImportJob.objects.get()
    # A required field left unmapped: 400, nothing queued.
    with django_capture_on_commit_callbacks() as callbacks:
        bad = client.post(mapping_url, {"external_id": "编号", "name": "", "mode": "valid_only"})
    assert bad.status_code == 400 and not callbacks
    job.refresh_from_db()
    assert job.status == "uploaded"
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(mapping_url, {"external_id": "编号", "name": "名称",
                                             "province": "省份", "mode": "valid_only"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:import-detail", args=[job.pk])
    assert len(callbacks) == 1  # the task is queued after the commit
    job.refresh_from_db()
    assert (job.status, job.mapping) == ("mapped", {"external_id": "编号", "name": "名称",
                                                    "province": "省份"})
    page = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page
    # The mapping page of a started job sends to the progress page.
    assert client.get(mapping_url).status_code == 302
    with tenant_context(tenant_a):
        import_run(job_id=job.pk)
    partial = client.get(reverse("accounts:import-progress", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")
    body = partial.content.decode()
    assert "hx-trigger" not in body  # finished: the polling stops
    assert reverse("accounts:import-report", args=[job.pk]) in body
    report = client.get(reverse("accounts:import-report", args=[job.pk]))
    assert report.status_code == 200 and "attachment" in report["Content-Disposition"]
    text = b"".join(report.streaming_content).decode("utf-8-sig")
    assert [r["编号"] for r in csv.DictReader(io.StringIO(text))] == ["F-2"]
    listing = client.get(reverse("accounts:import-list")).content.decode()
    assert "a.csv" in listing


def test_result_counts_read_as_counts_not_as_dates(client, admin_a):
    """"Created"/"Updated" of an import are row counts (新建 / 更新), not the date columns of the
    same words elsewhere (创建时间 / 更新时间)."""
    job = run(admin_a, "accounts", csv_bytes([["外部编号", "客户名称"], ["A-1", "甲"]]))
    login(client, admin_a)
    page = client.get(reverse("accounts:import-detail", args=[job.pk]),
                      HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "<dt>新建</dt>" in page and "<dt>更新</dt>" in page
    assert "创建时间" not in page and "更新时间" not in page
    assert "所有导入记录" in page and "全部导入<" not in page  # not "import everything"
    listing = client.get(reverse("accounts:import-list"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert "<th>新建</th><th>更新</th>" in listing.content.decode()
    assert "创建时间" not in listing.content.decode()


def test_list_query_count_is_constant(client, admin_a, tenant_a):
    login(client, admin_a)
    client.get(reverse("accounts:import-list"))  # the session learns the tenant

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("accounts:import-list")).status_code == 200
        return len(ctx.captured_queries)

    actor = Actor(tenant=tenant_a, membership=admin_a)

    def add(n: int) -> None:
        with tenant_context(tenant_a):
            for i in range(n):
                import_create(actor=actor, kind="accounts", mode="valid_only", upload=SimpleUploadedFile(
                    f"f{i}.csv", csv_bytes([["外部编号", "客户名称"], [f"X{i}", "甲"]])))

    add(2)
    small = count()
    add(30)
    assert count() == small == (
        1    # the session
        + 1  # the user
        + 1  # the memberships (tenant middleware)
        + 1  # count of the visible imports
        + 1  # one page of imports with their creators
    )


@pytest.fixture
def job_a(admin_a, tenant_a) -> ImportJob:
    return run(admin_a, "accounts", csv_bytes([["外部编号", "客户名称"], ["S-1", "Secret"],
                                               ["S-2", ""]]))


PAGES = [("get", "accounts:import-detail"), ("get", "accounts:import-mapping"),
         ("post", "accounts:import-mapping"), ("get", "accounts:import-progress"),
         ("get", "accounts:import-report")]


@pytest.mark.parametrize("method,url_name", PAGES)
def test_outsider_gets_404_and_changes_nothing(client, admin_b, job_a, method, url_name):
    before = ImportJob.unscoped_all_tenants.filter(pk=job_a.pk).values().get()
    login(client, admin_b)
    response = getattr(client, method)(reverse(url_name, args=[job_a.pk]),
                                       {"external_id": "外部编号", "name": "客户名称",
                                        "mode": "valid_only"})
    assert response.status_code == 404
    assert ImportJob.unscoped_all_tenants.filter(pk=job_a.pk).values().get() == before
    assert "Secret" not in client.get(reverse("accounts:import-list")).content.decode()


@pytest.mark.parametrize("method,url_name", PAGES)
def test_another_manager_gets_404(client, manager_a, manager2_a, method, url_name):
    job = run(manager_a, "accounts", csv_bytes([["外部编号", "客户名称", "负责人"],
                                                ["S-1", "Mine", "manager_a"], ["S-2", "", ""]]))
    login(client, manager2_a)
    response = getattr(client, method)(reverse(url_name, args=[job.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("method,url_name", [("get", "accounts:import-list"),
                                             ("get", "accounts:import-upload"),
                                             ("post", "accounts:import-upload"), *PAGES])
def test_executive_gets_403(client, exec_a, job_a, method, url_name):
    login(client, exec_a)
    args = [] if url_name in ("accounts:import-list", "accounts:import-upload") else [job_a.pk]
    response = getattr(client, method)(reverse(url_name, args=args), {
        "kind": "accounts", "mode": "valid_only",
        "file": SimpleUploadedFile("a.csv", csv_bytes([["外部编号", "客户名称"], ["E-1", "x"]]))})
    assert response.status_code == 403
    assert ImportJob.unscoped_all_tenants.count() == 1


def test_empty_list_and_anonymous(client, admin_a):
    assert client.get(reverse("accounts:import-list")).status_code == 302
    login(client, admin_a)
    body = client.get(reverse("accounts:import-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No imports yet" in body


# --- the real worker -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_import_and_progress_reaches_the_total(client, admin_a, tenant_a,
                                                               monkeypatch):
    from kam.celery import app

    monkeypatch.setattr(import_run_module, "IMPORT_BATCH_SIZE", 50)
    # What a poller sees *while* the import transaction is open, read from an outside connection
    # at the start of every batch.
    outside: list[int] = []
    original = import_batcher._Batcher.process

    def spying_process(self, rows):
        if self.write:
            observer = connections.create_connection("default")
            try:
                with observer.cursor() as cursor:
                    cursor.execute("SELECT processed_rows FROM accounts_importjob WHERE id = %s",
                                   [self.job.pk])
                    outside.append(cursor.fetchone()[0])
                    cursor.execute("SELECT count(*) FROM accounts_account")
                    assert cursor.fetchone()[0] == 0  # the rows themselves stay invisible
            finally:
                observer.close()
        return original(self, rows)

    monkeypatch.setattr(import_batcher._Batcher, "process", spying_process)
    rows = [["外部编号", "客户名称", "城市"]] + [[f"W-{i:04d}", f"客户{i}", "苏州"] for i in range(600)]
    login(client, admin_a)
    response = client.post(reverse("accounts:import-upload"), {
        "kind": "accounts", "mode": "valid_only",
        "file": SimpleUploadedFile("w.csv", csv_bytes(rows))})
    job_id = int(response["Location"].rstrip("/").split("/")[-2])
    seen: list[int] = []
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        response = client.post(reverse("accounts:import-mapping", args=[job_id]), {
            "external_id": "外部编号", "name": "客户名称", "city": "城市", "mode": "valid_only"})
        assert response.status_code == 302
        deadline = time.monotonic() + 60
        while True:
            job = ImportJob.unscoped_all_tenants.get(pk=job_id)
            seen.append(job.processed_rows)
            if job.status in ("done", "failed", "rejected"):
                break
            assert time.monotonic() < deadline, f"the worker did not finish: {job.status}"
            partial = client.get(reverse("accounts:import-progress", args=[job_id]))
            assert partial.status_code == 200
            time.sleep(0.02)
    assert job.status == "done", job.error_message
    assert (job.total_rows, job.processed_rows, job.created_count) == (600, 600, 600)
    assert seen == sorted(seen)  # progress only moves forward
    assert outside == list(range(0, 600, 50))
    assert Account.unscoped_all_tenants.filter(tenant=tenant_a).count() == 600
    connections.close_all()


def test_a_csv_export_neutralised_formula_imports_back_as_it_was(admin_a):
    """The CSV export writes "+86 …" and "=1+2" as "'+86 …" and "'=1+2" (no spreadsheet runs them);
    importing that file gives the original text back."""
    content = csv_bytes([["外部编号", "客户名称", "城市"], ["F-1", "'=1+2 公司", "'+86 上海"],
                         ["F-2", "普通公司", "苏州"]])
    job = run(admin_a, "accounts", content)
    assert job.status == "done", job.error_message
    with tenant_context(admin_a.tenant):
        assert dict(Account.objects.values_list("external_id", "name")) == {
            "F-1": "=1+2 公司", "F-2": "普通公司"}
        assert Account.objects.get(external_id="F-1").city == "+86 上海"
