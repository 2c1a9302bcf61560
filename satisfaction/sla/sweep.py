"""The minute sweep: SLA clocks whose warning, breach or escalation moment has come are claimed
once per step and their people told.

Beat runs ``sla_sweep`` every minute. One indexed query across companies (``next_step_at``,
a system read: nightly and periodic dispatchers may) finds the companies with a step due —
nothing else happens when none is. For each such company, one statement claims its due steps:
it locks the due clocks (``FOR UPDATE SKIP LOCKED``: a second sweep running at the same time
skips them), sets each due step's ``*_notified_at`` and moves ``next_step_at`` to the next
unclaimed step; what it returns is notified through kam.notify with a key per (clock, cycle,
step), so a duplicated message or two beats at once tell nobody twice."""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict

from celery import shared_task
from django.db import connection, transaction

from kam import clock
from kam.models import Membership, Tenant
from kam.notify import notify_many
from kam.roles import Role
from kam.tenancy import system_read, tenant_context
from satisfaction.requests.notifications import SLA_BREACHED, SLA_ESCALATED, SLA_WARNING

log = logging.getLogger(__name__)

DUE_TENANTS_SQL = """
SELECT DISTINCT tenant_id FROM satisfaction_slaclock
 WHERE next_step_at IS NOT NULL AND next_step_at <= %(now)s"""

_NEXT = """(SELECT min(x) FROM (VALUES
    (CASE WHEN c.warned_at IS NULL AND NOT due.warn THEN c.warn_at END),
    (CASE WHEN c.breach_notified_at IS NULL AND NOT due.breach THEN c.deadline END),
    (CASE WHEN c.owner_notified_at IS NULL AND NOT due.owner THEN c.owner_at END),
    (CASE WHEN c.executives_notified_at IS NULL AND NOT due.execs THEN c.executives_at END)
  ) AS steps(x))"""

CLAIM_SQL = """
WITH due AS (
    SELECT c.id,
           c.warned_at IS NULL AND c.warn_at <= %(now)s AS warn,
           c.breach_notified_at IS NULL AND c.deadline <= %(now)s AS breach,
           c.owner_notified_at IS NULL AND c.owner_at <= %(now)s AS owner,
           c.executives_notified_at IS NULL AND c.executives_at <= %(now)s AS execs
      FROM satisfaction_slaclock c
     WHERE c.tenant_id = %(tenant)s AND c.next_step_at <= %(now)s AND c.state = 'running'
       FOR UPDATE SKIP LOCKED
),
claimed AS (
    UPDATE satisfaction_slaclock AS c
       SET warned_at = CASE WHEN due.warn THEN %(now)s ELSE c.warned_at END,
           breach_notified_at = CASE WHEN due.breach THEN %(now)s ELSE c.breach_notified_at END,
           owner_notified_at = CASE WHEN due.owner THEN %(now)s ELSE c.owner_notified_at END,
           executives_notified_at = CASE WHEN due.execs THEN %(now)s
                                         ELSE c.executives_notified_at END,
           next_step_at = """ + _NEXT + """,
           updated_at = %(now)s
      FROM due
     WHERE c.tenant_id = %(tenant)s AND c.id = due.id
    RETURNING c.id, c.request_id, c.metric, c.cycle, c.deadline, due.warn, due.breach,
              due.owner, due.execs
)
SELECT claimed.id, claimed.metric, claimed.cycle, claimed.deadline, claimed.warn,
       claimed.breach, claimed.owner, claimed.execs, r.id, r.subject, r.assignee_id,
       a.id, a.name, a.owner_id
  FROM claimed
  JOIN satisfaction_servicerequest r ON r.tenant_id = %(tenant)s AND r.id = claimed.request_id
  JOIN accounts_account a ON a.tenant_id = %(tenant)s AND a.id = r.account_id"""  # noqa: S608


def sla_steps_run(*, tenant: Tenant, now: datetime.datetime) -> int:
    """Claim and notify the current company's due SLA steps. Returns how many steps were
    claimed. Two statements, one more per kind of step notified (and the executives' ids once
    if an escalation is due)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, {"tenant": tenant.pk, "now": now})
        rows = cursor.fetchall()
        items: dict[str, list] = defaultdict(list)
        executives: list[int] | None = None
        claimed = 0
        for (clock_id, metric, cycle, deadline, warn, breach, owner, execs, request_id, subject,
             assignee, account_id, account_name, account_owner) in rows:
            data = {"request_id": request_id, "subject": subject, "account_id": account_id,
                    "account_name": account_name, "metric": metric,
                    "deadline": deadline.isoformat()}
            first = assignee or account_owner
            key = f"satisfaction.sla:{clock_id}:{cycle}"
            if warn:
                items[SLA_WARNING].append((f"{key}:warning", [first] if first else [], data))
            if breach:
                items[SLA_BREACHED].append((f"{key}:breached", [first] if first else [], data))
            if owner:
                items[SLA_BREACHED].append((f"{key}:owner", [account_owner] if account_owner
                                            else [], data))
            if execs:
                if executives is None:
                    executives = list(Membership.objects.filter(
                        role=Role.EXECUTIVE, is_active=True).values_list("pk", flat=True))
                items[SLA_ESCALATED].append((f"{key}:executives", executives, data))
            claimed += warn + breach + owner + execs
        for kind, kind_items in items.items():
            notify_many(kind=kind, items=kind_items, occurred_at=now)
    return claimed


@shared_task(acks_late=True)
def sla_sweep(now: str | None = None) -> int:
    """Every minute (beat): the companies with an SLA step due, each claimed and notified in
    its own transaction (one company's failure is logged and leaves the others' done). Returns
    how many steps were claimed."""
    moment = datetime.datetime.fromisoformat(now) if now else clock.now()  # ``now``: tests
    with system_read("the SLA sweep: which companies have a clock step due"), \
            connection.cursor() as cursor:
        cursor.execute(DUE_TENANTS_SQL, {"now": moment})
        tenant_ids = [row[0] for row in cursor.fetchall()]
    claimed = 0
    for tenant in Tenant.objects.filter(pk__in=tenant_ids, is_active=True):
        try:
            with tenant_context(tenant):
                claimed += sla_steps_run(tenant=tenant, now=moment)
        except Exception:  # one company's bad row must not stop the others' warnings
            log.exception("the SLA sweep failed for tenant %s", tenant.pk)
    return claimed

