"""Issue 13's bench data, shared by bench/visits_jobs.py and bench/my_day.py (one state dir,
default ``.kam/bench13``): ``visits-NNNN`` companies, each made like every company
(``tenant_create``: standards, tier policy) with four members — ``visits-NNNN.admin``,
``.exec`` (executive), ``.m1`` and ``.m2`` (account managers owning 500 accounts each: odd and
even accounts) — and, per company, set-based (one statement per table for a chunk of companies,
as the owner with row-level security not forced and the audit triggers off inside the fill's
transaction, like bench/tiering.py; deterministic: no random(); where a spread must look random
— birthdays, contract dates — an md5 of the row's id):

* 1,000 accounts (one in 20 a prospect, one in 23 churned), a tier each (strategic, key,
  important, general in turn) and, for half the accounts (both managers'), a tier change 0–399
  days ago (a few in the last week: my day's tier changes);
* 2 contacts per account at levels in turn, with birthdays (care_reminders' work): 70 %
  solar, spread evenly over the days of the year (born 1960–1999), 20 % lunar (the stored
  date's month and day are the lunar month and day, as the contact form stores them, in a leap
  year so that 2/29 can be stored; lunar day 30 of month 2 stored as day 29; none in a leap
  month), 10 % without one; 5 % of all contacts opted out of care (``care_opt_out``). An even
  spread puts ~1.1 % of the birthdays in the default 3-day lead window (4 days of ~365): about
  20 reminders per company a night;
* the accounts' language left empty, the companies' default language Chinese (``tenant_create``'s
  zh-hans): every account is greeted on the Chinese festivals, none on the company's own list
  (New Year's Day, Christmas: for other-language accounts). Whether a festival falls in its lead
  window depends on the bench day: on 8 Dec 2026 none does (the next are 元旦 from 29 Dec and
  春节 (6 Feb 2027) from 27 Jan, 10 days ahead), so the job's festival statement inserts
  nothing — a festival day would add one reminder per cared-for contact (~1,900 per company);
* one contract per account (none for prospects): active, started 1–5 years before the day of
  generation (so every start is in an earlier year: its anniversaries count), its month and day
  spread over the year; the churned accounts' contracts expired (not reminded of);
* 5 visits per account (the issue's 5M visits for 1,000 companies) at the three levels over the
  last year and the next five weeks: the future ones planned; the past ones 75 % completed,
  5 % cancelled, 5 % missed and 15 % still planned (without a report: what the nightly
  ``visits_missed`` marks once the grace period is over);
* 2 follow-ups per account (the issue's 2M) due 90 days ago to 29 days ahead: 60 % open (the
  past-due ones unmarked: what ``follow_ups_overdue`` marks and escalates), 30 % done,
  10 % cancelled.

The birthdays are an UPDATE of the contacts (a step of its own, done for a company once one of
its contacts has a birthday), so a state dir generated before them gains them on the next run.

Generated rows have ``updated_at = created_at``: the scripts find (and undo) what a job changed
by ``updated_at > created_at``.
"""

from __future__ import annotations

import time

from common import load_average, print_table, vacuum_analyze

PREFIX = "visits-"
ACCOUNTS = 1_000
CHUNK = 50  # companies per fill transaction
DATA_TABLES = ["accounts_account", "accounts_accounttier", "accounts_tierchange",
               "accounts_contact", "accounts_contract", "visits_visit", "visits_followup",
               "kam_membership"]

FILL_SQL = [("accounts", "accounts_account", """
INSERT INTO accounts_account
    (tenant_id, name, short_name, unified_social_credit_code, industry, province, city,
     employee_count, annual_revenue_band, business_scope, development_stage, parent_id, owner_id,
     lifecycle_status, strategic_value, credit_rating, language, notes, external_id, created_at,
     updated_at)
SELECT m.tenant_id, '拜访客户' || lpad(g::text, 4, '0') || '有限公司', '', '', '', '', '', NULL,
       '', '', '', NULL, CASE WHEN g %% 2 = 1 THEN m.m1 ELSE m.m2 END,
       CASE WHEN g %% 20 = 0 THEN 'prospect' WHEN g %% 23 = 0 THEN 'churned' ELSE 'active' END,
       3, '', '', '', '', %(now)s - make_interval(days => (400 + g %% 700)::int), %(now)s
  FROM (SELECT ms.tenant_id,
               max(ms.id) FILTER (WHERE u.username LIKE '%%.m1') AS m1,
               max(ms.id) FILTER (WHERE u.username LIKE '%%.m2') AS m2
          FROM kam_membership ms JOIN auth_user u ON u.id = ms.user_id
         WHERE ms.tenant_id = ANY(%(tenants)s) GROUP BY ms.tenant_id) m
 CROSS JOIN generate_series(1, %(accounts)s) g
"""), ("tiers", "accounts_accounttier", """
INSERT INTO accounts_accounttier (account_id, tenant_id, tier, computed_tier, score, policy_id,
                                  computed_at, override_tier, override_reason, change_seq)
SELECT a.id, a.tenant_id,
       (ARRAY['strategic', 'key', 'important', 'general'])[1 + a.id %% 4],
       (ARRAY['strategic', 'key', 'important', 'general'])[1 + a.id %% 4], 50, p.id,
       %(now)s, '', '', 1
  FROM accounts_account a
  JOIN (SELECT DISTINCT ON (tenant_id) tenant_id, id FROM accounts_tierpolicy
         ORDER BY tenant_id, version DESC) p ON p.tenant_id = a.tenant_id
 WHERE a.tenant_id = ANY(%(tenants)s)
"""), ("tier changes", "accounts_tierchange", """
INSERT INTO accounts_tierchange (tenant_id, account_id, seq, from_tier, to_tier, score, policy_id,
                                 source, reason, changed_at)
SELECT t.tenant_id, t.account_id, 1, '', t.tier, 50, t.policy_id, 'computed', '',
       %(now)s - make_interval(days => (t.account_id * 7 %% 400)::int, hours => 1)
  FROM accounts_accounttier t WHERE t.tenant_id = ANY(%(tenants)s) AND t.account_id %% 4 < 2
"""), ("contacts", "accounts_contact", """
INSERT INTO accounts_contact (tenant_id, account_id, name, title, department, level, buying_role,
                              relationship_strength, phone, email, wechat_id, birthday_is_lunar,
                              birthday_lunar_leap, care_opt_out, is_active, notes, external_id,
                              created_at, updated_at)
SELECT a.tenant_id, a.id, '联系人' || k, '', '', (ARRAY['leadership', 'technical', 'business'])[
           1 + (a.id + k) %% 3], '', 3, '', '', '', false, false, false, true, '', '', %(now)s,
       %(now)s
  FROM accounts_account a CROSS JOIN generate_series(1, 2) k WHERE a.tenant_id = ANY(%(tenants)s)
"""), ("visits", "visits_visit", """
INSERT INTO visits_visit (tenant_id, account_id, level, channel, planned_start, duration_minutes,
                          location, objective, owner_id, status, reschedule_count, cancel_reason,
                          cancelled_at, missed_at, summary, discussed, customer_commitments,
                          sentiment, completed_at, external_id, created_at, updated_at)
SELECT x.tenant_id, x.account_id, x.level, 'on_site', x.start, 60, '', '回访', x.owner_id,
       x.status, 0, CASE WHEN x.status = 'cancelled' THEN '改期' ELSE '' END,
       CASE WHEN x.status = 'cancelled' THEN x.start END,
       CASE WHEN x.status = 'missed' THEN x.start + interval '3 days' END,
       '', '', '', '', CASE WHEN x.status = 'completed' THEN x.start + interval '1 hour' END, '',
       %(now)s, %(now)s
  FROM (SELECT a.tenant_id, a.id AS account_id, a.owner_id,
               (ARRAY['leadership', 'technical', 'business'])[1 + (a.id * 7 + k) %% 3] AS level,
               date_trunc('day', %(now)s) + make_interval(
                   days => 35 - ((a.id * 37 + k * 101) %% 400)::int, hours => 1 + k) AS start,
               (a.id * 13 + k * 7) %% 20 AS r
          FROM accounts_account a CROSS JOIN generate_series(1, 5) k
         WHERE a.tenant_id = ANY(%(tenants)s) AND a.owner_id IS NOT NULL) y
 CROSS JOIN LATERAL (SELECT y.*, CASE WHEN y.start > %(now)s THEN 'planned'
                                      WHEN y.r < 15 THEN 'completed' WHEN y.r = 15 THEN 'cancelled'
                                      WHEN y.r = 16 THEN 'missed' ELSE 'planned' END AS status) x
"""), ("follow-ups", "visits_followup", """
INSERT INTO visits_followup (tenant_id, account_id, title, notes, due_on, status, source,
                             source_ref, recurrence, recurrence_interval, recurrence_unit, done_at,
                             cancelled_at, cancel_reason, overdue_since, escalated_on,
                             external_id, owner_id, created_at, updated_at)
SELECT a.tenant_id, a.id, '跟进事项' || k, '',
       %(today)s + ((a.id * 13 + k * 29) %% 120 - 90)::int, s.status, 'manual', '', 'none', NULL,
       '', CASE WHEN s.status = 'done' THEN %(now)s END,
       CASE WHEN s.status = 'cancelled' THEN %(now)s END, '', NULL, NULL, '', a.owner_id,
       %(now)s, %(now)s
  FROM accounts_account a CROSS JOIN generate_series(1, 2) k
 CROSS JOIN LATERAL (SELECT CASE WHEN (a.id + k * 3) %% 10 < 6 THEN 'open'
                                 WHEN (a.id + k * 3) %% 10 < 9 THEN 'done'
                                 ELSE 'cancelled' END AS status) s
 WHERE a.tenant_id = ANY(%(tenants)s) AND a.owner_id IS NOT NULL
"""), ("birthdays", "accounts_contact", """
UPDATE accounts_contact AS c
   SET birthday = b.birthday, birthday_is_lunar = b.lunar, birthday_lunar_leap = false,
       care_opt_out = b.opt_out
  FROM (SELECT x.id,
               CASE WHEN x.share < 10 THEN NULL
                    WHEN x.share < 30 THEN make_date(1960 + 4 * (x.h / 100 %% 10)::int, x.m,
                                                     CASE WHEN x.m = 2 THEN least(x.d, 29)
                                                          ELSE x.d END)
                    ELSE date '1960-01-01' + (x.h / 100 %% 14610)::int END AS birthday,
               x.share BETWEEN 10 AND 29 AS lunar, x.h / 1048576 %% 20 = 0 AS opt_out
          FROM (SELECT id, h, h %% 100 AS share, 1 + (h / 100 %% 12)::int AS m,
                       1 + (h / 1200 %% 30)::int AS d
                  FROM (SELECT id, ('x' || left(md5(id::text), 8))::bit(32)::bigint AS h
                          FROM accounts_contact WHERE tenant_id = ANY(%(tenants)s)) hashed) x) b
 WHERE c.tenant_id = ANY(%(tenants)s) AND c.id = b.id
"""), ("contracts", "accounts_contract", """
INSERT INTO accounts_contract (tenant_id, account_id, number, title, start_date, end_date, value,
                               payment_terms_days, status, renewal_notice_days, notes,
                               external_id, created_at, updated_at)
SELECT a.tenant_id, a.id, 'HT-' || lpad(a.id::text, 9, '0'), '年度服务合同', s.start,
       CASE WHEN a.lifecycle_status = 'churned' THEN s.start + 365
            ELSE %(today)s + (30 + a.id %% 700)::int END,
       100000 + (a.id %% 50) * 10000, 30,
       CASE WHEN a.lifecycle_status = 'churned' THEN 'expired' ELSE 'active' END, 60, '', '',
       %(now)s, %(now)s
  FROM accounts_account a
 CROSS JOIN LATERAL (SELECT %(today)s - (366 + ('x' || left(md5(a.id::text), 8))::bit(32)::bigint
                                          %% 1461)::int AS start) s
 WHERE a.tenant_id = ANY(%(tenants)s) AND a.lifecycle_status <> 'prospect'
""")]
# A step is done for a company when the table has a row of it (matching this, for an UPDATE).
DONE_WHERE = {"birthdays": "birthday IS NOT NULL"}


def slug(number: int) -> str:
    return f"{PREFIX}{number:04d}"


def companies(count: int) -> list:
    from kam.models import Tenant

    return list(Tenant.objects.filter(slug__in=[slug(n) for n in range(1, count + 1)])
                .order_by("slug"))


def _system_counts(table: str, where: str = "true") -> dict[int, int]:
    from django.db import connection

    from kam.tenancy import system_read

    with system_read("bench: counts per tenant"), connection.cursor() as cursor:
        cursor.execute(f"SELECT tenant_id, count(*) FROM {table} WHERE {where} "  # noqa: S608
                       f"GROUP BY 1")
        return dict(cursor.fetchall())


def _companies_and_members(count: int) -> None:
    """The companies (tenant_create) with their four members and tier policy: the ORM, one
    company at a time (a second or so each)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from accounts.tiering.services import tier_policy_ensure
    from kam.models import Membership, Tenant
    from kam.roles import Role
    from kam.services import tenant_create
    from kam.tenancy import tenant_context

    User = get_user_model()
    present = set(Tenant.objects.filter(slug__startswith=PREFIX).values_list("slug", flat=True))
    started = time.perf_counter()
    for number in range(1, count + 1):
        if slug(number) in present:
            continue
        with transaction.atomic():
            tenant = tenant_create(name=f"拜访基准 {number:04d}", slug=slug(number))
            with tenant_context(tenant):
                for suffix, role in (("admin", Role.ADMIN), ("exec", Role.EXECUTIVE),
                                     ("m1", Role.MANAGER), ("m2", Role.MANAGER)):
                    user = User.objects.create_user(username=f"{tenant.slug}.{suffix}")
                    Membership.objects.create(tenant=tenant, user=user, role=role)
                tier_policy_ensure()
        if number % 50 == 0:
            print(f"  companies: {number}/{count} ({time.perf_counter() - started:.0f} s)",
                  flush=True)


def generate(count: int) -> list:
    """``count`` companies with their data (what is present is kept); returns them."""
    from django.utils import timezone
    from tiering import _owner_all_tenants

    from kam import clock

    _companies_and_members(count)
    tenants = companies(count)
    steps: list[list[str]] = []
    now = timezone.now()
    today = clock.today(tenants[0])
    for label, table, sql in FILL_SQL:
        have = _system_counts(table, DONE_WHERE.get(label, "true"))
        missing = [t.pk for t in tenants if t.pk not in have]
        if not missing:
            steps.append([label, f"{sum(have.get(t.pk, 0) for t in tenants):,}", "-", "present"])
            continue
        started = time.perf_counter()
        rows = 0
        for i in range(0, len(missing), CHUNK):
            chunk = missing[i:i + CHUNK]
            reads = ["accounts_account", "accounts_accounttier", "accounts_tierpolicy",
                     "kam_membership", table]
            with _owner_all_tenants(sorted(set(reads)), (table,)) as cursor:
                cursor.execute(sql, {"tenants": chunk, "now": now, "today": today,
                                     "accounts": ACCOUNTS})
                rows += cursor.rowcount
            print(f"  {label}: {min(i + CHUNK, len(missing))}/{len(missing)} companies "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
        vacuum_analyze([table])
        seconds = time.perf_counter() - started
        steps.append([label, f"{rows:,}", f"{seconds:.1f}", f"{rows / seconds:,.0f} rows/s"])
    if any(step[3] != "present" for step in steps):
        vacuum_analyze(DATA_TABLES)
        print(f"\ndata: {len(tenants):,} companies; {load_average()}\n")
        print_table(["step", "rows", "seconds", "note"], steps)
    return tenants
