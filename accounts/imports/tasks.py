"""The import's Celery task: thin — the tenant, one service call."""

from __future__ import annotations

from celery import shared_task

from kam.tenancy import with_tenant

# The name it had before the app was split into packages: messages queued by an older
# deployment still find it. Sent through kam.outbox (accounts.imports.services.import_start).
IMPORT_TASK = "accounts.tasks.run_import"


@shared_task(name=IMPORT_TASK, acks_late=True)
@with_tenant
def run_import(*, job_id: int, tenant_id: int) -> None:
    """Run one queued import (accounts.imports.run.import_run); enqueued on commit by
    import_start."""
    from accounts.imports.run import import_run
    from kam import outbox

    outbox.started(IMPORT_TASK, job_id=job_id, tenant_id=tenant_id)
    import_run(job_id=job_id)
