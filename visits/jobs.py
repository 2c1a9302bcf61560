"""The visits app's nightly jobs (kam.jobs), each set-based and idempotent for the day
``run.as_of``: planned visits without a report become missed after the company's grace period,
and open follow-ups past their due date are marked overdue and, later, escalated. The work and
its SQL are in the services (visits.visit.services, visits.followups.services)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from kam import clock
from kam.jobs import JobResult, nightly_job
from kam.models import JobRun
from visits.followups.services import follow_ups_mark_overdue
from visits.visit.services import visits_mark_missed


@nightly_job("visits_missed", label=gettext_lazy("Missed visits"))
def visits_missed_job(tenant_id: int, run: JobRun) -> JobResult:
    """Planned visits whose day is more than the grace period's working days ago become missed;
    their owners are told."""
    examined, changed = visits_mark_missed(today=run.as_of, now=clock.now())
    return JobResult(examined=examined, changed=changed)


@nightly_job("follow_ups_overdue", label=gettext_lazy("Overdue follow-ups"))
def follow_ups_overdue_job(tenant_id: int, run: JobRun) -> JobResult:
    """Open follow-ups past their due date are marked overdue (their owners told), those still
    open the escalation's working days later escalated (the executives told)."""
    examined, changed = follow_ups_mark_overdue(today=run.as_of, now=clock.now())
    return JobResult(examined=examined, changed=changed)
