"""Nightly figures: a dispatcher enqueues one thin task per active tenant."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from kam.jobs import run_job
from kam.models import Tenant
from kam.tenancy import get_current_tenant, with_tenant

FIGURES_TASK_EXPIRES = 6 * 3600  # a run not started by morning is dropped; tomorrow's replaces it


@shared_task(acks_late=True)
@with_tenant
def recompute_figures(*, tenant_id: int) -> int:
    """Recompute one tenant's account figures as the nightly job "figures" (recorded as a
    kam.JobRun); returns the rows changed."""
    return run_job("figures", get_current_tenant()).changed


@shared_task(acks_late=True)
def dispatch_figures() -> int:
    """Enqueue recompute_figures for every active tenant (Tenant is not tenant-owned)."""
    tenant_ids = list(Tenant.objects.filter(is_active=True).values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        transaction.on_commit(
            lambda tid=tenant_id: recompute_figures.apply_async(
                kwargs={"tenant_id": tid}, expires=FIGURES_TASK_EXPIRES))
    return len(tenant_ids)


@shared_task(acks_late=True)
@with_tenant
def run_import(*, job_id: int, tenant_id: int) -> None:
    """Run one queued import (accounts.imports.import_run); enqueued on commit by import_start."""
    from accounts.imports import import_run

    import_run(job_id=job_id)
