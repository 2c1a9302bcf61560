"""My day (``/``, kam.myday) with the sections of visits and accounts: a manager's own visits
(reports due, this week's), follow-ups overdue or due by Sunday, tier changes since the previous
login; an executive's whole company or one member's; another company's user sees none of it;
the page's query count does not grow with the rows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tiering.models import TierChange
from accounts.tiering.services import tier_policy_ensure
from kam import clock
from kam.myday import SESSION_PREVIOUS_LOGIN
from kam.tenancy import tenant_context
from tests.conftest import login, make_member
from tests.factories import make_account
from tests.visits.fixtures import at, make_follow_up, make_visit, visits_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
D = datetime.date
HOME = "/"


def section(response, key: str) -> str:
    """The inside of one section of the page (up to the next section)."""
    html = response.content.decode()
    start = html.index(f'id="my-day-{key}"')
    end = html.find('<section id="my-day-', start + 1)
    return html[start:end if end != -1 else len(html)]


def test_anonymous_goes_to_the_login_page(client):
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("kam:login"))


def test_a_manager_sees_their_reports_due_visits_of_the_week_and_follow_ups(client, manager_a,
                                                                             tenant_a):
    teammate = make_member(tenant_a, "teammate", "manager")
    world = visits_world(manager_a, teammate)
    # Next week's visit (Monday 22 June) is not this week's.
    make_visit(world.account, manager_a, at(2026, 6, 22, 9), objective="下周的拜访")
    response = login(client, manager_a).get(HOME)
    assert response.status_code == 200
    visits = section(response, "visits")
    # The report due (12 June, planned, its start passed) first, then Thursday's.
    assert visits.index("新产线技术方案评审") < visits.index("年度战略合作会谈")
    assert reverse("visits:visit-report", args=[world.visits["due_report"].pk]) in visits
    assert reverse("visits:visit-report", args=[world.visits["upcoming"].pk]) not in visits
    for absent in ("下周的拜访", "季度业务回顾"):  # next week; completed
        assert absent not in visits
    follow_ups = section(response, "follow-ups")
    assert follow_ups.index("提交样品测试报告") < follow_ups.index("每月供货计划对账")
    assert "安排工厂参观" not in follow_ups  # the teammate's, and due in July
    assert "寄送合同" not in follow_ups  # done


def test_a_manager_sees_only_their_own_day(client, manager_a, tenant_a):
    teammate = make_member(tenant_a, "teammate", "manager")
    world = visits_world(manager_a, teammate)
    make_follow_up(world.account, teammate, D(2026, 6, 16), title="队友的待办")
    make_visit(world.account, teammate, at(2026, 6, 17, 15), objective="队友的拜访")
    # ?member= is the executives' filter: a manager asking for another's day still gets their own.
    response = login(client, manager_a).get(HOME, {"member": teammate.pk})
    assert "队友的待办" not in section(response, "follow-ups")
    assert "队友的拜访" not in section(response, "visits")
    assert "提交样品测试报告" in section(response, "follow-ups")


def test_an_executive_sees_the_company_or_one_member(client, manager_a, exec_a, tenant_a):
    teammate = make_member(tenant_a, "teammate", "manager")
    world = visits_world(manager_a, teammate)
    make_follow_up(world.account, teammate, D(2026, 6, 16), title="队友的待办")
    login(client, exec_a)
    company = section(client.get(HOME), "follow-ups")
    assert "队友的待办" in company and "提交样品测试报告" in company
    one = client.get(HOME, {"member": teammate.pk})
    assert "队友的待办" in section(one, "follow-ups")
    assert "提交样品测试报告" not in section(one, "follow-ups")
    assert f'<option value="{teammate.pk}" selected>' in one.content.decode()
    # Not a member of the company: the whole company again, not a 500.
    for wanted in ("999999", "x", ""):
        assert "提交样品测试报告" in section(client.get(HOME, {"member": wanted}), "follow-ups")


def test_another_companys_user_sees_nothing_of_it(client, manager_a, admin_b):
    visits_world(manager_a)
    make_account(admin_b.tenant, "B Co", owner=admin_b)
    response = login(client, admin_b).get(HOME)
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("华为供应链", "提交样品测试报告", "年度战略合作会谈", manager_a.display_name):
        assert name not in html
    # Tenant A's member id as the filter: nothing of tenant A either.
    assert "提交样品测试报告" not in login(client, admin_b).get(
        HOME, {"member": manager_a.pk}).content.decode()


def _tier_change(account, changed_at: datetime.datetime, to_tier: str) -> TierChange:
    with tenant_context(account.tenant):
        policy = tier_policy_ensure()
        seq = TierChange.objects.filter(account=account).count() + 1
        return TierChange.objects.create(account=account, seq=seq, from_tier="", to_tier=to_tier,
                                         score=50, policy=policy, source="computed",
                                         changed_at=changed_at)


def test_tier_changes_since_the_previous_login(client, manager_a, tenant_a):
    old = make_account(tenant_a, "上海老客户", owner=manager_a)
    new = make_account(tenant_a, "苏州新变化", owner=manager_a)
    others = make_account(tenant_a, "别人的客户", owner=make_member(tenant_a, "someone", "manager"))
    previous_login = clock.now() - datetime.timedelta(days=2)
    _tier_change(old, previous_login - datetime.timedelta(hours=1), "key")
    _tier_change(new, previous_login + datetime.timedelta(hours=1), "strategic")
    _tier_change(others, previous_login + datetime.timedelta(hours=1), "key")
    login(client, manager_a)
    session = client.session
    session[SESSION_PREVIOUS_LOGIN] = previous_login.isoformat()
    session.save()
    changes = section(client.get(HOME), "tier-changes")
    assert "苏州新变化" in changes
    assert "上海老客户" not in changes  # before the previous login
    assert "别人的客户" not in changes  # not the manager's


def test_logging_in_keeps_the_previous_login_for_my_day(client, manager_a):
    user = manager_a.user
    user.last_login = clock.now() - datetime.timedelta(days=3)
    user.save(update_fields=["last_login"])
    previous = user.last_login
    login(client, manager_a)
    assert client.session[SESSION_PREVIOUS_LOGIN] == previous.isoformat()
    user.refresh_from_db()
    assert user.last_login > previous  # Django's own update still happens


def test_the_query_count_does_not_grow_with_the_rows(manager_a, exec_a, tenant_a):
    world = visits_world(manager_a)

    def queries(member) -> int:
        client = login(Client(), member)  # a new session each time: the same work each time
        with CaptureQueriesContext(connection) as captured:
            assert client.get(HOME).status_code == 200
        return len(captured)

    queries(manager_a)  # builds the company's working calendar in this process (two queries, once)
    few = {who: queries(who) for who in (manager_a, exec_a)}
    for day in range(15, 21):
        for n in range(3):
            make_visit(world.account, manager_a, at(2026, 6, day, 9 + n), objective=f"拜访{n}")
            make_follow_up(world.account, manager_a, D(2026, 6, day), title=f"待办{n}")
        _tier_change(world.account, clock.now() - datetime.timedelta(hours=day), "key")
    many = {who: queries(who) for who in (manager_a, exec_a)}
    assert many == few
    # Session, user, memberships (the middleware); the visits, follow-ups, behind-on-visits, care
    # and tier changes sections, one each; the new session's company saved (savepoint, UPDATE,
    # release); the executive's team filter, one more.
    assert few[manager_a] == 11
    assert few[exec_a] == few[manager_a] + 1


def _cadence(account, level: str, state: str, due: datetime.date):
    from visits.cadence.models import CadenceStatus
    with tenant_context(account.tenant):
        return CadenceStatus.objects.create(
            account=account, level=level, tier="key", required_per_year=4, next_due_on=due,
            state=state, completed_12m=1, required_12m=4, compliance_pct=25, contact_count=1)


def test_accounts_behind_on_visits_most_overdue_first(client, manager_a, exec_a, tenant_a):
    mine = make_account(tenant_a, "上海逾期客户", owner=manager_a)
    soon = make_account(tenant_a, "杭州即将到期", owner=manager_a)
    fine = make_account(tenant_a, "南京按期客户", owner=manager_a)
    others = make_account(tenant_a, "别人的逾期客户", owner=make_member(tenant_a, "x", "manager"))
    _cadence(mine, "leadership", "overdue", D(2026, 5, 1))
    _cadence(soon, "business", "due_soon", D(2026, 6, 19))
    _cadence(fine, "business", "on_track", D(2026, 8, 1))
    _cadence(others, "technical", "overdue", D(2026, 4, 1))
    behind = section(login(client, manager_a).get(HOME), "cadence")
    assert behind.index("上海逾期客户") < behind.index("杭州即将到期")
    assert "南京按期客户" not in behind and "别人的逾期客户" not in behind
    company = section(login(client, exec_a).get(HOME), "cadence")
    assert company.index("别人的逾期客户") < company.index("上海逾期客户")  # 1 April first
