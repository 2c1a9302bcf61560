"""Running an import (``import_run``, called by the Celery task and by ``bench_import_file``): the
side connection that writes progress and holds the advisory lock (``_SideConnection``), counting
and streaming the file in batches of ``IMPORT_BATCH_SIZE`` rows through the batcher, the
``all_or_nothing`` and ``valid_only`` passes inside one transaction, and turning the outcome into
the job's final status.
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.imports.batcher import _Batcher
from accounts.imports.files import ImportFileError, _open_job_file
from accounts.imports.models import (
    ImportJob,
    ImportKind,
    ImportMode,
    ImportStatus,
)
from accounts.imports.rows import ImportAbort, _Row
from accounts.imports.services import _require_import, import_create, import_notify_finished
from kam import clock
from kam.models import Membership, Tenant
from kam.roles import Actor
from kam.tenancy import get_current_tenant, tenant_context

# The logger keeps the name it had before the module was split into a package.
logger = logging.getLogger("accounts.imports")

IMPORT_BATCH_SIZE = 2000
_LOCK_NAME = "accounts.import_run"
_CLAIMABLE = (ImportStatus.MAPPED, ImportStatus.VALIDATING, ImportStatus.IMPORTING)


class _Rejected(Exception):
    """all_or_nothing found failed rows: nothing is written, the report is kept."""

    def __init__(self, *, report: str, failed: int, total: int) -> None:
        super().__init__("rejected")
        self.report, self.failed, self.total = report, failed, total


# --- the import itself ------------------------------------------------------------------------------


class _SideConnection:
    """A second connection in autocommit mode: what it writes is visible at once, while the import's
    own transaction stays open. It also holds the session advisory lock of the run."""

    def __init__(self, *, job_id: int, tenant_id: int) -> None:
        self.job_id, self.tenant_id = job_id, tenant_id
        self._db = connections.create_connection(DEFAULT_DB_ALIAS)
        self._healthy = True

    def try_lock(self) -> bool:
        with self._db.cursor() as cursor:
            # Never wait long on the job row: if a caller holds it in an open transaction,
            # progress is skipped rather than deadlocking the import against itself.
            cursor.execute("SET lock_timeout = '2s'")
            cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s), %s)", [_LOCK_NAME, self.job_id])
            return bool(cursor.fetchone()[0])

    def update(self, **fields: Any) -> None:
        if not self._healthy:
            return
        assignments = ", ".join(f"{connection.ops.quote_name(k)} = %s" for k in fields)
        try:
            with self._db.cursor() as cursor:
                cursor.execute(
                    f"UPDATE accounts_importjob SET {assignments} "  # noqa: S608 - names are ours
                    "WHERE id = %s AND tenant_id = %s",
                    [*fields.values(), self.job_id, self.tenant_id])
        except DatabaseError:
            logger.warning("import %s: progress could not be written", self.job_id, exc_info=True)
            self._healthy = False

    def close(self) -> None:
        self._db.close()  # ends the session, which releases the advisory lock


def _count_rows(job: ImportJob, *, collect_ids: bool) -> tuple[int, frozenset[str] | None]:
    """Rows of the file (for the progress bar) and, when parents may be in the file, its ids."""
    total = 0
    ids: set[str] = set()
    ext_index = job.columns.index(job.mapping["external_id"])
    with _open_job_file(job) as (_headers, rows):
        for _number, row in rows:
            total += 1
            if collect_ids and ext_index < len(row) and row[ext_index]:
                ids.add(row[ext_index])
    return total, (frozenset(ids) if collect_ids else None)


def _stream(job: ImportJob, batcher: _Batcher, side: _SideConnection) -> None:
    processed = 0
    batch: list[_Row] = []
    with _open_job_file(job) as (headers, rows):
        if headers != list(job.columns):
            raise ImportFileError(_("The file's columns changed since it was uploaded."))
        for number, raw in rows:
            batch.append(_Row(number=number, raw=raw))
            if len(batch) >= IMPORT_BATCH_SIZE:
                batcher.process(batch)
                processed += len(batch)
                batch = []
                side.update(processed_rows=processed)
        if batch:
            batcher.process(batch)
            processed += len(batch)
            side.update(processed_rows=processed)


def _actor_for(job: ImportJob) -> Actor:
    member = job.created_by
    if member is None or not member.is_active:
        raise ImportAbort(_("The member who started this import is no longer active."))
    actor = Actor(tenant=get_current_tenant(), membership=member)
    try:
        _require_import(actor, job.kind)
    except PermissionDenied as exc:
        raise ImportAbort(str(exc)) from exc
    return actor


def _execute(*, job: ImportJob, side: _SideConnection, now: datetime.datetime) -> dict[str, Any]:
    actor = _actor_for(job)
    collect = job.kind == ImportKind.ACCOUNTS and "parent" in job.mapping
    total, file_ids = _count_rows(job, collect_ids=collect)
    side.update(total_rows=total)

    def batcher(write: bool) -> _Batcher:
        return _Batcher(job=job, actor=actor, write=write, now=now, file_ids=file_ids)

    if job.mode == ImportMode.ALL_OR_NOTHING:
        check = batcher(write=False)
        try:
            _stream(job, check, side)
            if check.report.count:
                raise _Rejected(report=check.report.store(job), failed=check.report.count,
                                total=total)
        finally:
            check.report.close()
        side.update(status=ImportStatus.IMPORTING.value, processed_rows=0)
    else:
        side.update(status=ImportStatus.IMPORTING.value)
    writer = batcher(write=True)
    try:
        _stream(job, writer, side)
        if writer.report.count and job.mode == ImportMode.ALL_OR_NOTHING:
            # Rows turned invalid between the two passes (someone edited meanwhile): roll back.
            raise _Rejected(report=writer.report.store(job), failed=writer.report.count,
                            total=total)
        warning = writer.finish()
        report = writer.report.store(job) if writer.report.count else ""
    finally:
        writer.report.close()
    return {
        "status": ImportStatus.DONE, "total_rows": total, "processed_rows": total,
        "created_count": writer.created, "updated_count": writer.updated,
        "unchanged_count": writer.unchanged, "failed_count": writer.report.count,
        "report": report, "error_message": warning, "finished_at": clock.now(),
    }


def import_run(*, job_id: int) -> None:
    """Run one queued import of the current tenant (the Celery task and the benchmark call this).

    Idempotent: a job that is done, failed or rejected is left alone, and a second delivery of the
    same task while the first still runs does nothing (session advisory lock).
    """
    tenant = get_current_tenant()
    side = _SideConnection(job_id=job_id, tenant_id=tenant.pk)
    try:
        if not side.try_lock():
            logger.info("import %s is already running", job_id)
            return
        now = clock.now()
        claimed = ImportJob.objects.filter(pk=job_id, status__in=_CLAIMABLE).update(
            status=ImportStatus.VALIDATING, started_at=now, finished_at=None, processed_rows=0,
            total_rows=None, created_count=0, updated_count=0, unchanged_count=0, failed_count=0,
            error_message="", report="")
        if not claimed:
            return
        job = ImportJob.objects.select_related("created_by__user").get(pk=job_id)
        jobs = ImportJob.objects.filter(pk=job_id)
        with translation.override(job.language or tenant.default_language):
            try:
                _run_and_record(job=job, jobs=jobs, side=side, now=now)
            finally:  # whatever the outcome, its starter hears of it
                import_notify_finished(job_id=job_id)
    finally:
        side.close()


def _run_and_record(*, job: ImportJob, jobs: QuerySet[ImportJob], side: _SideConnection,
                    now: datetime.datetime) -> None:
    """Run the claimed job and write its final status (done, rejected or failed)."""
    job_id = job.pk
    try:
        with transaction.atomic():
            jobs.update(**_execute(job=job, side=side, now=now))
    except _Rejected as exc:
        jobs.update(status=ImportStatus.REJECTED, total_rows=exc.total,
                    processed_rows=exc.total, failed_count=exc.failed, report=exc.report,
                    error_message=ngettext(
                        "%(n)d row failed, so nothing was imported.",
                        "%(n)d rows failed, so nothing was imported.", exc.failed)
                    % {"n": exc.failed}, finished_at=clock.now())
    except ImportAbort as exc:
        jobs.update(status=ImportStatus.FAILED, error_message=exc.message,
                    finished_at=clock.now())
    except ImportFileError as exc:
        jobs.update(status=ImportStatus.FAILED, error_message=str(exc),
                    finished_at=clock.now())
    except DatabaseError:
        logger.exception("import %s failed", job_id)
        jobs.update(status=ImportStatus.FAILED, finished_at=clock.now(),
                    error_message=_("The import failed because of a database error; "
                                    "nothing was imported. Please try again."))
    except Exception:
        # Anything unexpected: the transaction is rolled back; say so on the page, and
        # let the task fail loudly too.
        jobs.update(status=ImportStatus.FAILED, finished_at=clock.now(),
                    error_message=_("The import failed unexpectedly; nothing was "
                                    "imported."))
        raise


def bench_import_file(*, tenant: Tenant, path: Path, kind: str,
                      mode: str = ImportMode.VALID_ONLY) -> dict[str, Any]:
    """For bench/: import a file from disk as the tenant's first active administrator, with the
    suggested mapping, through import_run (no web layer, no Celery)."""
    with tenant_context(tenant):
        member = Membership.objects.filter(is_active=True, role="admin").order_by("pk").first()
        if member is None:
            raise ImportAbort("the benchmark tenant needs an active administrator")
        actor = Actor(tenant=tenant, membership=member)
        with path.open("rb") as fh:  # streamed from disk, never read whole
            job = import_create(actor=actor, kind=kind, mode=mode, upload=File(fh, name=path.name))
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.MAPPED)
        import_run(job_id=job.pk)
        job.refresh_from_db()
        return {"total": job.total_rows, "status": job.status, "created": job.created_count,
                "updated": job.updated_count, "unchanged": job.unchanged_count,
                "failed": job.failed_count, "error": job.error_message}
