"""A follow-up's due date may be given as "due in N working days" (issue 13), on the page and in
the API: counted on the company's working calendar (kam.calendar) from its today, stored as the
date. Today here is Wednesday 30 September 2026: the National Day holiday (1–7 October) is off and
Saturday 10 October is a make-up working day, so 1 working day is Thursday 8 October and 3 are
Saturday 10 October (counting weekdays it would be 1 October and 5 October)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from tests.api_helpers import assert_validation_error
from tests.conftest import login
from tests.factories import make_account
from tests.visits.fixtures import make_follow_up
from visits.followups.models import FollowUp
from visits.followups.services import due_on_in_working_days

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock", "in_english"),
              pytest.mark.clock("2026-09-30T02:00:00+00:00")]  # 10:00 in Shanghai

D = datetime.date
LIST_URL = "/api/v1/follow-ups/"


@pytest.fixture
def account(manager_a):
    return make_account(manager_a.tenant, "苏州精工", owner=manager_a)


def test_working_days_from_the_companys_today(tenant_a):
    assert [due_on_in_working_days(n, tenant=tenant_a) for n in (0, 1, 2, 3, 4)] == [
        D(2026, 9, 30), D(2026, 10, 8), D(2026, 10, 9), D(2026, 10, 10), D(2026, 10, 12)]
    with pytest.raises(ValueError):
        due_on_in_working_days(-1, tenant=tenant_a)


# --- the page ----------------------------------------------------------------------------------


def form(account, manager, **fields) -> dict:
    return {"account": account.pk, "owner": manager.pk, "title": "寄送样品", "recurrence": "none",
            **fields}


def test_the_form_takes_working_days_instead_of_a_date(client, manager_a, account):
    login(client, manager_a)
    response = client.post(reverse("visits:follow-up-create"),
                           form(account, manager_a, due_on="", due_in_working_days="3"))
    assert response.status_code == 302, response.context["form"].errors
    assert FollowUp.unscoped_all_tenants.get(title="寄送样品").due_on == D(2026, 10, 10)


def test_the_working_days_replace_the_date_on_edit(client, manager_a, account):
    follow_up = make_follow_up(account, manager_a, D(2026, 9, 29))
    login(client, manager_a)
    response = client.post(reverse("visits:follow-up-edit", args=[follow_up.pk]), form(
        account, manager_a, due_on="2026-09-29", due_in_working_days="1"))
    assert response.status_code == 302
    assert FollowUp.unscoped_all_tenants.get(pk=follow_up.pk).due_on == D(2026, 10, 8)


@pytest.mark.parametrize("fields,errors", [
    ({"due_on": "", "due_in_working_days": ""}, {"due_on"}),
    ({"due_on": "", "due_in_working_days": "-1"}, {"due_in_working_days"}),
    ({"due_on": "", "due_in_working_days": "251"}, {"due_in_working_days"}),
    ({"due_on": "", "due_in_working_days": "三"}, {"due_in_working_days"}),
])
def test_no_due_date_or_a_bad_number_is_a_form_error(client, manager_a, account, fields, errors):
    login(client, manager_a)
    response = client.post(reverse("visits:follow-up-create"), form(account, manager_a, **fields))
    assert response.status_code == 400
    assert set(response.context["form"].errors) == errors
    assert not FollowUp.unscoped_all_tenants.exists()


def test_the_form_shows_the_field_in_chinese(client, manager_a):
    login(client, manager_a)
    body = client.get(reverse("visits:follow-up-create"),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "或几个工作日后到期" in body


# --- the API -----------------------------------------------------------------------------------


def test_the_api_takes_working_days_instead_of_a_date(writer_a, manager_a, account):
    response = writer_a.post(LIST_URL, {"account": account.pk, "title": "寄送样品",
                                        "due_in_working_days": 1}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["due_on"] == "2026-10-08" and "due_in_working_days" not in body
    response = writer_a.patch(f"{LIST_URL}{body['id']}/", {"due_in_working_days": 3},
                              format="json")
    assert response.status_code == 200, response.content
    assert FollowUp.unscoped_all_tenants.get(pk=body["id"]).due_on == D(2026, 10, 10)


@pytest.mark.parametrize("fields,error", [
    ({}, "due_on"),
    ({"due_on": "2026-10-30", "due_in_working_days": 2}, "due_in_working_days"),
    ({"due_in_working_days": -1}, "due_in_working_days"),
    ({"due_in_working_days": "2"}, "due_in_working_days"),
])
def test_the_api_wants_one_of_them(writer_a, account, fields, error):
    response = writer_a.post(LIST_URL, {"account": account.pk, "title": "寄送样品", **fields},
                             format="json")
    assert_validation_error(response, error)
    assert not FollowUp.unscoped_all_tenants.exists()
