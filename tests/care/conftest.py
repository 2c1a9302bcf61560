"""Fixtures of the care tests: the API clients of the account tests (who writes for tenant A,
tenant B at its most powerful), and English messages for the services' tests."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.accounts.conftest import key_a, outsider, writer_a  # noqa: F401 (fixtures)


@pytest.fixture
def in_english():
    """The services' messages in English (the default language is Chinese)."""
    with translation.override("en"):
        yield
