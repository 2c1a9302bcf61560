"""The accounts app's tasks. (Nightly figures and tiering run through kam.tasks.run_tenant_nightly.)"""

from __future__ import annotations

from celery import shared_task

from kam.tenancy import with_tenant


@shared_task(acks_late=True)
@with_tenant
def run_import(*, job_id: int, tenant_id: int) -> None:
    """Run one queued import (accounts.imports.import_run); enqueued on commit by import_start."""
    from accounts.imports import import_run

    import_run(job_id=job_id)
