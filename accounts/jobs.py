"""The accounts app's nightly jobs (kam.jobs registry), in the order they run."""

from __future__ import annotations

from accounts.figures import figures_recompute
from accounts.models import Account
from accounts.tiering import tier_recompute
from kam.jobs import JobResult, nightly_job
from kam.models import JobRun


@nightly_job("figures")
def figures_job(tenant_id: int, run: JobRun) -> JobResult:
    """Derived account figures (accounts.figures): one set-based statement, changed rows only."""
    changed = figures_recompute(tenant_id=tenant_id)
    return JobResult(examined=Account.objects.count(), changed=changed)


@nightly_job("tiering")
def tiering_job(tenant_id: int, run: JobRun) -> JobResult:
    """Scores and tiers (accounts.tiering): one statement, after the figures it reads."""
    result = tier_recompute(tenant_id=tenant_id, run=run)
    return JobResult(examined=result.examined, changed=result.changed)
