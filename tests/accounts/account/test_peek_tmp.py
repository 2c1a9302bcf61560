import pytest
from django.urls import reverse
from accounts.account import forms as account_forms
from tests.conftest import login
from tests.factories import make_account

pytestmark = pytest.mark.django_db

def test_peek(client, admin_a, monkeypatch):
    monkeypatch.setattr(account_forms, "PICKER_SELECT_MAX", 2)
    a = make_account(admin_a.tenant, "华东精密")
    make_account(admin_a.tenant, "华东精密苏州分公司", city="苏州")
    make_account(admin_a.tenant, "北京重工", short_name="北重")
    login(client, admin_a)
    r = client.get(reverse("accounts:transaction-list"), {"account": a.pk})
    body = r.content.decode()
    i = body.index('kam-filters')
    print(body[i-30:i+2200])
    r = client.post(reverse("accounts:contact-create"), {"account_name": "华东", "name": "x", "level": "business", "relationship_strength": 3, "is_active": "on"})
    body = r.content.decode()
    i = body.index('kam-picker')
    print(r.status_code, body[i-300:i+2000])
    r = client.get(reverse("accounts:account-lookup"), {"q": "华东"})
    print(r.content.decode())
    r = client.get(reverse("accounts:account-lookup"), {"q": "zz"})
    print(r.content.decode())
