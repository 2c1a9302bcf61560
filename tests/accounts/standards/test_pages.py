"""The service-standards table says every cadence in words: "6 · every 2 months" for the key tier's
business visits, not a bare "6" (only 12, 4, 2 and 1 had words)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.standards.models import DEFAULT_STANDARDS, ServiceStandard
from accounts.standards.views import CADENCE_FIELDS, _standards_table
from accounts.tiering.models import TIERS_DESC
from tests.conftest import login

BARE_NUMBER = re.compile(r"^\s*\d+\s*$")


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_no_cadence_cell_is_a_bare_number_whatever_the_value(lang):
    """Every cell of the table for every value a standard may hold (0–365 times a year)."""
    with translation.override(lang):
        for value in range(366):
            standards = [ServiceStandard(tier=tier, **{**DEFAULT_STANDARDS[tier],
                                                       **dict.fromkeys(CADENCE_FIELDS, value)})
                         for tier in TIERS_DESC]
            for row in _standards_table(standards):
                for cell in row["cells"]:
                    assert not BARE_NUMBER.match(cell), (value, row["label"], cell)


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "key_business"), [("en", "6 · every 2 months"),
                                                    ("zh-hans", "6 · 每 2 个月")])
def test_every_cell_of_the_default_table_says_its_cadence(admin_a, lang, key_business):
    client = login(Client(HTTP_ACCEPT_LANGUAGE=lang), admin_a)
    body = client.get(reverse("accounts:service-standards")).content.decode()
    rows = re.findall(r'<tr><th scope="row">([^<]*)</th>(.*?)</tr>', body, re.S)
    cells = {label: re.findall(r"<td>([^<]*)</td>", row) for label, row in rows}
    assert len(cells) == 7 and all(len(row) == 4 for row in cells.values())
    assert [cell for row in cells.values() for cell in row if BARE_NUMBER.match(cell)] == []
    business = next(iter(cells.values()))  # the first row (STANDARD_FIELDS' order)
    assert business[1] == key_business  # the key tier (关键), second column
