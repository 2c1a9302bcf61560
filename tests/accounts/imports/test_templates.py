"""The import templates (accounts:import-template, linked from the upload page): an empty file per
kind, CSV or Excel, with the column names in the user's language — importable as downloaded: fill
rows, upload, keep the mapping the page suggests, and the rows are created."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from accounts.imports.run import import_run
from accounts.imports.specs import SPECS
from accounts.models import Account, Contact, ImportJob, Transaction
from kam.tenancy import tenant_context
from tests.accounts.imports.test_imports import csv_bytes, xlsx_bytes
from tests.conftest import login
from tests.factories import make_account

pytestmark = pytest.mark.django_db

LANGUAGES = ("zh-hans", "en")

# Two rows to fill in per kind: field -> value (the other columns stay empty).
ROWS = {
    "accounts": [{"external_id": "T-1", "name": "模板一号有限公司", "city": "苏州"},
                 {"external_id": "T-2", "name": "Template Two Ltd", "strategic_value": "4"}],
    "contacts": [{"account": "ACME", "external_id": "C-1", "name": "王伟",
                  "email": "wang.wei@example.com"},
                 {"account": "ACME", "external_id": "C-2", "name": "Li Na", "phone": "13900000000"}],
    "transactions": [{"account": "ACME", "external_id": "O-1", "date": "2026-03-01",
                      "amount": "1200.50"},
                     {"account": "ACME", "external_id": "O-2", "date": "2026-03-02",
                      "amount": "80"}],
}
CREATED = {"accounts": (Account, {"T-1", "T-2"}), "contacts": (Contact, {"C-1", "C-2"}),
           "transactions": (Transaction, {"O-1", "O-2"})}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def download(client, kind: str, file_format: str, lang: str) -> list[list[str]]:
    response = client.get(reverse("accounts:import-template", args=[kind, file_format]),
                          HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    if file_format == "csv":
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]


def labels(kind: str, lang: str) -> list[str]:
    spec = SPECS[kind]
    with translation.override(lang):
        return [spec.label(f.name) for f in spec.fields]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", ["accounts", "contacts", "transactions"])
def test_a_filled_template_imports_as_downloaded(client, admin_a, tenant_a, kind, file_format,
                                                 lang):
    make_account(tenant_a, "Acme", external_id="ACME")
    login(client, admin_a)
    [header] = download(client, kind, file_format, lang)
    # The column names are the fields' names in the user's language, one column per field.
    assert [h.lower() for h in header] == [label.lower() for label in labels(kind, lang)]
    if lang == "zh-hans":
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in h) for h in header), header
    names = [f.name for f in SPECS[kind].fields]
    rows = [header, *([row.get(name, "") for name in names] for row in ROWS[kind])]
    content = csv_bytes(rows) if file_format == "csv" else xlsx_bytes(rows)
    response = client.post(reverse("accounts:import-upload"), {
        "kind": kind, "mode": "valid_only",
        "file": SimpleUploadedFile(f"filled.{file_format}", content)}, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 302, response.context["form"].errors
    # The mapping page suggests every column for its own field: keep it as it is.
    mapping = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE=lang)
    form = mapping.context["form"]
    suggested = {name: form[name].value() for name in names}
    assert suggested == dict(zip(names, header, strict=True))
    accepted = client.post(response["Location"], {**suggested, "mode": "valid_only"})
    assert accepted.status_code == 302
    with tenant_context(tenant_a):
        job = ImportJob.objects.get()
        import_run(job_id=job.pk)
        job.refresh_from_db()
        model, expected = CREATED[kind]
        assert (job.status, job.created_count, job.failed_count) == ("done", 2, 0), job.error_message
        assert set(model.objects.filter(external_id__in=expected)
                   .values_list("external_id", flat=True)) == expected
    if kind == "transactions":
        amounts = Transaction.unscoped_all_tenants.order_by("external_id").values_list(
            "amount", flat=True)
        assert list(amounts) == [Decimal("1200.50"), Decimal("80.00")]


def test_the_upload_page_links_the_templates(client, admin_a):
    login(client, admin_a)
    body = client.get(reverse("accounts:import-upload")).content.decode()
    for kind in ("accounts", "contacts", "transactions"):
        for file_format in ("csv", "xlsx"):
            assert reverse("accounts:import-template", args=[kind, file_format]) in body


@pytest.mark.parametrize("kind,file_format", [("invoices", "csv"), ("accounts", "xls"),
                                              ("accounts", "pdf")])
def test_unknown_kind_or_format_is_a_404(client, admin_a, kind, file_format):
    login(client, admin_a)
    url = reverse("accounts:import-template", args=[kind, file_format])
    assert client.get(url).status_code == 404


def test_executives_may_not_import(client, exec_a):
    login(client, exec_a)
    assert client.get(reverse("accounts:import-template", args=["accounts", "csv"])
                      ).status_code == 403
