"""Fixtures of the visits tests."""

from __future__ import annotations

import pytest
from django.utils import translation


@pytest.fixture
def in_english():
    """The services' messages in English (the default language is Chinese)."""
    with translation.override("en"):
        yield
