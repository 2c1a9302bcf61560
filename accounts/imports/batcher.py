"""The batcher of a run (``_Batcher``): cleans each row of a batch field by field, checks the
cross-row rules of its kind with a few set-based queries (external ids, unified social credit
codes, owners and parents of accounts; the referenced accounts, emails and refunds of contacts
and transactions), writes the valid rows with one ``INSERT … ON CONFLICT … DO UPDATE … WHERE …
IS DISTINCT FROM`` per batch, keeps the counts, and after the last batch links parents found later
in the file, refuses cycles and refreshes the figures.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils.translation import gettext as _
from psycopg2.extras import execute_values

from accounts.account.models import Account
from accounts.account.rules import MAX_HIERARCHY_DEPTH, AccountRow, account_rules
from accounts.account.selectors import account_visible_queryset
from accounts.contacts.rules import ContactRow, contact_rules
from accounts.figures.services import figures_recompute_accounts
from accounts.imports.models import ImportJob, ImportKind
from accounts.imports.rows import ImportAbort, _model_cleaner, _ref_cleaner, _Report, _Row
from accounts.imports.specs import SPECS
from accounts.transactions.rules import TxRow, transaction_rules
from kam import clock
from kam.models import Membership
from kam.roles import Actor
from kam.tenancy import get_current_tenant


class _Batcher:
    """Validates (and, when ``write``, upserts) one batch at a time; keeps the counts."""

    def __init__(self, *, job: ImportJob, actor: Actor, write: bool, now: datetime.datetime,
                 file_ids: frozenset[str] | None) -> None:
        self.job, self.actor, self.write, self.now = job, actor, write, now
        self.tenant_id = job.tenant_id
        self.spec = SPECS[job.kind]
        self.model = self.spec.model
        self.mapping: dict[str, str] = dict(job.mapping)
        self.index = {name: job.columns.index(col) for name, col in self.mapping.items()}
        self.file_ids = file_ids
        self.report = _Report(job.columns)
        self.created = self.updated = self.unchanged = 0
        self.seen_ext: dict[str, int] = {}
        self.seen_uscc: dict[str, int] = {}
        self.seen_email: dict[tuple[int, str], int] = {}
        self.deferred_parents: list[tuple[str, str, bool]] = []  # (ext, parent ext, counted changed)
        self.touched_accounts: set[int] = set()
        self.cleaners: dict[str, Callable[[str], Any]] = {}
        for name in self.mapping:
            f = self.spec.field(name)
            if f.ref is not None:
                self.cleaners[name] = _ref_cleaner(required=f.required, lower=f.ref == "owner")
            elif name == "external_id":
                self.cleaners[name] = self._external_id_cleaner(self.model._meta.get_field(name))
            else:
                self.cleaners[name] = _model_cleaner(self.model._meta.get_field(name),
                                                     required=f.required)
        self.members: dict[str, int] = {}
        if job.kind == ImportKind.ACCOUNTS and "owner" in self.mapping:
            self.members = self._member_lookup()
        self._sql, self._template, self._columns = self._upsert_statement()

    # field level

    @staticmethod
    def _external_id_cleaner(model_field: models.Field) -> Callable[[str], str]:
        def clean(raw: str) -> str:
            if not raw:
                raise ValidationError(_("An external ID is required for bulk upsert."))
            return model_field.clean(raw, None)

        return clean

    def _member_lookup(self) -> dict[str, int]:
        lookup: dict[str, int] = {}
        emails: dict[str, list[int]] = {}
        for pk, username, email in Membership.objects.filter(is_active=True).values_list(
                "pk", "user__username", "user__email"):
            lookup[username.lower()] = pk
            if email:
                emails.setdefault(email.lower(), []).append(pk)
        for email, pks in emails.items():
            if len(pks) == 1:  # an address shared by two users names nobody
                lookup.setdefault(email, pks[0])
        return lookup

    def _label(self, name: str) -> str:
        return self.mapping.get(name, name)

    def _clean_fields(self, row: _Row) -> None:
        for name, idx in self.index.items():
            raw = row.raw[idx] if idx < len(row.raw) else ""
            try:
                row.values[name] = self.cleaners[name](raw)
            except ValidationError as exc:
                row.errors[name] = [str(m) for m in exc.messages]

    # batch level

    def process(self, rows: list[_Row]) -> None:
        for row in rows:
            self._clean_fields(row)
        self._check_external_ids(rows)
        getattr(self, f"_check_{self.job.kind}")(rows)
        valid = [r for r in rows if not r.errors]
        for row in rows:
            if row.errors:
                self.report.add(row.raw, {self._label(name): msgs
                                          for name, msgs in row.errors.items()})
        if self.write and valid:
            self._upsert(valid)

    def _check_external_ids(self, rows: list[_Row]) -> None:
        for row in rows:
            ext = row.values.get("external_id")
            if not ext or "external_id" in row.errors:
                continue
            first = self.seen_ext.setdefault(ext, row.number)
            if first != row.number:
                row.fail("external_id", _("Duplicate external ID in this file (also in row "
                                          "%(row)d).") % {"row": first})

    def _visible_accounts(self, exts: set[str]) -> dict[str, int]:
        if not exts:
            return {}
        return dict(account_visible_queryset(actor=self.actor).filter(
            external_id__in=exts).values_list("external_id", "pk"))

    def _check_accounts(self, rows: list[_Row]) -> None:
        # References by name → ids: the owner by username or email, the parent by external id
        # (in the tenant, or later in this file).
        if "owner" in self.mapping:
            for row in rows:
                key = row.values.get("owner")
                if key is None or "owner" in row.errors:
                    continue
                owner_id = self.members.get(key) if key else None
                if key and owner_id is None:
                    row.fail("owner", _("The owner must be one of your company's active members."))
                else:
                    row.values["owner"] = owner_id
        if "parent" in self.mapping:
            wanted = {r.values.get("parent") for r in rows} - {None, ""}
            parents = dict(Account.objects.filter(external_id__in=wanted)
                           .values_list("external_id", "pk")) if wanted else {}
            for row in rows:
                parent_ext = row.values.get("parent")
                if parent_ext is None or "parent" in row.errors:
                    continue
                row.values["parent_deferred"] = None
                if not parent_ext:
                    row.values["parent"] = None
                elif parent_ext == row.values.get("external_id"):
                    row.fail("parent", _("This parent would create a cycle in the group hierarchy."))
                elif parent_ext in parents:
                    row.values["parent"] = parents[parent_ext]
                elif self.file_ids is not None and parent_ext in self.file_ids:
                    # Later in the file: linked once every row is in (see finish()).
                    row.values["parent"] = None
                    row.values["parent_deferred"] = parent_ext
                else:
                    row.fail("parent", _("The parent account does not exist."))
        uscc_mapped = "unified_social_credit_code" in self.mapping
        if uscc_mapped:  # twice in this file
            for row in rows:
                code = row.values.get("unified_social_credit_code")
                if code and "unified_social_credit_code" not in row.errors and self.seen_uscc.setdefault(
                        code, row.number) != row.number:
                    row.fail("unified_social_credit_code",
                             _("Another account already has this unified social credit code."))
        # The account's rules (accounts.account.rules), the same as the pages' and the API's.
        owner_mapped, parent_mapped = "owner" in self.mapping, "parent" in self.mapping
        judged = {"external_id", "owner", "parent", "unified_social_credit_code"}
        pending = [r for r in rows if not judged & set(r.errors)]
        checked = account_rules(actor=self.actor, rows=[AccountRow(
            external_id=r.values.get("external_id") or "", upsert=True,
            uscc=r.values.get("unified_social_credit_code") if uscc_mapped else None,
            owner_id=r.values.get("owner") if owner_mapped else None, owner_given=owner_mapped,
            parent_id=r.values.get("parent") if parent_mapped else None,
            parent_given=parent_mapped and bool(r.values.get("parent"))) for r in pending])
        for row, errors in zip(pending, checked.errors, strict=True):
            for name, messages in errors.items():
                for message in messages:
                    row.fail(name, message)

    def _check_account_refs(self, rows: list[_Row]) -> dict[str, int]:
        wanted = {r.values.get("account") for r in rows} - {None, ""}
        accounts = self._visible_accounts(wanted)
        for row in rows:
            ext = row.values.get("account")
            if not ext or "account" in row.errors:
                continue
            if ext in accounts:
                row.values["account"] = accounts[ext]
            else:
                # Another tenant's account and one the importer may not see read the same.
                row.fail("account", _("The account does not exist."))
        return accounts

    def _check_contacts(self, rows: list[_Row]) -> None:
        self._check_account_refs(rows)
        email_mapped = "email" in self.mapping
        if email_mapped:  # twice for one account in this file
            for row in rows:
                if row.values.get("email") and not row.errors and self.seen_email.setdefault(
                        (row.values["account"], row.values["email"].lower()),
                        row.number) != row.number:
                    row.fail("email", _("Another contact of this account already has this email "
                                        "address."))
        # The contact's rules (accounts.contacts.rules), the same as the pages' and the API's.
        pending = [r for r in rows if not {"account", "email", "external_id"} & set(r.errors)]
        checked = contact_rules(actor=self.actor, rows=[ContactRow(
            account_id=r.values.get("account"), external_id=r.values.get("external_id") or "",
            email=(r.values.get("email") or "") if email_mapped else "", upsert=True)
            for r in pending])
        for row, errors in zip(pending, checked, strict=True):
            for name, messages in errors.items():
                for message in messages:
                    row.fail(name, message)

    def _check_transactions(self, rows: list[_Row]) -> None:
        self._check_account_refs(rows)
        # The transaction's rules (accounts.transactions.rules), the same as the API's.
        pending = [r for r in rows if "account" not in r.errors and "amount" not in r.errors
                   and "external_id" not in r.errors]
        checked = transaction_rules(actor=self.actor, rows=[
            TxRow(account_id=r.values.get("account"), amount=r.values.get("amount"),
                  external_id=r.values.get("external_id") or "", upsert=True) for r in pending])
        for row, errors in zip(pending, checked.errors, strict=True):
            for field, messages in errors.items():
                for message in messages:
                    row.fail(field, message)
        # The figures of accounts a row moves a transaction away from are refreshed too.
        for row in pending:
            if not row.errors and row.values.get("external_id") in checked.stored_accounts:
                self.touched_accounts.add(checked.stored_accounts[row.values["external_id"]])

    # writing

    def _upsert_statement(self) -> tuple[str, str, list[tuple[str, str | None, Any]]]:
        """The INSERT … ON CONFLICT of this job: every column on insert, the mapped ones on update.

        Returns the SQL, the row template and the columns as (column, mapped field or None,
        default) in insert order.
        """
        qn = connection.ops.quote_name
        columns: list[tuple[str, str | None, Any]] = []
        owner_default = self.actor.membership.pk if self.actor.membership else None
        for f in self.model._meta.concrete_fields:
            if f.primary_key or f.name in ("tenant", "created_at", "updated_at"):
                continue
            if f.name in self.mapping:
                default = None
            elif f.name == "owner":
                default = owner_default  # as account_create: the importer owns new accounts
            elif f.has_default():
                default = f.get_default()
            else:
                default = None if f.null else ""
            columns.append((f.column, f.name if f.name in self.mapping else None, default))
        names = ["tenant_id", *(c for c, _f, _d in columns), "created_at", "updated_at"]
        updates = [c for c, mapped, _d in columns if mapped is not None and mapped != "external_id"]
        table = qn(self.model._meta.db_table)
        # Every identifier comes from the model's metadata, none from the file.
        head = (f"INSERT INTO {table} AS t ({', '.join(qn(n) for n in names)}) VALUES %s "  # noqa: S608
                "ON CONFLICT (tenant_id, external_id) WHERE external_id <> '' ")
        if updates:
            sets = ", ".join(f"{qn(c)} = EXCLUDED.{qn(c)}" for c in updates)
            old = ", ".join(f"t.{qn(c)}" for c in updates)
            new = ", ".join(f"EXCLUDED.{qn(c)}" for c in updates)
            tail = (f"DO UPDATE SET {sets}, updated_at = EXCLUDED.updated_at "
                    f"WHERE ({old}) IS DISTINCT FROM ({new}) ")
        else:
            tail = "DO NOTHING "
        sql = head + tail + "RETURNING (xmax = 0) AS inserted, t.external_id"
        template = "(" + ", ".join(["%s"] * len(names)) + ")"
        return sql, template, columns

    def _upsert(self, rows: list[_Row]) -> None:
        values = []
        for row in rows:
            cells: list[Any] = [self.tenant_id]
            for _column, mapped, default in self._columns:
                cells.append(row.values[mapped] if mapped is not None else default)
            cells += [self.now, self.now]
            values.append(tuple(cells))
            if "account" in row.values and self.job.kind == ImportKind.TRANSACTIONS:
                self.touched_accounts.add(row.values["account"])
        with connection.cursor() as cursor:
            returned = execute_values(cursor.cursor, self._sql, values, template=self._template,
                                      page_size=len(values), fetch=True)
        created = sum(1 for inserted, _ext in returned if inserted)
        self.created += created
        self.updated += len(returned) - created
        self.unchanged += len(rows) - len(returned)
        deferred = [r for r in rows if r.values.get("parent_deferred")]
        if deferred:
            changed = {ext for _inserted, ext in returned}
            self.deferred_parents += [(r.values["external_id"], r.values["parent_deferred"],
                                       r.values["external_id"] in changed) for r in deferred]

    def finish(self) -> str:
        """After the last batch: link parents found later in the file, refuse cycles, refresh
        figures. Returns a warning for the job (or "")."""
        warning = ""
        if self.deferred_parents:
            warning = self._link_deferred_parents()
        if self.job.kind == ImportKind.ACCOUNTS and "parent" in self.mapping:
            self._refuse_cycles()
        if self.touched_accounts:
            tenant = get_current_tenant()
            figures_recompute_accounts(tenant_id=tenant.pk, account_ids=sorted(self.touched_accounts),
                                       today=clock.today(tenant))
        return warning

    def _link_deferred_parents(self) -> str:
        pairs = [(ext, parent, self.now) for ext, parent, _c in self.deferred_parents]
        with connection.cursor() as cursor:
            linked = execute_values(cursor.cursor, f"""
                UPDATE accounts_account AS a SET parent_id = p.id, updated_at = d.now
                  FROM (VALUES %s) AS d(ext, parent_ext, now)
                  JOIN accounts_account p ON p.tenant_id = {int(self.tenant_id)}
                                         AND p.external_id = d.parent_ext
                 WHERE a.tenant_id = {int(self.tenant_id)} AND a.external_id = d.ext
                   AND a.parent_id IS DISTINCT FROM p.id
                RETURNING a.external_id
            """, pairs, template="(%s, %s, %s::timestamptz)", page_size=len(pairs), fetch=True)  # noqa: S608
            linked_exts = {ext for (ext,) in linked}
            cursor.execute(
                "SELECT a.external_id FROM accounts_account a WHERE a.tenant_id = %s "
                "AND a.parent_id IS NOT NULL AND a.external_id = ANY(%s)",
                [self.tenant_id, [ext for ext, _p, _c in self.deferred_parents]])
            found = {ext for (ext,) in cursor.fetchall()}
        for ext, _parent, counted_changed in self.deferred_parents:
            if ext in linked_exts and not counted_changed:
                self.unchanged -= 1
                self.updated += 1
        missing = len({ext for ext, _p, _c in self.deferred_parents} - found)
        if missing:
            return _("%(n)d accounts were imported without their parent account, because the "
                     "parent's own row failed.") % {"n": missing}
        return ""

    def _refuse_cycles(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("""
                WITH RECURSIVE walk(start_id, id, depth) AS (
                    SELECT a.id, a.parent_id, 1 FROM accounts_account a
                     WHERE a.tenant_id = %(tenant)s AND a.parent_id IS NOT NULL
                       AND a.updated_at = %(now)s
                    UNION ALL
                    SELECT w.start_id, p.parent_id, w.depth + 1
                      FROM walk w JOIN accounts_account p ON p.id = w.id
                     WHERE p.tenant_id = %(tenant)s AND p.parent_id IS NOT NULL
                       AND w.id <> w.start_id AND w.depth < %(depth)s
                )
                SELECT DISTINCT a.external_id FROM walk w JOIN accounts_account a ON a.id = w.start_id
                 WHERE w.id = w.start_id ORDER BY 1 LIMIT 5
            """, {"tenant": self.tenant_id, "now": self.now, "depth": MAX_HIERARCHY_DEPTH})
            cyclic = [ext for (ext,) in cursor.fetchall()]
        if cyclic:
            raise ImportAbort(_("The parent accounts in this file form a cycle (external IDs: "
                                "%(ids)s); nothing was imported.") % {"ids": ", ".join(cyclic)})
