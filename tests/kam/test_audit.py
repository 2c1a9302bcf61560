"""The audit trail (kam.audit): triggers record every write of tenant data — ORM, bulk SQL,
imports — with the tenant, the actor and the time; the event tables are append-only for the
application role and under row-level security."""

from __future__ import annotations

import json
from decimal import Decimal

import psycopg2.errors
import pytest
from django.core.management import call_command
from django.db import connection
from django.db.utils import ProgrammingError
from django.urls import reverse

from accounts.models import (
    Account,
    AccountFigures,
    AccountTeamMember,
    AccountTier,
    Contact,
    Contract,
    ImportJob,
    ServiceStandard,
    TierChange,
    TierPolicy,
    Transaction,
)
from care.models import CareReminder, CareSettings, Festival
from kam import audit
from kam.audit import audit_context, event_models, event_tables
from kam.models import ApiKey, CalendarEntry, CalendarSettings, Membership
from kam.services import api_key_authenticate, api_key_revoke, api_key_touch
from kam.tenancy import tenant_context
from tests.conftest import bearer, key_for, login
from tests.factories import make_account
from visits.models import FollowUp, Visit, VisitAttendee, VisitContact

pytestmark = pytest.mark.django_db

AUDITED = {Membership, ApiKey, Account, Contact, AccountTeamMember, Transaction, Contract,
           ServiceStandard, CalendarSettings, CalendarEntry, Visit, VisitAttendee, VisitContact,
           FollowUp, CareReminder, CareSettings, Festival}


def events(model, **filters) -> list:
    """Event rows of a tracked model, oldest first (tests read across tenants)."""
    return list(model.pgh_event_model.objects.filter(**filters).order_by("pgh_id"))


# --- what is tracked ------------------------------------------------------------------------------


def test_every_tenant_model_with_data_is_audited_and_the_derived_ones_are_not():
    tracked = {m.pgh_tracked_model for m in event_models()}
    assert tracked == AUDITED
    assert not hasattr(AccountFigures, "pgh_event_models")
    assert not hasattr(ImportJob, "pgh_event_models")
    # Tiering keeps its own history: policies are immutable versions, tier changes are rows.
    for model in (TierPolicy, AccountTier, TierChange):
        assert not hasattr(model, "pgh_event_models")
    assert event_tables() == sorted(m.pgh_event_model._meta.db_table for m in AUDITED)
    for model in AUDITED:
        fields = {f.name for f in model.pgh_event_model._meta.fields}
        assert {"tenant", "pgh_created_at", "pgh_label", "pgh_context", "pgh_obj"} <= fields
    # Secrets and noise are not copied.
    api_key_fields = {f.name for f in ApiKey.pgh_event_model._meta.fields}
    assert "hashed_key" not in api_key_fields and "last_used_at" not in api_key_fields


def test_event_tables_are_under_forced_row_level_security():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                       "WHERE relname = ANY(%s)", [event_tables()])
        rows = {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}
        cursor.execute("SELECT tablename, count(*) FROM pg_policies WHERE tablename = ANY(%s) "
                       "GROUP BY tablename", [event_tables()])
        policies = dict(cursor.fetchall())
    assert rows == {table: (True, True) for table in event_tables()}
    assert all(policies.get(table, 0) >= 1 for table in event_tables())


# --- create, update, delete ---------------------------------------------------------------------


def test_create_update_delete_are_recorded_with_tenant_actor_time_and_changes(tenant_a):
    with tenant_context(tenant_a), audit_context(actor="job", job="test"):
        account = Account.objects.create(name="苏州精工", strategic_value=3)
        account.strategic_value = 5
        account.save()
        account.save()  # no change: no event (updated_at is not a change anyone made)
        account_id = account.pk
        account.delete()
    rows = events(Account, pgh_obj_id=account_id)
    assert [e.pgh_label for e in rows] == ["insert", "update", "delete"]
    assert {e.tenant_id for e in rows} == {tenant_a.pk}
    assert all(e.pgh_created_at is not None for e in rows)
    assert all(e.pgh_context == {"actor": "job", "job": "test"} for e in rows)
    assert [e.strategic_value for e in rows] == [3, 5, 5]


def test_queryset_update_and_delete_are_recorded_too(tenant_a):
    account = make_account(tenant_a, "A")
    with tenant_context(tenant_a):
        Account.objects.filter(pk=account.pk).update(city="苏州")
        Account.objects.filter(pk=account.pk).delete()
    assert [(e.pgh_label, e.city) for e in events(Account, pgh_obj_id=account.pk)] == [
        ("insert", ""), ("update", "苏州"), ("delete", "苏州")]


def test_api_key_use_is_not_an_audited_change_but_revoking_is(tenant_a):
    raw = key_for(tenant_a, ["read"])
    key = api_key_authenticate(raw=raw)
    api_key_touch(key=key)
    with tenant_context(tenant_a):
        assert ApiKey.objects.get(pk=key.pk).last_used_at is not None
        assert [e.pgh_label for e in events(ApiKey, pgh_obj_id=key.pk)] == ["insert"]
        api_key_revoke(key_id=key.pk)
    assert [e.pgh_label for e in events(ApiKey, pgh_obj_id=key.pk)] == ["insert", "update"]


# --- the actor ------------------------------------------------------------------------------------


def test_browser_request_records_the_member_without_query_string(client, admin_a):
    login(client, admin_a)
    response = client.post(reverse("accounts:account-create") + "?q=secret-search",
                           {"name": "苏州恒通", "lifecycle_status": "active", "strategic_value": "3"})
    assert response.status_code == 302
    (event,) = events(Account)
    assert event.tenant_id == admin_a.tenant_id
    assert event.pgh_context == {
        "actor": "user", "user_id": admin_a.user_id, "username": "admin_a",
        "membership_id": admin_a.pk, "method": "POST", "path": reverse("accounts:account-create"),
    }
    assert "secret-search" not in json.dumps(event.pgh_context)


def test_api_key_request_records_the_key(api, tenant_a):
    raw = key_for(tenant_a, ["read", "write"], name="ERP 同步")
    response = bearer(api, raw).post("/api/v1/accounts/", {"name": "API Co"}, format="json")
    assert response.status_code == 201, response.content
    (event,) = events(Account)
    key = ApiKey.unscoped_all_tenants.get(name="ERP 同步")
    assert event.pgh_context["actor"] == "api_key"
    assert (event.pgh_context["api_key_id"], event.pgh_context["api_key_name"]) == (key.pk, "ERP 同步")
    assert "user_id" not in event.pgh_context


def test_bulk_api_records_one_insert_event_per_row_with_the_key(api, tenant_a):
    account = make_account(tenant_a, "A")
    raw = key_for(tenant_a, ["write"], name="erp")
    rows = [{"account": account.pk, "date": "2026-03-01", "amount": "10.00",
             "external_id": f"ERP-{i}"} for i in range(37)]
    client = bearer(api, raw)
    assert client.post("/api/v1/transactions/bulk/", rows, format="json").json()["created"] == 37
    inserted = events(Transaction, tenant_id=tenant_a.pk)
    assert len(inserted) == 37
    assert {e.pgh_label for e in inserted} == {"insert"}
    assert {e.pgh_context["api_key_name"] for e in inserted} == {"erp"}
    assert len({e.pgh_context_id for e in inserted}) == 1  # one request, one context
    assert {e.external_id for e in inserted} == {f"ERP-{i}" for i in range(37)}

    # Unchanged rows are not written, so not recorded; changed ones are, with the new values.
    rows[3]["amount"] = "99.00"
    assert client.post("/api/v1/transactions/bulk/", rows, format="json").json()["updated"] == 1
    (update,) = events(Transaction, pgh_label="update")
    assert (update.external_id, update.amount) == ("ERP-3", Decimal("99.00"))
    assert update.pgh_context["actor"] == "api_key"


def test_import_records_events_with_the_job_as_actor(admin_a, tenant_a, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.imports.services import import_create, import_start
    from accounts.imports.tasks import run_import
    from kam.roles import Actor

    settings.MEDIA_ROOT = tmp_path
    content = ("外部编号,客户名称,上级客户\nG-2,子公司乙,G-1\nG-1,集团甲,\n").encode()
    actor = Actor(tenant=tenant_a, membership=admin_a)
    with tenant_context(tenant_a):
        job = import_create(actor=actor, kind="accounts", mode="valid_only",
                            upload=SimpleUploadedFile("a.csv", content))
        import_start(actor=actor, job=job, mapping=job.mapping, mode="valid_only")
    run_import(job_id=job.pk, tenant_id=tenant_a.pk)  # the Celery task's code, in this process
    job.refresh_from_db()
    assert job.status == "done", job.error_message
    recorded = events(Account, tenant_id=tenant_a.pk)
    # Two inserts by the batcher's INSERT … ON CONFLICT, then the parent linked afterwards.
    assert sorted(e.pgh_label for e in recorded) == ["insert", "insert", "update"]
    assert {e.pgh_context["job"] for e in recorded} == {"accounts.imports.tasks.run_import"}
    assert {e.pgh_context["actor"] for e in recorded} == {"job"}


def test_management_command_is_the_actor(tenant_a, monkeypatch, capsys):
    monkeypatch.setattr(audit, "_process_context", None)
    audit.set_process_actor(["manage.py", "create_api_key"])
    call_command("create_api_key", tenant=tenant_a.slug, name="cli", scopes="read")
    (event,) = events(ApiKey, tenant_id=tenant_a.pk)
    assert event.pgh_context == {"actor": "command", "command": "create_api_key"}


def test_context_stays_in_the_event_rows_not_in_pghistorys_shared_table(api, tenant_a):
    """pghistory_context has no tenant and no row-level security: our triggers never write it."""
    raw = key_for(tenant_a, ["write"])
    assert bearer(api, raw).post("/api/v1/accounts/", {"name": "X"}, format="json").status_code == 201
    with tenant_context(tenant_a):
        Account.objects.update(city="苏州")
    assert len(events(Account)) == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pghistory_context")
        assert cursor.fetchone() == (0,)


def test_runserver_is_not_an_actor(monkeypatch):
    monkeypatch.setattr(audit, "_process_context", None)
    audit.set_process_actor(["manage.py", "runserver"])
    assert audit.context_sql() == ""


def test_context_survives_quotes_percent_signs_and_chinese(tenant_a):
    tricky = "50% o'clock \\ 密钥 %s %(x)s \x00"
    with tenant_context(tenant_a), audit_context(actor="api_key", api_key_name=tricky):
        Account.objects.create(name="X")
        # A statement with parameters and one without: both carry the context.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE accounts_account SET city = 'a' WHERE name = %s", ["X"])
            cursor.execute("UPDATE accounts_account SET city = 'b' WHERE name = 'X'")
    recorded = events(Account)
    assert len(recorded) == 3
    assert {e.pgh_context["api_key_name"] for e in recorded} == {tricky.replace("\x00", "")}


def test_nested_context_adds_and_restores(tenant_a):
    with tenant_context(tenant_a), audit_context(actor="user", username="u"):
        with audit_context(erasure=True):
            inner = Account.objects.create(name="inner")
        outer = Account.objects.create(name="outer")
    assert events(Account, pgh_obj_id=inner.pk)[0].pgh_context == {
        "actor": "user", "username": "u", "erasure": True}
    assert events(Account, pgh_obj_id=outer.pk)[0].pgh_context == {"actor": "user", "username": "u"}


# --- append-only and isolation ------------------------------------------------------------------


EVENT_TABLES = ["accounts_accountevent", "accounts_accountteammemberevent", "accounts_contactevent",
                "accounts_contractevent", "accounts_servicestandardevent",
                "accounts_transactionevent", "care_carereminderevent", "care_caresettingsevent",
                "care_festivalevent",
                "kam_apikeyevent", "kam_calendarentryevent",
                "kam_calendarsettingsevent", "kam_membershipevent", "visits_followupevent",
                "visits_visitattendeeevent", "visits_visitcontactevent", "visits_visitevent"]


def test_the_append_only_list_is_every_event_table():
    assert event_tables() == EVENT_TABLES


@pytest.mark.parametrize("table", EVENT_TABLES)
@pytest.mark.parametrize("statement", [
    "UPDATE {table} SET pgh_label = 'forged'",
    "DELETE FROM {table}",
])
def test_application_role_cannot_update_or_delete_audit_rows(tenant_a, admin_a, table, statement):
    """As the application role (the tests' connection), with the rows' tenant set: refused.
    The error ends the test: nothing may run in the aborted transaction afterwards."""
    make_account(tenant_a, "A", owner=admin_a)
    with tenant_context(tenant_a):
        assert events(Account) and events(Membership)  # rows the statement would touch
        with pytest.raises(ProgrammingError) as info, connection.cursor() as cursor:
            cursor.execute(statement.format(table=f'"{table}"'))
    assert isinstance(info.value.__cause__, psycopg2.errors.InsufficientPrivilege)


def test_event_rows_of_another_tenant_are_invisible(tenant_a, tenant_b):
    make_account(tenant_a, "A")
    make_account(tenant_b, "B")
    with tenant_context(tenant_a), connection.cursor() as cursor:
        for table in event_tables():
            cursor.execute(f'SELECT DISTINCT tenant_id FROM "{table}"')  # noqa: S608
            assert {t for (t,) in cursor.fetchall()} <= {tenant_a.pk}, table
        cursor.execute("SELECT count(*) FROM accounts_accountevent")
        assert cursor.fetchone() == (1,)
