"""The set-based SQL of visit cadence: one statement computes, for every account of a tenant (or
one account) and each level, where it stands against its tier's service standard, and writes only
the ``visits_cadencestatus`` rows that change.

The rule (README, architecture: visit cadence), for the day ``as_of`` in the company's zone:

- **Required visits per year** ``n``: the account's tier's ``ServiceStandard`` at the level
  (a tier without a stored row: the built-in defaults); no tier yet counts as 0.
- **Interval**: 12 ÷ n calendar months when n divides 12 (12: monthly, 4: quarterly, 2: every six
  months, 1: yearly — month ends clamp, 31 Jan + 1 month = 28/29 Feb), else 365 ÷ n days rounded
  down (5: every 73 days, 24: every 15 days).
- **Last visit**: the day (company's zone) of the latest *completed* visit at the level started
  on or before ``as_of``. Planned, missed and cancelled visits never count.
- **Next due** = the last visit + the interval; with no completed visit at that level ever, the
  day the account got its current tier (its latest tier change) + the interval, or, without any
  recorded tier change, the day the account was created + the interval. A tier or standard
  change therefore moves the next due date with the next run: a promotion shortens the interval
  from the same last visit (and may make the account overdue at once: it is owed more now).
- **State**, the first that applies: ``inactive`` (lifecycle prospect or churned), ``not_required``
  (n = 0; no next due date), ``no_owner`` (no owner, or the owner's membership is deactivated),
  ``overdue`` (next due before ``as_of``), ``due_soon`` (next due within the company's
  ``cadence_due_soon_days``, default 7, of ``as_of``), else ``on_track``. Inactive and ownerless
  accounts keep their dates: they are listed as such, never skipped.
- **Compliance** over the rolling 12 months ending ``as_of`` — starting no earlier than the day
  the account got its current tier (a tier is judged only for the time it has held): completed
  visits in the window ÷ visits required in it (n × the window's days ÷ 365, rounded down, at
  most n), as a whole percentage capped at 100; none while nothing was required yet.
- **Contacts**: the account's active contacts at the level (none is a gap; so is no completed
  visit at the level in the 12 months while visits are required).
"""

from __future__ import annotations

import datetime
from typing import Any

from accounts.standards.models import DEFAULT_STANDARDS
from visits.cadence.models import INACTIVE_LIFECYCLES, LEVELS

# The columns the statement writes besides the keys; a row is written only when one of them
# changes, so a second run the same day writes nothing.
VALUE_COLUMNS: tuple[str, ...] = (
    "tier", "required_per_year", "last_visit_on", "next_due_on", "state", "completed_12m",
    "required_12m", "compliance_pct", "contact_count",
)


def _defaults_sql() -> str:
    # The built-in standards as rows (tier, level, n): a tier without a stored standard row
    # (a company made outside tenant_create) is owed what the standards page shows for it.
    rows = [f"('{tier}', '{level}', {values[f'{level}_visits_per_year']:d})"
            for tier, values in DEFAULT_STANDARDS.items() for level in LEVELS]
    return "VALUES " + ", ".join(rows)


STANDARD_SQL = """
    SELECT d.tier, d.level, COALESCE(CASE d.level {cases} END, d.n) AS n
      FROM ({defaults}) AS d (tier, level, n)
      LEFT JOIN accounts_servicestandard s ON s.tenant_id = %(tenant)s AND s.tier = d.tier"""


def _standard_sql() -> str:
    # The stored standards unpivoted to (tier, level, n), over the defaults. Only the code's own
    # constants (levels, default numbers) are written into the statement.
    cases = " ".join(f"WHEN '{level}' THEN s.{level}_visits_per_year" for level in LEVELS)
    return STANDARD_SQL.format(cases=cases, defaults=_defaults_sql())


COMPUTE_SQL = """
WITH acc AS MATERIALIZED (
    SELECT a.id AS account_id, a.tenant_id, COALESCE(t.tier, '') AS tier,
           a.lifecycle_status IN %(inactive)s AS inactive,
           m.id IS NULL AS no_owner,
           COALESCE((SELECT (max(c.changed_at) AT TIME ZONE %(tz)s)::date
                       FROM accounts_tierchange c
                      WHERE c.tenant_id = a.tenant_id AND c.account_id = a.id
                        AND c.changed_at < %(until)s),
                    (a.created_at AT TIME ZONE %(tz)s)::date) AS tier_since
      FROM accounts_account a
      LEFT JOIN accounts_accounttier t ON t.tenant_id = a.tenant_id AND t.account_id = a.id
      LEFT JOIN kam_membership m ON m.tenant_id = a.tenant_id AND m.id = a.owner_id
                                AND m.is_active
     WHERE a.tenant_id = %(tenant)s {account_filter}
),
std AS ({standard}),
done AS (
    -- Completed visits up to the end of as_of, by local day (visit_completed_idx).
    SELECT v.account_id, v.level, (v.planned_start AT TIME ZONE %(tz)s)::date AS day
      FROM visits_visit v
     WHERE v.tenant_id = %(tenant)s AND v.status = 'completed' AND v.planned_start < %(until)s
           {visit_filter}
),
seen AS (
    SELECT acc.account_id, done.level, max(done.day) AS last_visit_on,
           count(*) FILTER (WHERE done.day >= GREATEST(%(year_start)s, acc.tier_since))
               AS completed_12m
      FROM acc JOIN done ON done.account_id = acc.account_id
     GROUP BY acc.account_id, done.level
),
people AS (
    SELECT c.account_id, c.level, count(*) AS contact_count
      FROM accounts_contact c
     WHERE c.tenant_id = %(tenant)s AND c.is_active {contact_filter}
     GROUP BY c.account_id, c.level
),
base AS (
    SELECT acc.*, lv.level, COALESCE(std.n, 0) AS n, seen.last_visit_on,
           COALESCE(seen.completed_12m, 0) AS completed_12m,
           COALESCE(people.contact_count, 0) AS contact_count,
           %(as_of)s - GREATEST(%(year_start)s, acc.tier_since) + 1 AS window_days
      FROM acc
     CROSS JOIN unnest(%(levels)s::text[]) AS lv (level)
      LEFT JOIN std ON std.tier = acc.tier AND std.level = lv.level
      LEFT JOIN seen ON seen.account_id = acc.account_id AND seen.level = lv.level
      LEFT JOIN people ON people.account_id = acc.account_id AND people.level = lv.level
),
due AS (
    SELECT base.*,
           CASE WHEN n = 0 THEN NULL
                WHEN 12 %% n = 0 THEN (COALESCE(last_visit_on, tier_since)
                                       + make_interval(months => 12 / n))::date
                ELSE COALESCE(last_visit_on, tier_since) + 365 / n END AS next_due_on,
           LEAST(n, GREATEST(0, n * window_days / 365)) AS required_12m
      FROM base
)
SELECT %(tenant)s AS tenant_id, account_id, level, tier, n AS required_per_year, last_visit_on,
       next_due_on,
       CASE WHEN inactive THEN 'inactive'
            WHEN n = 0 THEN 'not_required'
            WHEN no_owner THEN 'no_owner'
            WHEN next_due_on < %(as_of)s THEN 'overdue'
            WHEN next_due_on <= %(due_soon_until)s THEN 'due_soon'
            ELSE 'on_track' END AS state,
       completed_12m, required_12m,
       CASE WHEN required_12m > 0
            THEN LEAST(100, round(100.0 * completed_12m / required_12m))::int END
           AS compliance_pct,
       contact_count
  FROM due"""


UPSERT_SQL = """
INSERT INTO visits_cadencestatus (tenant_id, account_id, level, {columns})
SELECT tenant_id, account_id, level, {columns} FROM ({compute}) AS computed
ON CONFLICT (tenant_id, account_id, level) DO UPDATE SET {updates}
 WHERE ({current}) IS DISTINCT FROM ({excluded})"""


def year_start(as_of: datetime.date) -> datetime.date:
    """The first day of the 12 months ending ``as_of`` (16 Jun 2025 for 15 Jun 2026; a leap
    day's year-ago is 28 February)."""
    try:
        return as_of.replace(year=as_of.year - 1) + datetime.timedelta(days=1)
    except ValueError:  # 29 February
        return as_of.replace(year=as_of.year - 1, day=28) + datetime.timedelta(days=1)


def cadence_sql(*, account: bool = False) -> str:
    """The compute ``SELECT`` (every account of the tenant, or with ``account``, one)."""
    return COMPUTE_SQL.format(
        standard=_standard_sql(),
        account_filter="AND a.id = %(account)s" if account else "",
        visit_filter="AND v.account_id = %(account)s" if account else "",
        contact_filter="AND c.account_id = %(account)s" if account else "")


def upsert_sql(*, account: bool = False) -> str:
    """The statement that writes the changed rows (``cadence_sql`` inside)."""
    columns = ", ".join(VALUE_COLUMNS)
    return UPSERT_SQL.format(
        columns=columns, compute=cadence_sql(account=account),
        updates=", ".join(f"{c} = EXCLUDED.{c}" for c in VALUE_COLUMNS),
        current=", ".join(f"visits_cadencestatus.{c}" for c in VALUE_COLUMNS),
        excluded=", ".join(f"EXCLUDED.{c}" for c in VALUE_COLUMNS))


def cadence_params(*, tenant_id: int, time_zone: str, as_of: datetime.date, due_soon_days: int,
                   until: datetime.datetime, account_id: int | None = None) -> dict[str, Any]:
    """The statement's parameters. ``until``: the first instant after ``as_of`` in the
    company's zone (visits started before it are on or before ``as_of``)."""
    return {"tenant": tenant_id, "tz": time_zone, "as_of": as_of, "until": until,
            "year_start": year_start(as_of),
            "due_soon_until": as_of + datetime.timedelta(days=due_soon_days),
            "inactive": tuple(INACTIVE_LIFECYCLES), "levels": list(LEVELS),
            "account": account_id}
