"""Run the nightly jobs now, without beat:
``manage.py run_nightly [--tenant SLUG] [--job NAME] [--as-of YYYY-MM-DD]``."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kam.jobs import job_names, run_jobs
from kam.models import JobOutcome, Tenant


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of takes a date like 2026-06-30, not {value!r}") from exc


class Command(BaseCommand):
    help = "Run the nightly jobs for every active tenant (or one), the same code beat runs."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tenant", help="the tenant's slug (default: every active tenant)")
        parser.add_argument("--job", action="append",
                            help="a job name, may repeat (default: every job, in their order)")
        parser.add_argument("--as-of", type=_day, default=None, metavar="YYYY-MM-DD",
                            help="run as of this day (default: each tenant's today)")

    def handle(self, *args: Any, **options: Any) -> None:
        # Named jobs still run in the registry's order (each after what it reads).
        jobs = [job for job in job_names() if job in options["job"]] if options["job"] else job_names()
        unknown = sorted(set(options["job"] or ()) - set(job_names()))
        if unknown:
            raise CommandError(f"Unknown job(s): {', '.join(unknown)}. Known: {', '.join(job_names())}")
        tenants = Tenant.objects.filter(is_active=True).order_by("slug")
        if options["tenant"]:
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f"No active tenant with slug {options['tenant']!r}.")
        failed = 0
        for tenant in tenants:
            # A job whose prerequisite did not succeed (here, or today when it is not named) is
            # recorded as blocked and not run.
            for job, run in run_jobs(jobs, tenant, as_of=options["as_of"]).items():
                failed += run.outcome in (JobOutcome.FAILED, JobOutcome.BLOCKED)
                self.stdout.write(f"{tenant.slug} {job}: {run.outcome}, examined {run.examined}, "
                                  f"changed {run.changed}" + (f" — {run.error}" if run.error else ""))
        if failed:
            raise CommandError(f"{failed} job run(s) failed")
