"""Visit cadence's nightly job (kam.jobs): after tiering, whose tiers it reads, so a tier or
standard change moves the next due dates the same night."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from kam.jobs import JobResult, nightly_job
from kam.models import JobRun
from visits.cadence.services import cadence_recompute


@nightly_job("cadence", after=("tiering",), label=gettext_lazy("Visit cadence"))
def cadence_job(tenant_id: int, run: JobRun) -> JobResult:
    """Every account's cadence at each level as of the run's day: one statement, changed rows
    only."""
    result = cadence_recompute(tenant_id=tenant_id, as_of=run.as_of)
    return JobResult(examined=result.examined, changed=result.changed)
