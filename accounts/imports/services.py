"""Writes of an import job: the permission check, ``import_create`` (check and store an upload as
a new job with a suggested mapping) and ``import_start`` (check and store the mapping, queue the
run after the commit)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.imports.files import (
    _SNIFF_BYTES,
    IMPORT_MAX_BYTES,
    ImportFileError,
    _open_table,
    _sniff,
    _Sniffed,
)
from accounts.imports.models import (
    ImportJob,
    ImportKind,
    ImportMode,
    ImportStatus,
)
from accounts.imports.notifications import IMPORT_FINISHED
from accounts.imports.specs import SPECS, suggest_mapping
from accounts.imports.tasks import IMPORT_TASK
from kam import clock, outbox
from kam.notify import notify
from kam.roles import Actor, Perm
from kam.tenancy import get_current_tenant


def _supported_language(code: str) -> str:
    try:
        return translation.get_supported_language_variant(code) if code else ""
    except LookupError:
        return ""


# --- creating and mapping a job (services) ------------------------------------------------------------


def _require_import(actor: Actor, kind: str) -> None:
    if not actor.can(Perm.ACCOUNT_CREATE) or actor.membership is None:
        raise PermissionDenied(_("Your role does not allow imports."))
    if kind != ImportKind.ACCOUNTS and not actor.can(Perm.ACCOUNT_CHANGE):
        raise PermissionDenied(_("Your role does not allow imports."))


def _read_upload(upload: File) -> tuple[_Sniffed, list[str]]:
    """What the file is and its header row, after checking it is a CSV or xlsx with a header and
    at least one data row (ImportFileError otherwise). Leaves the file at its start."""
    if upload.size is not None and upload.size > IMPORT_MAX_BYTES:
        raise ImportFileError(_("The file is larger than %(mb)d MB.")
                              % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)})
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    sniffed = _sniff(head, whole=len(head) < _SNIFF_BYTES)
    with _open_table(upload, sniffed) as (headers, rows):
        if next(rows, None) is None:
            raise ImportFileError(_("The file has a header row but no data rows."))
    upload.seek(0)
    return sniffed, headers


def import_file_check(*, upload: File) -> None:
    """The checks ``import_create`` makes of the file, storing nothing: ``ImportFileError`` (the
    upload page runs them when another field of the form is wrong, to report both at once)."""
    _read_upload(upload)


@transaction.atomic
def import_create(*, actor: Actor, kind: str, mode: str, upload: File) -> ImportJob:
    """Store an uploaded file as a new job after checking it is a CSV or xlsx with a header and at
    least one data row. ImportFileError (nothing stored) otherwise."""
    _require_import(actor, kind)
    if kind not in SPECS or mode not in ImportMode.values:
        raise ValidationError(_("Choose what to import and how."))
    sniffed, headers = _read_upload(upload)
    job = ImportJob(tenant=get_current_tenant(), kind=kind, mode=mode,
                    original_name=Path(upload.name or "import").name[:255],
                    file_format=sniffed.file_format, columns=headers,
                    mapping=suggest_mapping(kind=kind, columns=headers),
                    created_by=actor.membership)
    job.file.save("upload", upload, save=False)
    job.save()
    return job


def _mapping_errors(job: ImportJob, mapping: dict[str, str | None], mode: str | None
                    ) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The mapping's rules: (target field → column, every error). A value None is "unknown" (a
    page's field that did not parse): not judged."""
    spec = SPECS[job.kind]
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    used: dict[str, str] = {}
    for f in spec.fields:
        if f.name in mapping and mapping[f.name] is None:
            continue
        column = (mapping.get(f.name) or "").strip()
        if not column:
            if f.required:
                errors[f.name] = [_("Choose the column that holds this required field.")]
            continue
        if column not in job.columns:
            errors[f.name] = [_("The file has no such column.")]
        elif column in used:
            errors[f.name] = [_("This column is already used for “%(field)s”.")
                              % {"field": spec.label(used[column])}]
        else:
            used[column] = f.name
            clean[f.name] = column
    if mode is not None and mode not in ImportMode.values:
        errors["mode"] = [_("Choose how failed rows are handled.")]
    return clean, errors


def import_mapping_check(*, actor: Actor, job: ImportJob, mapping: dict[str, str | None],
                         mode: str | None) -> None:
    """The rules of ``import_start`` without storing or queueing anything: ``ValidationError``
    with every error (a value None is unknown, and not judged)."""
    _require_import(actor, job.kind)
    _clean, errors = _mapping_errors(job, mapping, mode)
    if errors:
        raise ValidationError(errors)


def import_start(*, actor: Actor, job: ImportJob, mapping: dict[str, str], mode: str,
                 language: str = "") -> ImportJob:
    """Check and store the mapping, then queue the import (after the commit). ``language``: the
    starter's, which the run's messages and failed-rows file are written in (empty, or one KAM
    does not offer: the tenant's default language)."""
    _require_import(actor, job.kind)
    clean, errors = _mapping_errors(job, dict(mapping), mode)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.UPLOADED).update(
            mapping=clean, mode=mode, status=ImportStatus.MAPPED,
            language=_supported_language(language))
        if not updated:
            raise ValidationError(_("This import has already been started."))
        # Through the outbox: committed while Redis is down, it still starts when Redis is back.
        outbox.send_on_commit(IMPORT_TASK, job_id=job.pk, tenant_id=job.tenant_id)
    job.refresh_from_db()
    return job


_ENDED = (ImportStatus.DONE, ImportStatus.REJECTED, ImportStatus.FAILED)


def import_notify_finished(*, job_id: int) -> bool:
    """Tell the member who started an import that it ended — finished, rejected or failed — in
    their inbox and by email as they chose (kam.notify). Once per job, however often it is called.
    False when there is nothing to tell: not ended yet, nobody to tell, or told before."""
    job = (ImportJob.objects.select_related("created_by")
           .filter(pk=job_id, status__in=_ENDED, created_by__isnull=False).first())
    if job is None or job.created_by is None:
        return False
    event = notify(kind=IMPORT_FINISHED, key=f"accounts.import:{job.pk}",
                   recipients=[job.created_by], occurred_at=job.finished_at or clock.now(),
                   data={"job_id": job.pk, "kind": job.kind, "file": job.original_name,
                         "status": job.status, "created": job.created_count,
                         "updated": job.updated_count, "unchanged": job.unchanged_count,
                         "failed": job.failed_count})
    return event is not None
