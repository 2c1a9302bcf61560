"""The import's Celery task: thin — the tenant, one service call."""

from __future__ import annotations

from celery import shared_task

from kam.tenancy import with_tenant


# The name it had before the app was split into packages: messages queued by an older
# deployment still find it.
@shared_task(name="accounts.tasks.run_import", acks_late=True)
@with_tenant
def run_import(*, job_id: int, tenant_id: int) -> None:
    """Run one queued import (accounts.imports.run.import_run); enqueued on commit by
    import_start."""
    from accounts.imports.run import import_run

    import_run(job_id=job_id)
