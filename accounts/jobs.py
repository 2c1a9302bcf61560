"""The accounts app's nightly jobs (kam.jobs registry)."""

from __future__ import annotations

from accounts.figures import figures_recompute
from accounts.models import Account
from kam.jobs import JobResult, nightly_job


@nightly_job("figures")
def figures_job(tenant_id: int) -> JobResult:
    """Derived account figures (accounts.figures): one set-based statement, changed rows only."""
    changed = figures_recompute(tenant_id=tenant_id)
    return JobResult(examined=Account.objects.count(), changed=changed)
