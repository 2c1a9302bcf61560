"""The care fields of contacts and accounts: a lunar birthday's leap month, the opt-out, the
account's language — through the API (the service's rules) and the forms."""

from __future__ import annotations

import pytest

from accounts.models import Account, Contact
from tests.api_helpers import assert_validation_error
from tests.factories import make_account

pytestmark = pytest.mark.django_db


def test_a_contact_takes_a_leap_month_and_the_opt_out(writer_a, admin_a):
    account = make_account(admin_a.tenant, "苏州精工")
    response = writer_a.post("/api/v1/contacts/", {
        "account": account.pk, "name": "王建国", "birthday": "1975-06-15",
        "birthday_is_lunar": True, "birthday_lunar_leap": True, "care_opt_out": True,
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["birthday_lunar_leap"], body["care_opt_out"]) == (True, True)
    row = Contact.unscoped_all_tenants.get(pk=body["id"])
    assert (row.birthday_lunar_leap, row.care_opt_out) == (True, True)


def test_only_a_lunar_birthday_is_in_a_leap_month(writer_a, admin_a):
    account = make_account(admin_a.tenant, "苏州精工")
    response = writer_a.post("/api/v1/contacts/", {
        "account": account.pk, "name": "王建国", "birthday": "1975-06-15",
        "birthday_is_lunar": False, "birthday_lunar_leap": True}, format="json")
    assert_validation_error(response, "birthday_lunar_leap")
    assert not Contact.unscoped_all_tenants.exists()


def test_an_account_takes_a_language(writer_a, admin_a):
    account = make_account(admin_a.tenant, "Pacific Trading")
    response = writer_a.patch(f"/api/v1/accounts/{account.pk}/", {"language": "other"},
                              format="json")
    assert response.status_code == 200, response.content
    assert Account.unscoped_all_tenants.get(pk=account.pk).language == "other"
    response = writer_a.patch(f"/api/v1/accounts/{account.pk}/", {"language": "fr"},
                              format="json")
    assert_validation_error(response, "language")
    assert Account.unscoped_all_tenants.get(pk=account.pk).language == "other"


def test_the_forms_show_the_care_fields(client, admin_a):
    from tests.conftest import login

    account = make_account(admin_a.tenant, "苏州精工")
    login(client, admin_a)
    page = client.get(f"/accounts/{account.pk}/edit/").content.decode()
    assert 'name="language"' in page
    page = client.get(f"/accounts/contacts/new/?account={account.pk}").content.decode()
    assert 'name="birthday_lunar_leap"' in page and 'name="care_opt_out"' in page


@pytest.mark.parametrize(("raw", "expected"), [
    ("是", True), ("TRUE", True), ("True", True), ("1", True), ("否", False), ("False", False),
    ("", False)])
def test_the_import_reads_the_care_flags_as_spreadsheets_write_them(raw, expected):
    from accounts.imports.rows import _model_cleaner

    for name in ("birthday_is_lunar", "birthday_lunar_leap", "care_opt_out"):
        clean = _model_cleaner(Contact._meta.get_field(name), required=False)
        assert clean(raw) is expected


def test_an_unreadable_flag_is_the_fields_error():
    from django.core.exceptions import ValidationError

    from accounts.imports.rows import _model_cleaner

    with pytest.raises(ValidationError):
        _model_cleaner(Contact._meta.get_field("care_opt_out"), required=False)("maybe")


def test_the_contact_import_maps_the_care_columns():
    from accounts.imports.specs import suggest_mapping

    mapping = suggest_mapping(kind="contacts", columns=["姓名", "客户编号", "外部编号", "农历生日",
                                                        "闰月", "不提醒关怀"])
    assert {mapping.get(f) for f in ("birthday_is_lunar", "birthday_lunar_leap",
                                     "care_opt_out")} == {"农历生日", "闰月", "不提醒关怀"}
