"""The demo's visits and follow-ups (a step of ``accounts.demo.services.seed_demo``): a year of
visits at the three levels for every active account with an owner, relative to ``today``, so my
day, the cadence and the 360° pages have something true to show on the first login.

Most accounts keep their cadence; about a quarter have had no leadership visit for a year (behind
at that level); some have missed visits; every manager has visits this week, a report or two to
write and follow-ups open, a few overdue. Deterministic for a seed (reruns add nothing: every row
has an external id)."""

from __future__ import annotations

import datetime
import random

from django.db import transaction

from accounts.account.models import Account, LifecycleStatus
from accounts.contacts.models import Contact
from kam import clock
from kam.models import Tenant
from kam.tenancy import tenant_context
from visits.followups.models import FollowUp, FollowUpSource, FollowUpStatus
from visits.visit.models import Sentiment, Visit, VisitAttendee, VisitContact, VisitStatus

LEVELS = ("business", "technical", "leadership")
# Days between completed visits per level: a key account's (the first) and any other's.
INTERVALS = {"business": (30, 91), "technical": (91, 182), "leadership": (182, 365)}

OBJECTIVES = {
    "zh-hans": {
        "business": ["季度业务回顾", "年度采购计划沟通", "交付与回款对账", "新品推介", "价格与合同续签洽谈"],
        "technical": ["产线技术方案评审", "质量问题复盘", "样品测试结果沟通", "工艺改进交流"],
        "leadership": ["高层互访：年度战略合作会谈", "总经理拜访：合作规划", "高层交流：长期合作框架"],
    },
    "en": {
        "business": ["Quarterly business review", "Annual purchasing plan", "Delivery and payment check-in",
                     "New product introduction", "Pricing and renewal discussion"],
        "technical": ["Production line design review", "Quality issue debrief",
                      "Sample test results", "Process improvement workshop"],
        "leadership": ["Executive visit: annual partnership review",
                       "CEO meeting: joint roadmap", "Executive exchange: long-term framework"],
    },
}
FOLLOW_UPS = {
    "zh-hans": ["发送报价单", "提交样品测试报告", "安排工厂参观", "确认交期", "寄送会议纪要", "跟进付款进度"],
    "en": ["Send the quotation", "Share the sample test report", "Arrange a factory tour",
           "Confirm delivery dates", "Send the meeting notes", "Follow up on the payment"],
}
SUMMARIES = {
    "zh-hans": ["客户对交付满意，计划扩大订单。", "客户关注价格，需要下周给出方案。",
                "技术问题已澄清，客户同意继续试产。"],
    "en": ["The customer is happy with delivery and plans larger orders.",
           "Price is their concern: we owe them a proposal next week.",
           "Technical questions cleared up; they agreed to continue the pilot run."],
}


def _at(day: datetime.date, hour: int, tenant: Tenant) -> datetime.datetime:
    return clock.day_start(day, tenant) + datetime.timedelta(hours=hour)


@transaction.atomic
def seed_visits(*, tenant: Tenant, language: str, seed: int,
                today: datetime.date | None = None) -> dict[str, int]:
    """The tenant's demo visits and follow-ups (rows created; zero on a rerun)."""
    created = {"visits": 0, "follow_ups": 0}
    with tenant_context(tenant):
        today = today or clock.today(tenant)
        prefix = f"DEMO-{tenant.slug.upper()}-V-"
        if Visit.objects.filter(external_id__startswith=prefix).exists():
            return created
        accounts = list(Account.objects.filter(
            owner__isnull=False, lifecycle_status__in=[LifecycleStatus.ACTIVE,
                                                       LifecycleStatus.AT_RISK])
            .order_by("external_id", "id"))
        contacts: dict[tuple[int, str], Contact] = {}
        for contact in Contact.objects.filter(is_active=True).order_by("id"):
            contacts.setdefault((contact.account_id, contact.level), contact)
        words = OBJECTIVES["zh-hans" if language == "zh-hans" else "en"]
        tasks = FOLLOW_UPS["zh-hans" if language == "zh-hans" else "en"]
        summaries = SUMMARIES["zh-hans" if language == "zh-hans" else "en"]
        visits: list[Visit] = []
        plans: list[tuple[Visit, Contact | None]] = []
        for n, account in enumerate(accounts):
            rng = random.Random(f"{seed}:{account.external_id}:visits")
            key = n < len(accounts) // 5 or account.strategic_value >= 4
            behind_leadership = n % 4 == 1
            for level in LEVELS:
                interval = INTERVALS[level][0 if key else 1]
                if level == "leadership" and behind_leadership:
                    interval = 400  # none in the last year: behind at the leadership level
                day = today - datetime.timedelta(days=365 - rng.randint(0, interval // 2))
                count = 0
                while day < today - datetime.timedelta(days=2):
                    count += 1
                    status = VisitStatus.COMPLETED
                    if rng.random() < 0.06:
                        status = VisitStatus.MISSED
                    elif rng.random() < 0.05:
                        status = VisitStatus.CANCELLED
                    visits.append(_visit(tenant, account, level, day, status, rng, words, summaries,
                                         f"{prefix}{account.pk}-{level[0]}{count:02d}"))
                    plans.append((visits[-1], contacts.get((account.pk, level))))
                    day += datetime.timedelta(days=interval + rng.randint(-7, 7))
                # What comes next: this week's and the coming weeks' visits; a report to write.
                if level == "business" and (key or rng.random() < 0.35):
                    ahead = rng.randint(-1, 20)
                    visits.append(_visit(tenant, account, level, today + datetime.timedelta(
                        days=ahead), VisitStatus.PLANNED, rng, words, summaries,
                        f"{prefix}{account.pk}-{level[0]}-next"))
                    plans.append((visits[-1], contacts.get((account.pk, level))))
        Visit.objects.bulk_create(visits, batch_size=2000)
        created["visits"] = len(visits)
        VisitAttendee.objects.bulk_create(
            [VisitAttendee(tenant=tenant, visit=v, membership_id=v.owner_id) for v in visits],
            batch_size=2000)
        VisitContact.objects.bulk_create(
            [VisitContact(tenant=tenant, visit=v, contact=c, level=c.level)
             for v, c in plans if c is not None], batch_size=2000)
        follow_ups: list[FollowUp] = []
        for visit in visits:
            rng = random.Random(f"{seed}:{visit.external_id}:follow-up")
            visit_day = clock.local_date(visit.planned_start, tenant)
            if (visit.status != VisitStatus.COMPLETED or visit_day < today - datetime.timedelta(
                    days=75) or rng.random() < 0.45):
                continue
            due = visit_day + datetime.timedelta(days=rng.randint(5, 28))
            done = due < today - datetime.timedelta(days=3) and rng.random() < 0.75
            follow_ups.append(FollowUp(
                tenant=tenant, account_id=visit.account_id, owner_id=visit.owner_id,
                title=rng.choice(tasks), due_on=due, source=FollowUpSource.VISIT, visit=visit,
                status=FollowUpStatus.DONE if done else FollowUpStatus.OPEN,
                done_at=_at(due, 17, tenant) if done else None,
                done_by_id=visit.owner_id if done else None,
                external_id=f"{visit.external_id}-f"))
        FollowUp.objects.bulk_create(follow_ups, batch_size=2000)
        created["follow_ups"] = len(follow_ups)
    return created


def _visit(tenant: Tenant, account: Account, level: str, day: datetime.date, status: str,
           rng: random.Random, words: dict[str, list[str]], summaries: list[str],
           external_id: str) -> Visit:
    start = _at(day, rng.choice([9, 10, 14, 15, 16]), tenant)
    completed = status == VisitStatus.COMPLETED
    return Visit(
        tenant=tenant, account=account, level=level,
        channel=rng.choices(["on_site", "video", "phone"], weights=[6, 3, 1])[0],
        planned_start=start, duration_minutes=rng.choice([45, 60, 90, 120]),
        objective=rng.choice(words[level]), owner_id=account.owner_id, status=status,
        summary=rng.choice(summaries) if completed else "",
        sentiment=rng.choices([Sentiment.POSITIVE, Sentiment.NEUTRAL, Sentiment.NEGATIVE],
                              weights=[5, 3, 1])[0] if completed else "",
        completed_at=start + datetime.timedelta(hours=3) if completed else None,
        completed_by_id=account.owner_id if completed else None,
        cancel_reason=("客户临时安排变动" if tenant.default_language == "zh-hans"
                       else "The customer rescheduled internally")
        if status == VisitStatus.CANCELLED else "",
        cancelled_at=start - datetime.timedelta(days=2) if status == VisitStatus.CANCELLED
        else None,
        missed_at=start + datetime.timedelta(days=3) if status == VisitStatus.MISSED else None,
        external_id=external_id)
