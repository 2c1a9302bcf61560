"""The nightly jobs' runs, for tenant administrators (kam.jobs, kam.tasks): per job its last run and
last success, then every run, newest first, keyset-paginated and filterable by job."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kam.decorators import tenant_page
from kam.jobs import job_label, job_names
from kam.lists import page_of
from kam.models import JobOutcome, JobRun
from kam.roles import Perm
from kam.tasks import NIGHTLY_LOCAL_TIME

PAGE_SIZE = 25
ORDER = ("-started_at", "-id")
def duration_text(started: datetime.datetime | None, finished: datetime.datetime | None) -> str:
    """"4.2 s", "3 min 07 s", "1 h 05 min"; "—" while the run has not finished."""
    if started is None or finished is None:
        return "—"
    seconds = max((finished - started).total_seconds(), 0.0)
    if seconds < 60:
        return _("%(seconds).1f s") % {"seconds": seconds}
    whole = int(seconds)
    if whole < 3600:
        return _("%(minutes)d min %(seconds)02d s") % {"minutes": whole // 60,
                                                       "seconds": whole % 60}
    return _("%(hours)d h %(minutes)02d min") % {"hours": whole // 3600,
                                                 "minutes": whole % 3600 // 60}


@dataclass
class JobSummary:
    name: str
    label: str
    last: JobRun | None
    last_success: datetime.datetime | None


def job_summaries(names: list[str]) -> list[JobSummary]:
    """The current tenant's last run and last success of each job: two queries (DISTINCT ON)."""
    latest = {run.job: run for run in JobRun.objects.filter(job__in=names)
              .order_by("job", *ORDER).distinct("job")}
    succeeded = dict(JobRun.objects.filter(job__in=names, outcome=JobOutcome.SUCCEEDED)
                     .order_by("job", *ORDER).distinct("job").values_list("job", "finished_at"))
    summaries = []
    for name in names:
        run = latest.get(name)
        if run is not None:
            run.duration = duration_text(run.started_at, run.finished_at)
        summaries.append(JobSummary(name=name, label=job_label(name), last=run,
                                    last_success=succeeded.get(name)))
    return summaries


def job_run_queryset(job: str | None) -> QuerySet[JobRun]:
    qs = JobRun.objects.all()
    return qs.filter(job=job) if job else qs


@require_GET
@tenant_page(Perm.SETTINGS_MANAGE)
def job_runs(request: HttpRequest) -> HttpResponse:
    names = job_names()
    job = request.GET.get("job", "").strip()
    context = {
        "jobs": [(name, job_label(name)) for name in names],
        "selected_job": job,
        "nightly_time": NIGHTLY_LOCAL_TIME,
    }
    if job and job not in names:
        context["job_error"] = _("Unknown job “%(job)s”. Choose one of: %(jobs)s.") % {
            "job": job, "jobs": ", ".join(names)}
        context["selected_job"] = ""
        return render(request, "kam/job_runs.html", context, status=400)
    context["summaries"] = job_summaries(names)
    qs = job_run_queryset(job or None)
    page = page_of(request, qs, order=ORDER, size=PAGE_SIZE)
    for run in page.items:
        run.duration = duration_text(run.started_at, run.finished_at)
        run.label = job_label(run.job)
    query = request.GET.copy()
    query.pop("cursor", None)
    context.update(page=page, base_query=query.urlencode())
    return render(request, "kam/job_runs.html", context)
