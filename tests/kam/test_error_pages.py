"""The product's own error pages, as `make demo` and a plain runserver serve them: development
runs without DEBUG unless DJANGO_DEBUG=true asks for Django's debug pages, static files are still
served (WhiteNoise, from static/ as it is on disk), and a 404 — a missing object, or an account
the user may not see — and a 500 are templates/404.html and 500.html in the user's language."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.conftest import login
from tests.factories import make_account
from tests.kam.test_deploy import _DUMP, clean_env, run_python

pytestmark = pytest.mark.django_db

LANGUAGES = ("zh-hans", "en")


def development_settings(**overrides: str) -> dict:
    import json

    result = run_python("-c", _DUMP, env=clean_env(**overrides))
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("SETTINGS="))
    return json.loads(line.removeprefix("SETTINGS="))


def test_development_runs_without_debug_unless_asked():
    """`make demo` starts runserver with the environment it was given: no DEBUG by default."""
    assert development_settings()["DEBUG"] is False
    assert development_settings(DJANGO_DEBUG="true")["DEBUG"] is True


def test_static_files_are_served_without_debug(client):
    assert not settings.DEBUG
    response = client.get("/static/kam/kam.css")
    assert response.status_code == 200
    assert b".kam-header" in b"".join(response.streaming_content)


def say(lang: str, message: str) -> str:
    with translation.override(lang):
        return translation.gettext(message)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_missing_or_hidden_account_is_the_products_404(client, manager_a, manager2_a, lang):
    hidden = make_account(manager_a.tenant, "Theirs Ltd", owner=manager2_a)
    login(client, manager_a)
    for url in (reverse("accounts:account-detail", args=[999999]),
                reverse("accounts:account-detail", args=[hidden.pk]),
                reverse("accounts:account-history", args=[hidden.pk])):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
        assert response.status_code == 404
        assert [t.name for t in response.templates][:1] == ["404.html"]
        body = response.content.decode()
        assert say(lang, "This page does not exist, or you do not have access to it.") in body
        assert "Theirs Ltd" not in body and "URLconf" not in body


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_error_is_the_products_500_in_the_users_language(admin_a, monkeypatch, lang):
    def fail(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("accounts.account.views.account_list_queryset", fail)
    client = Client(raise_request_exception=False)
    login(client, admin_a)
    response = client.get(reverse("accounts:account-list"), HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 500
    body = response.content.decode()
    assert f'<html lang="{lang}">' in body
    assert say(lang, "The error has been logged. Please try again in a moment.") in body
    assert "boom" not in body and "Traceback" not in body
    chinese = any("\u4e00" <= ch <= "\u9fff" for ch in body)
    assert chinese == (lang == "zh-hans")  # one language: the user's
