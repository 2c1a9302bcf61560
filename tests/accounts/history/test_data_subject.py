"""Data-subject tools (accounts.audit_subject): export everything about one contact, and erase a
contact's personal data — from the contact and from every audit copy."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.utils import IntegrityError, InternalError, ProgrammingError
from django.urls import reverse

from accounts.models import Contact
from kam.audit import audit_context, event_tables
from kam.tenancy import tenant_context
from tests.conftest import login
from tests.factories import make_account

pytestmark = pytest.mark.django_db

NAME, PHONE, EMAIL, WECHAT = "王秀英", "138 0013 8000", "wang.xiuying@example.com", "wxy_1970"


@pytest.fixture
def person(tenant_a, admin_a):
    """A contact with personal data, edited once (two audit copies), and a colleague."""
    account = make_account(tenant_a, "苏州精工")
    with tenant_context(tenant_a), audit_context(actor="user", username="admin_a"):
        contact = Contact.objects.create(
            account=account, name=NAME, title="采购总监", department="采购部", phone="139 1111 2222",
            email=EMAIL, wechat_id=WECHAT, birthday="1970-05-01", birthday_is_lunar=True,
            notes="喜欢喝龙井", external_id="P-1", level="leadership", buying_role="decision_maker")
        contact.phone = PHONE
        contact.save()
        Contact.objects.create(account=account, name="李建国", phone="137 0000 1111",
                               email="li@example.com")
    return contact


def rows_mentioning(text: str) -> dict[str, int]:
    """Rows of the contact table and of every audit table whose text contains ``text``."""
    found = {}
    with connection.cursor() as cursor:
        for table in ["accounts_contact", *event_tables()]:
            cursor.execute(f'SELECT count(*) FROM "{table}" t WHERE to_jsonb(t)::text LIKE %s',  # noqa: S608
                           [f"%{text}%"])
            (count,) = cursor.fetchone()
            if count:
                found[table] = count
    return found


def snapshot(tenant) -> tuple[list, list]:
    with tenant_context(tenant):
        contacts = list(Contact.objects.order_by("pk").values())
        audit = list(Contact.pgh_event_model.objects.filter(tenant_id=tenant.pk).order_by("pgh_id")
                     .values())
    return contacts, audit


# --- export ---------------------------------------------------------------------------------------


def test_admin_exports_everything_about_the_contact(client, admin_a, person):
    login(client, admin_a)
    response = client.get(reverse("accounts:contact-export", args=[person.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="contact-{person.pk}.json"'
    assert response["Cache-Control"] and "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["contact"]["name"] == NAME and data["contact"]["email"] == EMAIL
    assert data["contact"]["birthday"] == "1970-05-01"
    assert data["account"] == {"id": person.account_id, "name": "苏州精工"}
    assert [h["action"] for h in data["history"]] == ["created", "changed"]
    assert data["history"][0]["snapshot"]["phone"] == "139 1111 2222"
    assert data["history"][1]["snapshot"]["phone"] == PHONE
    assert data["history"][0]["actor"]["name"] == "admin_a"
    assert "李建国" not in response.content.decode()  # only this person
    assert isinstance(data["references"], dict)


@pytest.mark.parametrize("who", ["exec_a", "manager_a"])
def test_only_admins_export(client, request, person, who):
    login(client, request.getfixturevalue(who))
    assert client.get(reverse("accounts:contact-export", args=[person.pk])).status_code == 403


def test_outsider_cannot_export(client, admin_b, person):
    login(client, admin_b)
    response = client.get(reverse("accounts:contact-export", args=[person.pk]))
    assert response.status_code == 404
    assert NAME not in response.content.decode()


def test_contact_page_links_the_tools_for_admins_only(client, admin_a, manager_a, person):
    login(client, admin_a)
    body = client.get(reverse("accounts:contact-edit", args=[person.pk])).content.decode()
    assert reverse("accounts:contact-erase", args=[person.pk]) in body
    client.logout()
    login(client, manager_a)
    response = client.get(reverse("accounts:contact-edit", args=[person.pk]))
    assert reverse("accounts:contact-erase", args=[person.pk]) not in response.content.decode()


# --- erase ----------------------------------------------------------------------------------------


def test_erase_removes_personal_data_everywhere_and_records_the_erasure(client, admin_a, person,
                                                                        tenant_a):
    for text in (NAME, PHONE, EMAIL, WECHAT, "喜欢喝龙井"):
        assert rows_mentioning(text), text  # the data is there, in the contact and its history
    login(client, admin_a)
    page = client.get(reverse("accounts:contact-erase", args=[person.pk]))
    assert page.status_code == 200 and NAME in page.content.decode()

    response = client.post(reverse("accounts:contact-erase", args=[person.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:account-detail", args=[person.account_id]) + "#contacts"

    for text in (NAME, PHONE, "139 1111 2222", EMAIL, WECHAT, "喜欢喝龙井", "采购总监", "1970-05-01",
                 "P-1"):
        assert rows_mentioning(text) == {}, text
    with tenant_context(tenant_a):
        erased = Contact.objects.get(pk=person.pk)
        assert erased.name == f"已删除联系人 #{person.pk}"  # the tenant's language
        assert (erased.phone, erased.email, erased.wechat_id, erased.notes, erased.title,
                erased.department, erased.external_id) == ("", "", "", "", "", "", "")
        assert erased.birthday is None and not erased.birthday_is_lunar
        # Not personal: the shape of the relationship stays.
        assert (erased.account_id, erased.level, erased.buying_role) == (
            person.account_id, "leadership", "decision_maker")
        history = list(Contact.pgh_event_model.objects.filter(pgh_obj_id=person.pk)
                       .order_by("pgh_id"))
    assert [e.pgh_label for e in history] == ["insert", "update", "update"]
    assert {e.name for e in history} == {f"已删除联系人 #{person.pk}"}
    erasure = history[-1].pgh_context
    assert erasure["erasure"] is True
    assert (erasure["actor"], erasure["username"], erasure["membership_id"]) == (
        "user", "admin_a", admin_a.pk)
    # The colleague is untouched, in the table and in the history.
    assert rows_mentioning("李建国") == {"accounts_contact": 1, "accounts_contactevent": 1}
    assert rows_mentioning("137 0000 1111") == {"accounts_contact": 1, "accounts_contactevent": 1}

    # The history page shows the erasure, not the data.
    body = client.get(reverse("accounts:account-history", args=[person.account_id])).content.decode()
    assert "已删除联系人" in body and NAME not in body and PHONE not in body


def test_erasing_twice_changes_nothing_more(client, admin_a, person, tenant_a):
    login(client, admin_a)
    client.post(reverse("accounts:contact-erase", args=[person.pk]))
    before = snapshot(tenant_a)
    assert client.post(reverse("accounts:contact-erase", args=[person.pk])).status_code == 302
    assert snapshot(tenant_a) == before


@pytest.mark.parametrize("who", ["exec_a", "manager_a"])
def test_only_admins_erase(client, request, person, tenant_a, who):
    before = snapshot(tenant_a)
    login(client, request.getfixturevalue(who))
    assert client.get(reverse("accounts:contact-erase", args=[person.pk])).status_code == 403
    assert client.post(reverse("accounts:contact-erase", args=[person.pk])).status_code == 403
    assert snapshot(tenant_a) == before


def test_outsider_cannot_erase_and_nothing_changes(client, admin_b, person, tenant_a):
    before = snapshot(tenant_a)
    login(client, admin_b)
    assert client.get(reverse("accounts:contact-erase", args=[person.pk])).status_code == 404
    assert client.post(reverse("accounts:contact-erase", args=[person.pk])).status_code == 404
    assert snapshot(tenant_a) == before
    assert rows_mentioning(NAME)


# --- the database function ------------------------------------------------------------------------


def test_scrub_function_refuses_a_contact_that_is_not_erased(person, tenant_a):
    """It cannot be used to rewrite history: only to anonymise a contact already erased."""
    with tenant_context(tenant_a), pytest.raises(IntegrityError) as info, \
            connection.cursor() as cursor:
        cursor.execute("SELECT public.kam_audit_erase_contact(%s)", [person.pk])
    assert "is not erased" in str(info.value)


def test_scrub_function_refuses_without_a_tenant(person):
    with pytest.raises((InternalError, ProgrammingError)) as info, connection.cursor() as cursor:
        cursor.execute("SELECT public.kam_audit_erase_contact(%s)", [person.pk])
    assert "no tenant" in str(info.value)


def test_scrub_function_does_not_reach_another_tenant(person, tenant_b, admin_b):
    """Tenant B's administrator erasing an id of tenant A: no such contact in B, nothing scrubbed."""
    with tenant_context(tenant_b), pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute("SELECT public.kam_audit_erase_contact(%s)", [person.pk])
