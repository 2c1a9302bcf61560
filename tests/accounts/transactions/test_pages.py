"""The transaction list page (its filters, sorting and query budget are tested with the other
lists: tests/accounts/test_list_sorting.py, tests/accounts/profile/test_pages.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_the_date_range_reads_from_to_in_chinese(client, admin_a):
    """"to" between the two dates has a context of its own: the tier change's "to" is 新级别."""
    login(client, admin_a)
    body = client.get(reverse("accounts:transaction-list"),
                      HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert '至 <input type="date" name="date_before"' in body
    assert "新级别" not in body
    body = client.get(reverse("accounts:transaction-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'to <input type="date" name="date_before"' in body
