"""Care's nightly job (kam.jobs): the reminders of the occasions coming up, for account owners."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from care.services import care_reminders_generate
from kam.jobs import JobResult, nightly_job
from kam.models import JobRun


@nightly_job("care_reminders", label=gettext_lazy("Care reminders"))
def care_reminders_job(tenant_id: int, run: JobRun) -> JobResult:
    """Birthdays, festivals and contract anniversaries falling in their lead days from the run's
    day: one INSERT … SELECT … ON CONFLICT DO NOTHING per kind, the owners of the new reminders
    notified once each."""
    result = care_reminders_generate(today=run.as_of)
    return JobResult(examined=result.examined, changed=len(result.created))
