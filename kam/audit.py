"""The audit trail: every change of tenant data, recorded by database triggers (django-pghistory).

* **What.** Every tenant-owned model that holds tenant data is decorated with :func:`audited`
  (``kam.models``: Membership, ApiKey; ``accounts.models``: Account, Contact, AccountTeamMember,
  Transaction, Contract). pghistory generates an *event model* per tracked model (table
  ``<app>_<model>event``) and pgtrigger installs ``AFTER INSERT / UPDATE / DELETE`` statement-level
  triggers that copy the rows a statement wrote — ``tenant_id`` included — from its transition
  tables into it (one ``INSERT … SELECT`` per statement, however many rows). Triggers see every
  write: ORM saves, ``QuerySet.update()``/``delete()``, the bulk upsert of ``accounts.transactions``
  and the import batcher (``execute_values`` on a raw cursor), anything set-based. No application
  code has to remember to log. Deliberately *not* audited: ``accounts.AccountFigures`` (derived,
  rewritten by a set-based job, recomputable from the audited transactions) and
  ``accounts.ImportJob`` (progress bookkeeping written many times per second).
* **Who.** The actor travels in pghistory's context (:func:`audit_context`): the browser request
  (user id, username, membership id — :class:`AuditContextMiddleware`), the API key (id and name —
  ``kam.api.TenantViewSet.initial``), the Celery job (``kam.tenancy.with_tenant``) or the
  management command (``manage.py`` → :func:`set_process_actor`). Never a contact's personal data,
  never a query string. The context is stored *in each event row* (``pgh_context`` JSONB,
  ``pgh_context_id`` UUID), not in pghistory's shared ``pghistory_context`` table: that table has
  no tenant and needs UPDATE, so the context would escape both row-level security and the
  append-only rule.
* **How it reaches the trigger.** The trigger reads ``current_setting('pghistory.context_…')``.
  pghistory sets them only on statements that pass through Django's cursor wrapper, which the bulk
  paths bypass (they call ``execute_values`` on the raw psycopg2 cursor). So ``kam.db.base``
  prepends :func:`context_sql` — transaction-local ``set_config`` calls, like the tenant's — to every
  statement of the psycopg2 cursor itself: no write can miss its actor.
* **Append-only.** The application role has only SELECT and INSERT on the event tables
  (``kam.db.grants`` revokes UPDATE/DELETE on :func:`event_tables`). The one sanctioned rewrite is
  the erasure of a contact's personal data (``kam_audit_erase_contact``, a ``SECURITY DEFINER``
  function of migration ``accounts/0006_audit``).
* **Isolation.** Event tables carry ``tenant_id`` and are under the same row-level security as
  every tenant table (migrations ``kam/0003_audit``, ``accounts/0006_audit``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pghistory
import pgtrigger
from django.core.serializers.json import DjangoJSONEncoder
from pghistory import runtime as _pgh_runtime
from pghistory import trigger as pghistory_trigger

if TYPE_CHECKING:
    from django.db import models
    from django.http import HttpRequest, HttpResponse
    from pghistory.constants import Unset

    from kam.models import ApiKey
    from kam.roles import Actor

# Keys of the context metadata (documented for readers of the event tables).
ACTOR_USER = "user"  # {"actor": "user", "user_id", "username", "membership_id", "method", "path"}
ACTOR_API_KEY = "api_key"  # {"actor": "api_key", "api_key_id", "api_key_name", ...}
ACTOR_JOB = "job"  # {"actor": "job", "job": "accounts.tasks.recompute_figures"}
ACTOR_COMMAND = "command"  # {"actor": "command", "command": "seed_demo"}


# --- declaring audited models ---------------------------------------------------------------------


def audited(*, model_name: str, exclude: tuple[str, ...] = (),
            ignore_changes: tuple[str, ...] = (),
            indexes: list[models.Index] | None = None) -> Callable:
    """Class decorator: track create/update/delete of a tenant-owned model with triggers.

    ``exclude``: columns not copied into the event rows (secrets, ``updated_at`` noise).
    ``ignore_changes``: an update that changes only these columns records no event (an explicit
    trigger condition; e.g. ``ApiKey.last_used_at``, touched on every authenticated request).
    """
    if "tenant" in exclude:
        raise ValueError("Event rows must carry the tenant")

    def decorate(model_class: type[models.Model]) -> type[models.Model]:
        names = {f.name for f in model_class._meta.local_fields}
        if "tenant" not in names:
            raise TypeError(f"{model_class.__name__} is not tenant-owned")
        update_condition = pghistory.AnyChange(exclude=[*exclude, *ignore_changes])
        meta: dict[str, Any] = {}
        if indexes:
            meta["indexes"] = list(indexes)
        from kam.models import AuditEvent  # defined before the first audited model of kam.models

        return pghistory.track(
            # Fresh tracker instances per model: pghistory mutates them during set-up.
            _InsertEvent(),
            _UpdateEvent(condition=update_condition),
            _DeleteEvent(),
            model_name=model_name,
            base_model=AuditEvent,
            exclude=list(exclude),
            context_field=pghistory.ContextJSONField(),
            obj_field=pghistory.ObjForeignKey(related_name="audit_events",
                                              related_query_name="audit_event"),
            meta=meta,
            # One INSERT … SELECT per statement from its transition table, not one per row: the
            # bulk upsert and the import batcher write thousands of rows per statement.
            level=pgtrigger.Statement,
        )(model_class)

    return decorate


class _StatementTrigger(pghistory_trigger.Event):
    """pghistory's statement-level event trigger, minus its call of ``_pgh_attach_context()``.

    That call upserts the context into pghistory's shared ``pghistory_context`` table even when
    the event rows keep their context themselves (``ContextJSONField``, as here): a table without
    tenant, outside row-level security, that the application role would have to UPDATE. The event
    rows read the context straight from the settings; nothing else needs the call.
    """

    _ATTACH = "WITH _pgh_attached_context AS ( SELECT _pgh_attach_context() AS value ) "
    _JOIN = ", _pgh_attached_context;"

    # pgtrigger annotates ``model`` as an instance; it passes the model class.
    def get_func(self, model: type[models.Model]) -> pgtrigger.Func:  # type: ignore[override]
        sql = super().get_func(model).func
        if self.level == pgtrigger.Statement:
            if not (sql.startswith(self._ATTACH) and sql.count(self._JOIN) == 1):
                raise RuntimeError("pghistory's trigger SQL changed; review kam.audit")
            sql = sql.removeprefix(self._ATTACH).replace(self._JOIN, ";")
        if "_pgh_attach" in sql:
            raise RuntimeError("audit triggers must not write pghistory_context")
        return pgtrigger.Func(sql)


class _OwnTrigger:
    """pghistory's row-event trackers, installing :class:`_StatementTrigger`."""

    # Set by the pghistory.RowEvent this is mixed into (same types).
    label: str | None
    trigger_name: str | None
    row: str | None
    operation: pgtrigger.Operation | None
    condition: pgtrigger.Condition | Unset | None
    level: pgtrigger.Level | None

    def add_event_trigger(self, event_model: type[models.Model]) -> None:
        # pgh_tracked_model: set by pghistory on the event models it creates.
        pgtrigger.register(_StatementTrigger(
            event_model=event_model, label=self.label, name=self.trigger_name, row=self.row,
            operation=self.operation, condition=self.condition, level=self.level,
        ))(event_model.pgh_tracked_model)  # type: ignore[attr-defined]


class _InsertEvent(_OwnTrigger, pghistory.InsertEvent):
    pass


class _UpdateEvent(_OwnTrigger, pghistory.UpdateEvent):
    pass


class _DeleteEvent(_OwnTrigger, pghistory.DeleteEvent):
    pass


def event_models() -> list[type[models.Model]]:
    """Every concrete pghistory event model of the project (apps must be ready)."""
    from django.apps import apps
    from pghistory.models import Event

    return [m for m in apps.get_models()
            if issubclass(m, Event) and m._meta.managed and not m._meta.proxy]


def event_tables() -> list[str]:
    """Database tables of all event models: append-only for the application role (kam.db.grants)."""
    return sorted(m._meta.db_table for m in event_models())


# --- the actor ------------------------------------------------------------------------------------


@contextmanager
def audit_context(**metadata: Any) -> Iterator[None]:
    """Changes inside the block are recorded with ``metadata`` (merged into an enclosing context,
    which gets its own metadata back when the block ends).

    This is pghistory's context (``pghistory.context(...)`` calls add to it, ``create_event`` reads
    it), opened without pghistory's Django cursor wrapper: ``kam.db.base`` already sends it with
    every statement (:func:`context_sql`), including those of raw cursors the wrapper never sees,
    and the wrapper would break ``executemany`` (it mixes its parameters into the parameter list).
    """
    tracker = getattr(_pgh_runtime._tracker, "value", None)
    if tracker is None:
        _pgh_runtime._tracker.value = _pgh_runtime.Context(id=uuid.uuid4(), metadata=dict(metadata))
        try:
            yield
        finally:
            del _pgh_runtime._tracker.value
        return
    saved = dict(tracker.metadata)
    tracker.metadata.update(metadata)
    try:
        yield
    finally:
        tracker.metadata.clear()
        tracker.metadata.update(saved)


def audit_context_add(**metadata: Any) -> None:
    """Add to the context of the enclosing :func:`audit_context` (no-op without one)."""
    pghistory.context(**metadata)


def current_audit_metadata() -> dict[str, Any] | None:
    tracker = getattr(_pgh_runtime._tracker, "value", None)
    return dict(tracker.metadata) if tracker is not None else None


def member_metadata(actor: Actor) -> dict[str, Any]:
    membership = actor.membership
    if membership is None:
        return {}
    return {"actor": ACTOR_USER, "user_id": membership.user_id,
            "username": membership.user.get_username(), "membership_id": membership.pk}


def api_key_metadata(key: ApiKey) -> dict[str, Any]:
    return {"actor": ACTOR_API_KEY, "api_key_id": key.pk, "api_key_name": key.name}


def job_metadata(name: str) -> dict[str, Any]:
    return {"actor": ACTOR_JOB, "job": name}


class AuditContextMiddleware:
    """Opens the audit context of every request, right after ``kam.middleware.TenantMiddleware``.

    A logged-in member is known here; an API key is authenticated later, inside the view, and
    ``kam.api.TenantViewSet.initial`` adds it to this context. Only the path and the method of
    the request are kept: no query string (it may carry search terms, i.e. personal data).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        metadata: dict[str, Any] = {"method": request.method, "path": request.path}
        actor = getattr(request, "actor", None)
        user = getattr(request, "user", None)
        if actor is not None and actor.membership is not None:
            metadata.update(member_metadata(actor))
        elif user is not None and user.is_authenticated:  # e.g. the superuser admin
            metadata.update(actor=ACTOR_USER, user_id=user.pk, username=user.get_username())
        with audit_context(**metadata):
            return self.get_response(request)


# The actor of a whole process that is not a server (a management command): used when no
# audit_context is open. Set by manage.py before Django starts (see set_process_actor).
_process_context: tuple[uuid.UUID, dict[str, Any]] | None = None
_NOT_A_COMMAND = frozenset({"runserver", "help", "version", "--help", "-h", "--version"})


def set_process_actor(argv: list[str]) -> None:
    """Called by ``manage.py``: changes made by ``manage.py <command>`` record the command."""
    global _process_context
    command = argv[1] if len(argv) > 1 else ""
    if not command or command in _NOT_A_COMMAND:
        return
    _process_context = (uuid.uuid4(), {"actor": ACTOR_COMMAND, "command": command})


def _sql_json(metadata: dict[str, Any]) -> str:
    """JSON safe to inline as a SQL string literal whatever the driver does with ``%``: ASCII only,
    and the two characters that matter (``'`` and ``%``) as JSON escapes."""
    clean = {k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in metadata.items()}
    text = json.dumps(clean, cls=DjangoJSONEncoder, ensure_ascii=True, sort_keys=True)
    return text.replace("%", "\\u0025").replace("'", "\\u0027")


def context_sql() -> str:
    """``set_config`` of pghistory's context for the statement's transaction ('' when there is no
    context). Prepended by ``kam.db.base`` to every statement, next to the tenant's."""
    tracker = getattr(_pgh_runtime._tracker, "value", None)
    if tracker is not None:
        context_id, metadata = tracker.id, tracker.metadata
    elif _process_context is not None:
        context_id, metadata = _process_context
    else:
        return ""
    return (f"SELECT set_config('pghistory.context_id', '{uuid.UUID(str(context_id))}', true), "
            f"set_config('pghistory.context_metadata', '{_sql_json(metadata)}', true);")
