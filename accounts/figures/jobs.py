"""The figures' nightly job (kam.jobs): first of the night, the others read what it computes."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from accounts.account.models import Account
from accounts.figures.services import figures_recompute
from kam.jobs import JobResult, nightly_job
from kam.models import JobRun


@nightly_job("figures", label=gettext_lazy("Account figures"))
def figures_job(tenant_id: int, run: JobRun) -> JobResult:
    """Derived account figures: one set-based statement, changed rows only, for the run's day."""
    changed = figures_recompute(tenant_id=tenant_id, today=run.as_of)
    return JobResult(examined=Account.objects.count(), changed=changed)
