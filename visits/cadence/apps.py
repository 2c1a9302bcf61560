"""What visit cadence plugs into the seams (called from ``VisitsConfig.ready``): its nightly job,
the 360° page's cadence section and the account list's "next visit due" column."""

from __future__ import annotations


def cadence_ready() -> None:
    from visits.cadence import jobs  # noqa: F401  (registers the job)
