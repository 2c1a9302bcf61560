"""API keys: created once, stored hashed, scoped, revocable, recorded on use; the CLI; sessions."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from kam import clock
from kam.models import ApiKey, Membership
from kam.services import api_key_authenticate, api_key_create, api_key_revoke
from kam.tenancy import tenant_context
from tests.conftest import bearer, login

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/accounts/"


def create(tenant, name: str = "erp", scopes: list[str] | None = None) -> tuple[ApiKey, str]:
    with tenant_context(tenant):
        return api_key_create(name=name, scopes=["read"] if scopes is None else scopes)


def stored_row(key: ApiKey) -> dict:
    """Every column of the key's row, straight from the database."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiKey._meta.db_table} WHERE id = %s", [key.pk])  # noqa: S608
        columns = [c.name for c in cursor.description]
        values = cursor.fetchone()
    assert values is not None
    return dict(zip(columns, values, strict=True))


# --- creation -----------------------------------------------------------------------------------


def test_create_returns_the_raw_key_and_stores_only_its_sha256(tenant_a):
    key, raw = create(tenant_a)
    kam, prefix, secret = raw.split("_", 2)
    assert kam == "kam"
    assert len(prefix) == 8 and all(c in "0123456789abcdef" for c in prefix)
    assert len(secret) >= 32

    row = stored_row(key)
    assert row["hashed_key"] == hashlib.sha256(raw.encode()).hexdigest()
    assert row["prefix"] == prefix  # the prefix is visible, to recognise the key
    assert row["tenant_id"] == tenant_a.pk
    for column, value in row.items():
        assert raw not in str(value), column
        assert secret not in str(value), column
    # The key object shows its prefix, never the secret.
    assert prefix in str(key)
    assert secret not in str(key)
    assert not any(secret in str(v) for v in vars(ApiKey.unscoped_all_tenants.get(pk=key.pk)).values())


def test_every_key_is_different(tenant_a):
    _k1, raw1 = create(tenant_a, "one")
    _k2, raw2 = create(tenant_a, "two")
    assert raw1 != raw2
    assert raw1.split("_", 2)[2] != raw2.split("_", 2)[2]


def test_the_raw_key_authenticates_to_its_key_and_tenant(tenant_a, tenant_b):
    key_a, raw_a = create(tenant_a)
    key_b, raw_b = create(tenant_b)
    found = api_key_authenticate(raw=raw_a)
    assert found is not None
    assert (found.pk, found.tenant_id) == (key_a.pk, tenant_a.pk)
    assert api_key_authenticate(raw=raw_b).pk == key_b.pk
    # Right prefix, wrong secret.
    assert api_key_authenticate(raw=raw_a[:-2] + ("xx" if not raw_a.endswith("xx") else "yy")) is None
    # A raw key's hash is not itself a key.
    assert api_key_authenticate(raw=key_a.hashed_key) is None


@pytest.mark.parametrize("scopes", [[], None, ["admin"], ["read", "admin"], ["READ"], [""]])
def test_scopes_are_validated(tenant_a, scopes):
    with tenant_context(tenant_a), pytest.raises(ValidationError) as exc_info:
        api_key_create(name="erp", scopes=scopes)
    assert "scopes" in exc_info.value.message_dict
    assert ApiKey.unscoped_all_tenants.count() == 0


@pytest.mark.parametrize("name", ["", "   "])
def test_a_name_is_required(tenant_a, name):
    with tenant_context(tenant_a), pytest.raises(ValidationError) as exc_info:
        api_key_create(name=name, scopes=["read"])
    assert "name" in exc_info.value.message_dict
    assert ApiKey.unscoped_all_tenants.count() == 0


def test_names_are_unique_per_tenant(tenant_a, tenant_b):
    create(tenant_a, "erp")
    with tenant_context(tenant_a), pytest.raises(ValidationError) as exc_info:
        api_key_create(name="erp", scopes=["read"])
    assert "name" in exc_info.value.message_dict
    create(tenant_b, "erp")  # another tenant may use the name
    assert ApiKey.unscoped_all_tenants.filter(name="erp").count() == 2


@pytest.mark.parametrize("scopes,stored", [
    (["write"], ["read", "write"]),
    (["read", "write"], ["read", "write"]),
    (["write", "write"], ["read", "write"]),
    (["read"], ["read"]),
])
def test_write_implies_read(api, tenant_a, scopes, stored):
    key, raw = create(tenant_a, scopes=scopes)
    assert ApiKey.unscoped_all_tenants.get(pk=key.pk).scopes == stored
    bearer(api, raw)
    assert api.get(LIST_URL).status_code == 200


# --- revocation and use -------------------------------------------------------------------------


def test_revoked_key_no_longer_authenticates(api, tenant_a):
    key, raw = create(tenant_a, scopes=["write"])
    assert api_key_authenticate(raw=raw) is not None
    with tenant_context(tenant_a):
        api_key_revoke(key_id=key.pk)
    revoked_at = ApiKey.unscoped_all_tenants.get(pk=key.pk).revoked_at
    assert revoked_at is not None
    assert api_key_authenticate(raw=raw) is None
    bearer(api, raw)
    assert api.get(LIST_URL).status_code == 401
    # Revoking again keeps the first time.
    with tenant_context(tenant_a):
        api_key_revoke(key_id=key.pk)
    assert ApiKey.unscoped_all_tenants.get(pk=key.pk).revoked_at == revoked_at


def test_revoking_one_key_leaves_the_others(tenant_a):
    key1, raw1 = create(tenant_a, "one")
    _key2, raw2 = create(tenant_a, "two")
    with tenant_context(tenant_a):
        api_key_revoke(key_id=key1.pk)
    assert api_key_authenticate(raw=raw1) is None
    assert api_key_authenticate(raw=raw2) is not None


def test_last_used_at_is_recorded_on_use(api, tenant_a):
    key, raw = create(tenant_a)
    assert ApiKey.unscoped_all_tenants.get(pk=key.pk).last_used_at is None
    bearer(api, raw)
    before = clock.now()
    assert api.get(LIST_URL).status_code == 200
    after = clock.now()
    used = ApiKey.unscoped_all_tenants.get(pk=key.pk).last_used_at
    assert used is not None
    assert before <= used <= after

    # Within a minute a read stays a read: no UPDATE of the key.
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(LIST_URL).status_code == 200
    assert not [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert ApiKey.unscoped_all_tenants.get(pk=key.pk).last_used_at == used

    # Later it is recorded again.
    long_ago = clock.now() - timedelta(minutes=5)
    with tenant_context(key.tenant):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=long_ago)
    assert api.get(LIST_URL).status_code == 200
    assert ApiKey.unscoped_all_tenants.get(pk=key.pk).last_used_at > long_ago + timedelta(minutes=4)


def test_a_failed_attempt_does_not_touch_the_key(api, tenant_a):
    key, raw = create(tenant_a)
    bearer(api, raw[:-1] + ("A" if raw[-1] != "A" else "B"))
    assert api.get(LIST_URL).status_code == 401
    assert ApiKey.unscoped_all_tenants.get(pk=key.pk).last_used_at is None


# --- the management command ---------------------------------------------------------------------


def test_create_api_key_command_prints_a_working_key(api, tenant_a):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", "--tenant", tenant_a.slug, "--name", "cli",
                 "--scopes", "read,write", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert raw.startswith("kam_")
    assert raw not in err.getvalue()
    key = ApiKey.unscoped_all_tenants.get(name="cli")
    assert key.tenant_id == tenant_a.pk
    assert key.scopes == ["read", "write"]
    assert key.hashed_key == hashlib.sha256(raw.encode()).hexdigest()
    assert key.prefix == raw.split("_")[1]

    bearer(api, raw)
    response = api.post(LIST_URL, {"name": "Made by the CLI key"}, format="json")
    assert response.status_code == 201, response.content
    assert Account.unscoped_all_tenants.get(pk=response.json()["id"]).tenant_id == tenant_a.pk
    assert [a["name"] for a in api.get(LIST_URL).json()["results"]] == ["Made by the CLI key"]


def test_create_api_key_command_defaults_to_read_only(api, tenant_a):
    out = io.StringIO()
    call_command("create_api_key", "--tenant", tenant_a.slug, "--name", "ro", stdout=out,
                 stderr=io.StringIO())
    bearer(api, out.getvalue().strip())
    assert api.get(LIST_URL).status_code == 200
    assert api.post(LIST_URL, {"name": "x"}, format="json").status_code == 403
    assert Account.unscoped_all_tenants.count() == 0


def test_create_api_key_command_unknown_tenant(tenant_a):
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("create_api_key", "--tenant", "no-such-tenant", "--name", "cli",
                     "--scopes", "read", stdout=out, stderr=io.StringIO())
    assert out.getvalue() == ""
    assert ApiKey.unscoped_all_tenants.count() == 0


@pytest.mark.parametrize("scopes", ["admin", "read,delete", ",", ""])
def test_create_api_key_command_bad_scopes(tenant_a, scopes):
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("create_api_key", "--tenant", tenant_a.slug, "--name", "cli",
                     "--scopes", scopes, stdout=out, stderr=io.StringIO())
    assert out.getvalue() == ""
    assert ApiKey.unscoped_all_tenants.count() == 0


# --- sessions -----------------------------------------------------------------------------------


def test_a_deactivated_member_can_no_longer_use_the_api(api, admin_a, manager_a):
    with tenant_context(manager_a.tenant):
        account = Account.objects.create(name="Mine", owner=manager_a)
    login(api, manager_a)
    assert api.get(LIST_URL).status_code == 200

    with tenant_context(manager_a.tenant):
        Membership.objects.filter(pk=manager_a.pk).update(is_active=False)
    response = api.get(LIST_URL)
    assert response.status_code in (401, 403), response.status_code
    assert "Mine" not in response.content.decode()
    assert api.get(f"{LIST_URL}{account.pk}/").status_code in (401, 403)
    count = Account.unscoped_all_tenants.count()
    assert api.post(LIST_URL, {"name": "After"}, format="json").status_code in (401, 403)
    assert api.patch(f"{LIST_URL}{account.pk}/", {"name": "Changed"},
                     format="json").status_code in (401, 403)
    assert Account.unscoped_all_tenants.count() == count
    assert Account.unscoped_all_tenants.get(pk=account.pk).name == "Mine"
