"""Tiering's nightly job (kam.jobs): after the figures, which it reads."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from accounts.tiering.services import tier_changes_notify, tier_recompute
from kam.jobs import JobResult, nightly_job
from kam.models import JobRun


@nightly_job("tiering", after=("figures",), label=gettext_lazy("Tiering"))
def tiering_job(tenant_id: int, run: JobRun) -> JobResult:
    """Scores and tiers: one statement that writes only changed rows and their history; the
    owners of the accounts whose tier changed are notified (in the same transaction)."""
    result = tier_recompute(tenant_id=tenant_id, run=run, today=run.as_of)
    tier_changes_notify(run=run)
    return JobResult(examined=result.examined, changed=result.changed)
