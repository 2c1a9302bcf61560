"""Reads of import jobs: those an actor may see (all of the tenant's for administrators, one's own
otherwise), one of them, and a sample of its failed rows from the stored report."""

from __future__ import annotations

import csv
import io

from django.db.models import QuerySet

from accounts.imports.models import ImportJob, ImportStatus
from kam.roles import Actor, Perm


def import_visible_queryset(*, actor: Actor) -> QuerySet[ImportJob]:
    """Imports an actor may see: all of the tenant's for administrators, one's own otherwise."""
    qs = ImportJob.objects.all()
    if not actor.can(Perm.ACCOUNT_VIEW_ALL):
        if actor.membership is None:
            return qs.none()
        qs = qs.filter(created_by_id=actor.membership.pk)
    return qs


def import_get(*, actor: Actor, job_id: int) -> ImportJob:
    return import_visible_queryset(actor=actor).select_related("created_by__user").get(pk=job_id)


def import_failed_sample(*, job: ImportJob, n: int = 20) -> list[tuple[str, str]]:
    """(first cells, errors) of the first failed rows, read from the stored report."""
    if not job.report:
        return []
    out: list[tuple[str, str]] = []
    with job.report.storage.open(job.report.name, "rb") as fh:
        text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        header = next(reader, [])
        ext_col = job.mapping.get("external_id")
        ext_index = header.index(ext_col) if ext_col in header else 0
        for row in reader:
            out.append((row[ext_index] if ext_index < len(row) else "", row[-1] if row else ""))
            if len(out) >= n:
                break
        text.detach()
    return out


def import_waiting_for_queue(*, job: ImportJob) -> bool:
    """Whether a queued import's start is still waiting for the job queue (the broker refused it;
    kam.outbox sends it when the broker is back)."""
    from accounts.imports.tasks import IMPORT_TASK
    from kam import outbox

    return job.status == ImportStatus.MAPPED and outbox.pending(IMPORT_TASK, job_id=job.pk,
                                                                tenant_id=job.tenant_id)
