"""An account's change history (变更记录), read from the audit trail (``kam.audit``).

The history of an account is the events of the account itself and of its child rows — contacts,
account team, transactions, contracts — newest first. One page is one SQL statement: a
``UNION ALL`` of one index scan per event table (``<model>event_history_idx``), keyset-paginated
on (time, table, event id); each event comes with the previous event of the same object, so the
changed fields are the diff of two consecutive snapshots. Plus at most one query for the names of
the members the page mentions. The cost of a page does not depend on how long the history is.

Who may read it: ``can_read_history`` — administrators, executives and API keys every account's
they see (``Perm.AUDIT_READ``), managers their own accounts' (``Perm.AUDIT_READ_OWN``); the caller
checks.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.db import connection, models
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.account.models import Account
from accounts.contacts.models import Contact
from accounts.contacts.selectors import contact_visible_queryset
from accounts.contracts.models import Contract
from accounts.team.models import AccountTeamMember
from accounts.transactions.models import Transaction
from kam import clock, l10n
from kam.audit import ACTOR_API_KEY, ACTOR_COMMAND, ACTOR_JOB, ACTOR_USER
from kam.models import Membership
from kam.roles import Actor, Perm
from kam.tenancy import get_current_tenant

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

# Columns that are bookkeeping, not a change anyone made.
_HIDDEN_COLUMNS = frozenset({"id", "tenant_id", "created_at", "updated_at"})
# Foreign keys to members: shown by name.
_MEMBER_COLUMNS = frozenset({"owner_id", "membership_id"})


class HistoryCursorError(ValueError):
    """The cursor was tampered with."""


@dataclass(frozen=True)
class _Source:
    kind: str
    rank: int  # orders the tables for events of the same instant (one transaction)
    model: type[models.Model]
    column: str  # how an event belongs to the account: its own id, or the child's account_id

    @property
    def table(self) -> str:
        return self.model.pgh_event_model._meta.db_table  # type: ignore[attr-defined]  # by pghistory.track

    def columns(self) -> dict[str, models.Field]:
        """The tracked model's fields by column, as the event rows carry them."""
        return {f.column: f for f in self.model._meta.concrete_fields}


SOURCES: tuple[_Source, ...] = (
    _Source("account", 5, Account, "pgh_obj_id"),
    _Source("contact", 4, Contact, "account_id"),
    _Source("team", 3, AccountTeamMember, "account_id"),
    _Source("contract", 2, Contract, "account_id"),
    _Source("transaction", 1, Transaction, "account_id"),
)
_BY_KIND = {s.kind: s for s in SOURCES}
_RANKS = frozenset(s.rank for s in SOURCES)


def kind_label(kind: str) -> str:
    return str(_BY_KIND[kind].model._meta.verbose_name).capitalize()


@dataclass(frozen=True)
class FieldChange:
    field: str  # the model field's name
    label: str
    old: Any  # JSON values as stored; None for "not set before"
    new: Any
    old_display: str
    new_display: str


@dataclass(frozen=True)
class HistoryEntry:
    event_id: str  # "<kind>:<event id>"
    when: datetime.datetime  # in the tenant's time zone
    kind: str
    kind_label: str
    object_id: int
    object_label: str
    action: str  # created | changed | deleted | erased
    action_label: str
    actor: dict[str, Any]  # {"type": user|api_key|job|command|system, "id": …, "name": …}
    actor_label: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class HistoryPage:
    entries: list[HistoryEntry]
    next_cursor: str | None
    is_first: bool


# --- the cursor ---------------------------------------------------------------------------------


def _encode_cursor(when: datetime.datetime, rank: int, event_id: int) -> str:
    raw = json.dumps({"t": when.isoformat(), "r": rank, "i": event_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime.datetime, int, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if set(data) != {"t", "r", "i"}:  # exactly what _encode_cursor writes
            raise ValueError(cursor)
        when = datetime.datetime.fromisoformat(data["t"])
        rank, event_id = data["r"], data["i"]
        if when.tzinfo is not None:
            when = when.astimezone(datetime.UTC)  # PostgreSQL: offsets up to ±15:59 only
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError,
            OverflowError) as exc:
        raise HistoryCursorError("bad cursor") from exc
    if (when.tzinfo is None or type(rank) is not int or type(event_id) is not int
            or rank not in _RANKS or not 0 < event_id < 2**63):
        raise HistoryCursorError("bad cursor")
    return when, rank, event_id


# --- the query ----------------------------------------------------------------------------------


def _branch(source: _Source, after: tuple[datetime.datetime, int, int] | None,
            params: list[Any], *, tenant_id: int, account_id: int, limit: int) -> str:
    # Table and column names come from the code above, never from input.
    keyset = ""
    params.extend([tenant_id, account_id])
    if after is not None:
        when, rank, event_id = after
        if source.rank < rank:
            keyset = "AND e.pgh_created_at <= %s"
            params.append(when)
        elif source.rank == rank:
            keyset = "AND (e.pgh_created_at, e.pgh_id) < (%s, %s)"
            params.extend([when, event_id])
        else:
            keyset = "AND e.pgh_created_at < %s"
            params.append(when)
    params.append(limit)
    return f"""(
        SELECT '{source.kind}'::text AS kind, {source.rank} AS rank, e.pgh_id, e.pgh_created_at,
               e.pgh_label, e.pgh_obj_id, e.pgh_context, to_jsonb(e) AS data,
               (SELECT to_jsonb(p) FROM "{source.table}" p
                 WHERE p.pgh_obj_id = e.pgh_obj_id AND p.pgh_id < e.pgh_id
                 ORDER BY p.pgh_id DESC LIMIT 1) AS prev
          FROM "{source.table}" e
         WHERE e.tenant_id = %s AND e."{source.column}" = %s {keyset}
         ORDER BY e.pgh_created_at DESC, e.pgh_id DESC
         LIMIT %s)"""  # noqa: S608 - identifiers from SOURCES, values as parameters


def _json(value: Any) -> Any:
    if value is None or isinstance(value, (dict, list)):
        return value
    return json.loads(value, parse_float=Decimal)


def can_read_history(*, actor: Actor, account: Account) -> bool:
    """Whether the actor may read the history of ``account`` (one it can see)."""
    return actor.can_on_account(Perm.AUDIT_READ, own=Perm.AUDIT_READ_OWN, owner_id=account.owner_id)


def account_history_page(*, account: Account, cursor: str | None = None,
                         size: int = DEFAULT_PAGE_SIZE) -> HistoryPage:
    """One page of the account's history, newest first. ``HistoryCursorError`` for a bad cursor.

    The caller has found ``account`` through the actor's visible accounts (so another tenant's
    account never gets here) and checked ``can_read_history``.
    """
    size = max(1, min(int(size), MAX_PAGE_SIZE))
    after = _decode_cursor(cursor) if cursor else None
    params: list[Any] = []
    branches = [_branch(s, after, params, tenant_id=account.tenant_id, account_id=account.pk,
                        limit=size + 1) for s in SOURCES]
    sql = ("SELECT kind, rank, pgh_id, pgh_created_at, pgh_label, pgh_obj_id, pgh_context, "  # noqa: S608
           "data, prev FROM (" + " UNION ALL ".join(branches) + ") h "
           "ORDER BY pgh_created_at DESC, rank DESC, pgh_id DESC LIMIT %s")
    params.append(size + 1)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    more = len(rows) > size
    rows = rows[:size]
    tz = clock.tenant_zone(account.tenant)
    decoded = [(kind, rank, pgh_id, created, label, obj_id, _json(ctx), _json(data), _json(prev))
               for kind, rank, pgh_id, created, label, obj_id, ctx, data, prev in rows]
    members = _member_names(decoded)
    entries = [_entry(row, tz=tz, members=members) for row in decoded]
    next_cursor = None
    if more and rows:
        _kind, rank, pgh_id, created, *_rest = rows[-1]
        next_cursor = _encode_cursor(created, rank, pgh_id)
    return HistoryPage(entries=entries, next_cursor=next_cursor, is_first=after is None)


def _member_names(rows: list[tuple]) -> dict[int, str]:
    ids: set[int] = set()
    for row in rows:
        for snapshot in (row[7], row[8]):
            for column in _MEMBER_COLUMNS:
                if snapshot and isinstance(snapshot.get(column), int):
                    ids.add(snapshot[column])
    if not ids:
        return {}
    return {m.pk: m.display_name
            for m in Membership.objects.filter(pk__in=ids).select_related("user")}


# --- one entry ----------------------------------------------------------------------------------


def _display(field: models.Field, value: Any, members: dict[int, str]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if field.column in _MEMBER_COLUMNS:
        return members.get(value, f"#{value}")
    if isinstance(field, models.ForeignKey):
        return f"#{value}"
    if isinstance(field, models.BooleanField):
        return pgettext("audit", "Yes") if value else pgettext("audit", "No")
    if isinstance(field, models.DecimalField):
        # Every audited decimal is money (a contract's value, a transaction's amount and margin).
        return l10n.money(value, get_current_tenant().currency)
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        try:
            return l10n.day(datetime.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if field.flatchoices:
        choices = {str(k): str(v) for k, v in field.flatchoices}
        if isinstance(value, list):
            return ", ".join(choices.get(str(v), str(v)) for v in value)
        return choices.get(str(value), str(value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _object_label(kind: str, data: dict[str, Any], members: dict[int, str]) -> str:
    if kind in ("account", "contact"):
        return str(data.get("name", ""))
    if kind == "team":
        role = AccountTeamMember._meta.get_field("team_role")
        # A snapshot's membership_id: an int (a missing one is no member either).
        name = members.get(cast(int, data.get("membership_id")), f"#{data.get('membership_id')}")
        return f"{name} · {_display(role, data.get('team_role'), members)}"
    if kind == "contract":
        return f"{data.get('number', '')} {data.get('title', '')}".strip()
    label = f"{data.get('date', '')} · {data.get('amount', '')}"
    return f"{label} · {data['external_id']}" if data.get("external_id") else label


def actor_of(context: dict[str, Any] | None) -> tuple[dict[str, Any], str]:
    """The actor of an event, for the API (a dict) and for people (a label)."""
    context = context or {}
    kind = context.get("actor")
    if kind == ACTOR_USER:
        return ({"type": "user", "id": context.get("membership_id"),
                 "name": context.get("username")}, str(context.get("username", "")))
    if kind == ACTOR_API_KEY:
        name = str(context.get("api_key_name", ""))
        return ({"type": "api_key", "id": context.get("api_key_id"), "name": name},
                _("API key “%(name)s”") % {"name": name})
    if kind == ACTOR_JOB:
        name = str(context.get("job", ""))
        return {"type": "job", "id": None, "name": name}, _("Job %(name)s") % {"name": name}
    if kind == ACTOR_COMMAND:
        name = str(context.get("command", ""))
        return ({"type": "command", "id": None, "name": name},
                _("Command %(name)s") % {"name": name})
    return {"type": "system", "id": None, "name": None}, pgettext("audit", "System")


_ACTIONS = {"insert": "created", "update": "changed", "delete": "deleted"}


def action_label(action: str) -> str:
    return {"created": pgettext("audit", "Created"), "changed": pgettext("audit", "Changed"),
            "deleted": pgettext("audit", "Deleted"), "erased": _("Personal data erased")}[action]


def _changes(source: _Source, action: str, data: dict[str, Any], prev: dict[str, Any] | None,
             members: dict[int, str]) -> tuple[FieldChange, ...]:
    if action == "deleted":
        return ()
    changes = []
    for column, field in source.columns().items():
        if column in _HIDDEN_COLUMNS or column not in data:
            continue
        new = data.get(column)
        if prev is not None and action != "created":
            old = prev.get(column)
            if old == new:
                continue
        else:
            old = None
            # A new row: what was filled in (not its link to this very account, not "no").
            if new is None or new is False or new == "" or new == [] or column == source.column:
                continue
        changes.append(FieldChange(
            field=field.name, label=str(field.verbose_name).capitalize(), old=old, new=new,
            old_display=_display(field, old, members), new_display=_display(field, new, members)))
    return tuple(changes)


def _entry(row: tuple, *, tz: datetime.tzinfo, members: dict[int, str]) -> HistoryEntry:
    kind, _rank, pgh_id, created, label, obj_id, context, data, prev = row
    source = _BY_KIND[kind]
    action = _ACTIONS.get(label, "changed")
    if action == "changed" and (context or {}).get("erasure"):
        action = "erased"
    actor, actor_text = actor_of(context)
    return HistoryEntry(
        event_id=f"{kind}:{pgh_id}", when=created.astimezone(tz), kind=kind,
        kind_label=kind_label(kind), object_id=obj_id,
        object_label=_object_label(kind, data, members), action=action,
        action_label=action_label(action), actor=actor, actor_label=actor_text,
        changes=_changes(source, action, data, prev, members))


# --- data subjects: everything about one contact ------------------------------------------------

# The contact's personal data: cleared on erasure, here and in the audit trail (keep in step with
# kam_audit_erase_contact in accounts/migrations/0006_audit.py).
PERSONAL_FIELDS = ("name", "title", "department", "phone", "email", "wechat_id", "birthday",
                   "birthday_is_lunar", "notes", "external_id")


def require_data_subject(actor: Actor) -> None:
    if not actor.can(Perm.DATA_SUBJECT):
        raise PermissionDenied(_("Only administrators may export or erase a person's data."))


def contact_for_data_subject(*, actor: Actor, contact_id: int) -> Contact:
    """Any contact of the current tenant (administrators see every account).
    Contact.DoesNotExist for anything else, another tenant's contact included."""
    require_data_subject(actor)
    return contact_visible_queryset(actor=actor).get(pk=contact_id)


def erased_name(contact_id: int, language: str) -> str:
    with translation.override(language):
        return _("Erased contact #%(id)d") % {"id": contact_id}


def is_erased(contact: Contact) -> bool:
    return contact.name == erased_name(contact.pk, get_current_tenant().default_language)


def _row(instance: models.Model, *, skip: tuple[str, ...] = ("tenant",)) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname)
            for f in instance._meta.concrete_fields if f.name not in skip}


def contact_export(*, actor: Actor, contact: Contact) -> dict[str, Any]:
    """Everything stored about one contact, ready for ``json.dumps(cls=DjangoJSONEncoder)``."""
    require_data_subject(actor)
    tenant = get_current_tenant()
    event_model = Contact.pgh_event_model  # type: ignore[attr-defined]  # added by pghistory.track
    history = []
    for event in event_model.objects.filter(tenant_id=tenant.pk, pgh_obj_id=contact.pk).order_by(
            "pgh_id"):
        actor_info, _label = actor_of(event.pgh_context)
        history.append({
            "time": event.pgh_created_at,
            "action": {"insert": "created", "update": "changed", "delete": "deleted"}.get(
                event.pgh_label, event.pgh_label),
            "erasure": bool((event.pgh_context or {}).get("erasure")),
            "actor": actor_info,
            "snapshot": {f.attname: getattr(event, f.attname)
                         for f in event._meta.concrete_fields
                         if not f.name.startswith("pgh_") and f.name != "tenant"},
        })
    references: dict[str, list[dict[str, Any]]] = {}
    for rel in Contact._meta.related_objects:
        related = cast("type[models.Model]", rel.related_model)  # a reverse relation's: a model class
        if getattr(related, "pgh_tracked_model", None) is not None:
            continue  # the audit trail: exported above
        manager = getattr(related, "objects", related._default_manager)
        rows = manager.filter(**{rel.field.name: contact})
        references[related._meta.label] = [_row(r) for r in rows]
    return {
        "format": "kam.contact-export/1",
        "exported_at": clock.now(),
        "exported_by": ({"membership_id": actor.membership.pk,
                         "username": actor.membership.user.get_username()}
                        if actor.membership is not None else None),
        "tenant": {"id": tenant.pk, "name": tenant.name},
        "contact": _row(contact),
        # cast: the stubs' plugin leaves a TenantForeignKeyField's descriptor type unresolved.
        "account": {"id": contact.account_id, "name": cast(Account, contact.account).name},
        "history": history,
        "references": references,
    }
