"""Every create / edit form reports all the errors of one submit at once (kam.forms, kam.lists
.form_page): the fields' own errors (a required field left empty, a value that is no number) and
the service's rules' errors of the fields that did parse, in one answer, in the user's language.

Each test submits several bad fields at once — at least one that does not parse and at least one
that breaks a rule only the service knows (before, those waited for the next submit) — and
expects every error on its field, and nothing written."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from accounts.imports.services import import_create
from accounts.models import Account, AccountTeamMember, Contact, Contract, ImportJob
from accounts.standards.models import DEFAULT_STANDARDS, ServiceStandard
from accounts.tiering.models import AccountTier, TierPolicy
from kam import clock
from kam.models import ApiKey, Membership
from kam.roles import Actor
from kam.tenancy import tenant_context
from tests.accounts.tiering.test_policy_pages import form_data as policy_form_data
from tests.conftest import key_for, login
from tests.factories import make_account

pytestmark = pytest.mark.django_db

LANGUAGES = ("zh-hans", "en")


def post(client, url: str, data: dict, lang: str = "en", *, form: str = "form"):
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 400, response.status_code
    return response.context[form]


def say(lang: str, message: str, **params) -> str:
    """``message`` as the page says it in ``lang``."""
    with translation.override(lang):
        text = translation.gettext(message)
    return text % params if params else text


def first_errors(form) -> dict[str, str]:
    return {field: errors[0] for field, errors in form.errors.items()}


# --- accounts ---------------------------------------------------------------------------------------


ACCOUNT_BAD = {"name": "", "unified_social_credit_code": "123", "strategic_value": "9",
               "lifecycle_status": "active"}


def account_errors(lang: str) -> dict[str, str]:
    return {
        "name": say(lang, "This field is required."),
        "unified_social_credit_code": say(
            lang, "A unified social credit code has 18 characters (this one has %(n)d).", n=3),
        "strategic_value": say(lang, "Ensure this value is less than or equal to %(limit_value)s.",
                               limit_value=5),
    }


@pytest.mark.parametrize("lang", LANGUAGES)
def test_account_create(client, admin_a, lang):
    login(client, admin_a)
    form = post(client, reverse("accounts:account-create"), ACCOUNT_BAD, lang)
    assert first_errors(form) == account_errors(lang)
    assert not Account.unscoped_all_tenants.exists()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_account_edit(client, manager_a, lang):
    account = make_account(manager_a.tenant, "苏州精工", owner=manager_a)
    login(client, manager_a)
    form = post(client, reverse("accounts:account-edit", args=[account.pk]), ACCOUNT_BAD, lang)
    assert first_errors(form) == account_errors(lang)
    account.refresh_from_db()
    assert (account.name, account.strategic_value) == ("苏州精工", 3)


def test_account_rules_that_need_an_unparsed_field_wait_for_it(client, admin_a):
    """A field that did not parse is unknown to the rules: it gets its own error only, and the
    rules do not invent one for it (the owner left empty is no "owner must be active")."""
    login(client, admin_a)
    form = post(client, reverse("accounts:account-create"),
                {**ACCOUNT_BAD, "owner": "999999", "parent": "abc"})
    assert set(form.errors) == {"name", "unified_social_credit_code", "strategic_value", "owner",
                                "parent"}
    assert form.errors["owner"] == [say("en", "Select a valid choice. That choice is not one of "
                                              "the available choices.")]


# --- contacts ---------------------------------------------------------------------------------------


@pytest.fixture
def account_with_contact(manager_a):
    account = make_account(manager_a.tenant, "Acme", owner=manager_a)
    with tenant_context(manager_a.tenant):
        Contact.objects.create(account=account, name="王伟", email="wang.wei@example.com")
    return account


def contact_bad(account) -> dict:
    return {"account": str(account.pk), "name": "", "level": "business",
            "relationship_strength": "3", "is_active": "on", "birthday": "2026-02-30",
            "phone": "call me", "email": "WANG.WEI@example.com"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_contact_create(client, manager_a, account_with_contact, lang):
    login(client, manager_a)
    form = post(client, reverse("accounts:contact-create"), contact_bad(account_with_contact), lang)
    assert set(form.errors) == {"name", "birthday", "phone", "email"}
    assert form.errors["email"] == [say(
        lang, "Another contact of this account already has this email address.")]
    assert form.errors["birthday"] == [say(lang, "Enter a valid date.")]
    assert Contact.unscoped_all_tenants.count() == 1


def test_contact_edit(client, manager_a, account_with_contact):
    with tenant_context(manager_a.tenant):
        other = Contact.objects.create(account=account_with_contact, name="李娜")
    login(client, manager_a)
    form = post(client, reverse("accounts:contact-edit", args=[other.pk]),
                contact_bad(account_with_contact))
    assert set(form.errors) == {"name", "birthday", "phone", "email"}
    other.refresh_from_db()
    assert (other.name, other.email, other.phone) == ("李娜", "", "")


# --- contracts --------------------------------------------------------------------------------------


@pytest.fixture
def account_with_contract(manager_a):
    account = make_account(manager_a.tenant, "Acme", owner=manager_a)
    with tenant_context(manager_a.tenant):
        Contract.objects.create(account=account, number="HT-1", title="框架协议",
                                start_date="2026-01-01", end_date="2026-12-31", value=1000)
    return account


def contract_bad(account) -> dict:
    return {"account": str(account.pk), "number": "HT-1", "title": "", "start_date": "2026-02-30",
            "end_date": "2026-12-31", "value": "-5", "payment_terms_days": "60",
            "status": "active", "renewal_notice_days": "90"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_contract_create(client, manager_a, account_with_contract, lang):
    login(client, manager_a)
    form = post(client, reverse("accounts:contract-create"), contract_bad(account_with_contract),
                lang)
    # The end date is judged against a start date only when both are known: no error for it.
    assert first_errors(form) == {
        "title": say(lang, "This field is required."),
        "start_date": say(lang, "Enter a valid date."),
        "number": say(lang, "Another contract already has this number."),
        "value": say(lang, "The value cannot be negative."),
    }
    assert Contract.unscoped_all_tenants.count() == 1


def test_contract_edit(client, manager_a, account_with_contract):
    with tenant_context(manager_a.tenant):
        other = Contract.objects.create(account=account_with_contract, number="HT-2", title="补充",
                                        start_date="2026-01-01", end_date="2026-06-30", value=10)
    login(client, manager_a)
    data = {**contract_bad(account_with_contract), "start_date": "2026-07-01",
            "end_date": "2026-06-01", "payment_terms_days": "many"}
    form = post(client, reverse("accounts:contract-edit", args=[other.pk]), data)
    assert set(form.errors) == {"title", "payment_terms_days", "number", "value", "end_date"}
    other.refresh_from_db()
    assert (other.number, other.title) == ("HT-2", "补充")


# --- the account team -------------------------------------------------------------------------------


def test_team_add(client, manager_a):
    """The form's two fields are choices: both errors come at once (the service's rules — the
    member active, not on the team yet — are the form's choices)."""
    account = make_account(manager_a.tenant, "Acme", owner=manager_a)
    login(client, manager_a)
    form = post(client, reverse("accounts:account-team-add", args=[account.pk]),
                {"membership": "999999", "team_role": "janitor"})
    assert set(form.errors) == {"membership", "team_role"}
    assert not AccountTeamMember.unscoped_all_tenants.exists()


# --- settings: members and API keys -----------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_member_add(client, admin_a, lang):
    login(client, admin_a)
    form = post(client, reverse("kam:member-add"),
                {"username": "bad name!", "email": "not-an-email", "role": "manager",
                 "password": "1234"}, lang, form="member_form")
    assert set(form.errors) == {"username", "email", "password"}
    assert form.errors["email"] == [say(lang, "Enter a valid email address.")]
    assert len(form.errors["password"]) == 3  # too short, too common, all digits
    assert not Membership.unscoped_all_tenants.filter(user__username="bad name!").exists()


def test_member_add_reports_the_username_with_the_password(client, admin_a):
    """Inside the service too, every rule at once: an invalid username beside a weak password."""
    login(client, admin_a)
    form = post(client, reverse("kam:member-add"),
                {"username": "bad name!", "role": "overlord", "password": "1234"},
                form="member_form")
    assert set(form.errors) == {"username", "role", "password"}


def test_api_key_create(client, admin_a):
    key_for(admin_a.tenant, ["read"], name="ERP sync")
    login(client, admin_a)
    form = post(client, reverse("kam:api-key-create"), {"name": "ERP sync"}, form="key_form")
    assert first_errors(form) == {"name": say("en", "A key with this name already exists."),
                                  "scopes": say("en", "This field is required.")}
    assert ApiKey.unscoped_all_tenants.count() == 1


# --- tiering: override, policy, service standards -----------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_tier_override(client, admin_a, frozen_clock, lang):
    account = make_account(admin_a.tenant, "Acme")
    yesterday = clock.today(admin_a.tenant) - datetime.timedelta(days=1)
    login(client, admin_a)
    form = post(client, reverse("accounts:account-tier-override", args=[account.pk]),
                {"tier": "platinum", "reason": "", "until": yesterday.isoformat()}, lang)
    assert set(form.errors) == {"tier", "reason", "until"}
    assert form.errors["until"] == [say(lang, "The expiry date cannot be in the past.")]
    assert not AccountTier.unscoped_all_tenants.exclude(override_tier="").exists()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_tier_policy(client, admin_a, lang):
    login(client, admin_a)
    data = policy_form_data(cutoff_important="70", cutoff_key="60")
    data["revenue-weight"] = "thirty"
    form = post(client, reverse("accounts:tiering-policy-edit"), data, lang)
    assert form.errors["revenue-weight"] == [say(lang, "Enter a number.")]
    assert form.non_field_errors() == [say(
        lang, "Cut-offs must rise from important to key to strategic, all above 0 and at most "
              "100.")]
    assert not TierPolicy.unscoped_all_tenants.exists()


def test_tier_policy_weights_wait_for_every_weight(client, admin_a):
    """A rule over several numbers (the weights' sum) is judged when all of them are known."""
    login(client, admin_a)
    data = policy_form_data()
    data["revenue-weight"], data["share-weight"] = "", "90"
    form = post(client, reverse("accounts:tiering-policy-edit"), data)
    assert list(form.errors) == ["revenue-weight"]


def standards_form() -> dict:
    return {f"{tier}-{name}": ("on" if value is True else str(value))
            for tier, values in DEFAULT_STANDARDS.items() for name, value in values.items()
            if value is not False}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_service_standards(client, admin_a, lang):
    login(client, admin_a)
    data = {**standards_form(), "strategic-first_response_hours": "two",
            "strategic-business_visits_per_year": "400",
            "key-first_response_hours": "48", "key-resolution_hours": "24"}
    form = post(client, reverse("accounts:service-standards-edit"), data, lang)
    assert first_errors(form) == {
        "strategic-first_response_hours": say(lang, "Enter a whole number."),
        "strategic-business_visits_per_year": say(
            lang, "Ensure this value is less than or equal to %(limit_value)s.", limit_value=365),
        "key-resolution_hours": say(
            lang, "The resolution target cannot be shorter than the first-response target."),
    }
    with tenant_context(admin_a.tenant):
        assert ServiceStandard.objects.get(tier="strategic").business_visits_per_year == 12


# --- the import: the upload and the column mapping ----------------------------------------------------


def test_import_upload(client, admin_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    login(client, admin_a)
    old_excel = SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 600)
    form = post(client, reverse("accounts:import-upload"),
                {"kind": "invoices", "mode": "valid_only", "file": old_excel})
    assert set(form.errors) == {"kind", "file"}
    assert form.errors["file"] == [say(
        "en", "Old Excel files (.xls) are not supported: save the sheet as .xlsx or CSV and "
              "upload it again.")]
    assert not ImportJob.unscoped_all_tenants.exists()


# --- the import's column mapping ------------------------------------------------------------------------


def test_import_mapping(client, admin_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with tenant_context(admin_a.tenant):
        job = import_create(actor=Actor(tenant=admin_a.tenant, membership=admin_a),
                            kind="accounts", mode="valid_only", upload=SimpleUploadedFile(
                                "a.csv", "编号,名称,城市\nA-1,Acme,苏州\n".encode()))
    login(client, admin_a)
    form = post(client, reverse("accounts:import-mapping", args=[job.pk]),
                {"name": "城市", "city": "城市", "province": "no such column", "mode": "all"})
    assert first_errors(form) == {
        "province": say("en", "Select a valid choice. %(value)s is not one of the available "
                              "choices.", value="no such column"),
        "mode": say("en", "Select a valid choice. %(value)s is not one of the available choices.",
                    value="all"),
        "external_id": say("en", "Choose the column that holds this required field."),
        "city": say("en", "This column is already used for “%(field)s”.", field="name"),
    }
    assert ImportJob.unscoped_all_tenants.get().status == "uploaded"

