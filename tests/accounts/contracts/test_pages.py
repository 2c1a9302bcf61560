"""The contract list opens on the contracts that are current — a draft or active contract whose last
day is today or later — soonest ending first; the period filter shows the ended ones (latest
first) or all of them."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from tests.accounts.profile.test_pages import make_contract
from tests.conftest import login
from tests.factories import make_account

# 15 June 2026 in Shanghai.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

D = datetime.date
LIST = reverse("accounts:contract-list")


@pytest.fixture
def contracts(admin_a):
    account = make_account(admin_a.tenant, "Co")
    for number, status, start, end in (
        ("CURRENT", "active", D(2026, 1, 1), D(2026, 12, 31)),
        ("DRAFT", "draft", D(2026, 7, 1), D(2027, 6, 30)),            # being agreed: current
        ("LAST-DAY", "active", D(2025, 6, 16), D(2026, 6, 15)),       # ends today: still current
        ("ENDED-2024", "active", D(2024, 1, 1), D(2024, 12, 31)),     # active, but its end passed
        ("TERMINATED", "terminated", D(2026, 1, 1), D(2027, 1, 31)),  # ended early
        ("EXPIRED", "expired", D(2025, 6, 1), D(2026, 5, 31)),
    ):
        make_contract(account, number, status=status, start_date=start, end_date=end)
    return account


def numbers(client, **query) -> list[str]:
    response = client.get(LIST, query)
    assert response.status_code == 200
    return [c.number for c in response.context["page"].items]


def test_the_list_opens_on_current_contracts_soonest_ending_first(client, admin_a, contracts):
    login(client, admin_a)
    assert numbers(client) == ["LAST-DAY", "CURRENT", "DRAFT"]
    body = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<option value="current" selected>Current contracts</option>' in body
    assert "No contract matches these filters" not in body
    # The other periods: ended ones (latest ending first), and all of them.
    assert numbers(client, period="ended") == ["TERMINATED", "EXPIRED", "ENDED-2024"]
    assert numbers(client, period="all") == ["DRAFT", "TERMINATED", "CURRENT", "LAST-DAY",
                                             "EXPIRED", "ENDED-2024"]
    # With the other filters and the renewals tab (renewals due are current contracts).
    assert numbers(client, status="draft") == ["DRAFT"]
    assert numbers(client, status="terminated") == []
    assert numbers(client, period="all", status="terminated") == ["TERMINATED"]
    assert numbers(client, renewal_due="1") == ["LAST-DAY"]
    assert numbers(client, q="2024") == []
    assert numbers(client, q="2024", period="ended") == ["ENDED-2024"]


def test_a_bad_period_shows_the_error_and_no_rows(client, admin_a, contracts):
    login(client, admin_a)
    response = client.get(LIST, {"period": "someday"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response.context["page"].total == 0
    assert "Some filters are not valid" in response.content.decode()


def test_a_new_tenant_with_only_ended_contracts_is_told_so(client, admin_a):
    make_contract(make_account(admin_a.tenant, "Co"), "OLD")  # 2024
    login(client, admin_a)
    response = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["page"].total == 0
    body = response.content.decode()
    assert "No contracts yet" not in body and "No current contracts" in body
    assert f'href="{LIST}?period=ended"' in body
    assert numbers(client, period="ended") == ["OLD"]
