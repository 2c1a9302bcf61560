"""A small hand-made set of visits and follow-ups around one account, the same in every test that
uses it: the frozen clock's Monday 15 June 2026, 10:00 in Shanghai (tests/conftest.py FROZEN_AT).

Account 华为供应链 (owned by ``owner``), contacts at the three levels, and:

    visit          status      start (Shanghai)       notes
    upcoming       planned     2026-06-18 14:00       leadership, on site, 王总 and 李工 attend
    due_report     planned     2026-06-12 10:00       the day has passed, no report yet
    done           completed   2026-06-01 09:30       report: positive; two follow-ups from it
    cancelled      cancelled   2026-05-20 15:00       "customer's audit week"
    missed         missed      2026-05-10 10:00       (as the nightly job leaves it)

    follow-up      status      due          notes
    overdue        open        2026-06-10   from the completed visit
    this_week      open        2026-06-19   from the completed visit, repeats monthly from due
    later          open        2026-07-15   entered by hand, owned by the teammate
    closed         done        2026-06-05   done on 2026-06-05
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from accounts.contacts.models import Contact
from accounts.team.models import AccountTeamMember
from kam import clock
from kam.models import Membership
from kam.tenancy import tenant_context
from tests.factories import make_account
from visits.followups.models import FollowUp
from visits.visit.models import Visit, VisitAttendee, VisitContact

SHANGHAI = clock.zone("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """A moment on Shanghai's clock (the tenants of the tests work there unless a test says)."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class VisitsWorld:
    account: Any
    contacts: dict[str, Contact]
    visits: dict[str, Visit]
    follow_ups: dict[str, FollowUp]


def make_visit(account: Any, owner: Membership, start: datetime.datetime, **fields: Any) -> Visit:
    values = {"level": "business", "channel": "on_site", "objective": "季度业务回顾",
              "duration_minutes": 60, **fields}
    with tenant_context(account.tenant):
        return Visit.objects.create(tenant=account.tenant, account=account, owner=owner,
                                    planned_start=start, **values)


def make_follow_up(account: Any, owner: Membership, due: datetime.date, **fields: Any) -> FollowUp:
    values = {"title": "发送报价单", **fields}
    with tenant_context(account.tenant):
        return FollowUp.objects.create(tenant=account.tenant, account=account, owner=owner,
                                       due_on=due, **values)


def visits_world(owner: Membership, teammate: Membership | None = None,
                 name: str = "华为供应链") -> VisitsWorld:
    tenant = owner.tenant
    account = make_account(tenant, name, owner=owner)
    with tenant_context(tenant):
        if teammate is not None:
            AccountTeamMember.objects.create(account=account, membership=teammate,
                                             team_role="service")
        contacts = {
            "leader": Contact.objects.create(account=account, name="王总", level="leadership",
                                             title="总经理"),
            "engineer": Contact.objects.create(account=account, name="李工", level="technical"),
            "buyer": Contact.objects.create(account=account, name="陈采购", level="business"),
        }
    visits = {
        "upcoming": make_visit(account, owner, at(2026, 6, 18, 14), level="leadership",
                               objective="年度战略合作会谈", location="深圳总部"),
        "due_report": make_visit(account, owner, at(2026, 6, 12), level="technical",
                                 channel="video", objective="新产线技术方案评审"),
        "done": make_visit(account, owner, at(2026, 6, 1, 9, 30), objective="季度业务回顾",
                           status="completed", summary="客户对交付满意，计划扩大订单。",
                           sentiment="positive", completed_at=at(2026, 6, 1, 12),
                           completed_by=owner),
        "cancelled": make_visit(account, owner, at(2026, 5, 20, 15), status="cancelled",
                                cancel_reason="客户审计周", cancelled_at=at(2026, 5, 18)),
        "missed": make_visit(account, owner, at(2026, 5, 10), status="missed",
                             missed_at=at(2026, 5, 13, 2)),
    }
    with tenant_context(tenant):
        VisitAttendee.objects.create(visit=visits["upcoming"], membership=owner)
        for key in ("leader", "engineer"):
            VisitContact.objects.create(visit=visits["upcoming"], contact=contacts[key],
                                        level=contacts[key].level)
    done = visits["done"]
    follow_ups = {
        "overdue": make_follow_up(account, owner, datetime.date(2026, 6, 10), source="visit",
                                  visit=done, title="提交样品测试报告"),
        "this_week": make_follow_up(account, owner, datetime.date(2026, 6, 19), source="visit",
                                    visit=done, title="每月供货计划对账", recurrence="from_due",
                                    recurrence_interval=1, recurrence_unit="months"),
        "later": make_follow_up(account, teammate or owner, datetime.date(2026, 7, 15),
                                title="安排工厂参观"),
        "closed": make_follow_up(account, owner, datetime.date(2026, 6, 5), status="done",
                                 done_at=at(2026, 6, 5, 16), done_by=owner, title="寄送合同"),
    }
    return VisitsWorld(account=account, contacts=contacts, visits=visits, follow_ups=follow_ups)
