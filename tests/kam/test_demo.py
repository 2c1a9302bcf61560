from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.db.models.functions import ExtractMonth

from accounts.account.validators import validate_uscc
from accounts.contracts.selectors import renewals_due
from accounts.demo.services import ACCOUNTS_PER_TENANT, HUADONG, PACIFIC
from accounts.models import (
    Account,
    AccountFigures,
    AccountTeamMember,
    BuyingRole,
    Contact,
    ContactLevel,
    Contract,
    ContractStatus,
    LifecycleStatus,
    TeamRole,
    Transaction,
)
from kam import clock
from kam.clock import add_months
from kam.models import Membership, Tenant
from kam.roles import Actor, Role
from kam.tenancy import tenant_context

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # seeds the whole demo

CHILD_MODELS = (Contact, AccountTeamMember, Transaction, Contract, AccountFigures)


def snapshot() -> dict[str, object]:
    """Row counts of every table the seeder writes, and checksums that change with any value."""
    state: dict[str, object] = {
        "tenants": Tenant.objects.count(),
        "users": get_user_model().objects.count(),
        "memberships": Membership.unscoped_all_tenants.count(),
        "accounts": Account.unscoped_all_tenants.count(),
    }
    for model in CHILD_MODELS:
        state[model.__name__] = model.unscoped_all_tenants.count()
    with connection.cursor() as cursor:
        # The amounts (with their external id and date): any changed or added row shows.
        cursor.execute("SELECT md5(string_agg(external_id || ':' || date || ':' || amount, ','"
                       " ORDER BY external_id)), SUM(amount) FROM accounts_transaction")
        state["transaction_checksum"] = cursor.fetchone()
        # No row updated in place either: the latest write times and the figures' values.
        cursor.execute("SELECT (SELECT MAX(updated_at) FROM accounts_contact),"
                       " (SELECT MAX(updated_at) FROM accounts_contract),"
                       " (SELECT MAX(updated_at) FROM accounts_transaction),"
                       " (SELECT md5(string_agg(f::text, ',' ORDER BY account_id))"
                       "    FROM accounts_accountfigures f)")
        state["writes"] = cursor.fetchone()
    return state


@pytest.fixture
def seeded() -> dict[str, object]:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "kam-demo-2026" in out.getvalue() and "zhang.wei" in out.getvalue()
    return snapshot()


def test_seed_demo_is_idempotent(seeded):
    assert seeded["tenants"] == 2 and seeded["accounts"] == 2 * ACCOUNTS_PER_TENANT
    assert all(seeded[model.__name__] for model in CHILD_MODELS)
    call_command("seed_demo", stdout=io.StringIO())
    assert snapshot() == seeded


def test_demo_accounts_are_realistic(seeded):
    for spec in (HUADONG, PACIFIC):
        tenant = Tenant.objects.get(slug=spec.slug)
        assert tenant.default_language == spec.language
        roles = sorted(Membership.unscoped_all_tenants.filter(tenant=tenant)
                       .values_list("role", flat=True))
        assert roles.count(Role.ADMIN) == 1 and roles.count(Role.MANAGER) >= 2
        assert Role.EXECUTIVE in roles
        accounts = Account.unscoped_all_tenants.filter(tenant=tenant)
        assert accounts.filter(parent__isnull=False).count() >= 10  # group hierarchies
        assert accounts.filter(owner__isnull=True).count() == 0
        assert accounts.values("industry").distinct().count() >= 5
        assert accounts.values("name").distinct().count() == ACCOUNTS_PER_TENANT
        assert not accounts.exclude(parent=None).exclude(parent__tenant=tenant).exists()
    for code in (Account.unscoped_all_tenants.exclude(unified_social_credit_code="")
                 .values_list("unified_social_credit_code", flat=True)):
        validate_uscc(code)
    # The tenant switcher has someone to show it with.
    assert Membership.unscoped_all_tenants.filter(user__username="li.na").count() == 2

    # Every row of the profile belongs to its account's tenant.
    for model in (Contact, AccountTeamMember, Transaction, Contract, AccountFigures):
        assert not model.unscoped_all_tenants.exclude(account__tenant=F("tenant")).exists()
    assert not AccountTeamMember.unscoped_all_tenants.exclude(
        membership__tenant=F("tenant")).exists()
    refunds = Transaction.unscoped_all_tenants.filter(refund_of__isnull=False)
    assert refunds.exists() and not refunds.filter(amount__gte=0).exists()
    assert not refunds.exclude(refund_of__account=F("account")).exists()
    assert not Transaction.unscoped_all_tenants.filter(refund_of=None, amount__lt=0).exists()


def test_demo_profiles(seeded):
    for spec in (HUADONG, PACIFIC):
        check_profile(spec)


@pytest.mark.parametrize("moment", [
    pytest.param(m, marks=pytest.mark.clock(m), id=label) for label, m in (
        ("leap-day", "2028-02-29T03:00:00+00:00"),
        ("last-minute-of-the-year-in-shanghai", "2026-12-31T15:59:00+00:00"),
        ("first-of-the-month-in-shanghai-still-the-last-in-utc", "2027-04-30T23:30:00+00:00"),
    )])
def test_demo_profiles_on_hard_days(moment, frozen_clock):
    """The demo is built relative to the day it is seeded on: the same checks hold on a leap day,
    at the turn of a year and on a first of the month that is still the last in UTC."""
    call_command("seed_demo", stdout=io.StringIO())
    for spec in (HUADONG, PACIFIC):
        check_profile(spec)


def test_seed_demo_as_of_a_given_day():
    call_command("seed_demo", "--as-of", "2027-03-31", stdout=io.StringIO())
    with tenant_context(Tenant.objects.get(slug=HUADONG.slug)):
        last = Transaction.objects.order_by("-date").values_list("date", flat=True)[0]
        first = Transaction.objects.order_by("date").values_list("date", flat=True)[0]
    assert datetime.date(2027, 3, 1) <= last <= datetime.date(2027, 3, 31)
    assert datetime.date(2025, 4, 1) <= first < datetime.date(2025, 5, 1)


def check_profile(spec) -> None:
    tenant = Tenant.objects.get(slug=spec.slug)
    today = clock.today(tenant)
    with tenant_context(tenant):
        accounts = Account.objects.all()
        customers = accounts.exclude(lifecycle_status=LifecycleStatus.PROSPECT)

        # Contacts at every level, Chinese names for the Chinese tenant, and gaps.
        contacts = Contact.objects.all()
        assert set(contacts.values_list("level", flat=True)) == set(ContactLevel.values)
        assert {"decision_maker", "influencer", "gatekeeper"} <= set(
            contacts.values_list("buying_role", flat=True))
        assert contacts.values("relationship_strength").distinct().count() == 5
        chinese = contacts.filter(name__regex=r"^[\u4e00-\u9fff]{2,3}$").count()
        assert chinese == (contacts.count() if spec is HUADONG else 0)
        if spec is HUADONG:
            assert contacts.filter(title__in=["总经理", "采购总监", "技术经理"]).exists()
        leader = Contact.objects.filter(account=OuterRef("pk"), is_active=True,
                                        level=ContactLevel.LEADERSHIP)
        decider = Contact.objects.filter(account=OuterRef("pk"), is_active=True,
                                         buying_role=BuyingRole.DECISION_MAKER)
        assert customers.filter(Exists(leader)).count() > customers.count() // 2
        assert customers.exclude(Exists(leader)).exists()  # leadership gap
        assert customers.exclude(Exists(decider)).exists()  # nobody who decides
        left = contacts.filter(is_active=False)
        assert 0 < left.count() < contacts.count() // 5
        assert not left.filter(Q(left_on=None) | Q(left_on__gt=today)).exists()

        # The account team: the owner, plus the other roles from the tenant's members.
        team = AccountTeamMember.objects.all()
        owner_rows = team.filter(team_role=TeamRole.OWNER, membership=F("account__owner"))
        assert owner_rows.count() == accounts.count()
        assert set(team.values_list("team_role", flat=True)) == set(TeamRole.values)

        # 24 calendar months of transactions: 23 whole ones and the current one up to today.
        txs = Transaction.objects.all()
        first, last = txs.order_by("date")[0].date, txs.order_by("-date")[0].date
        this_month = today.replace(day=1)
        assert last <= today and (today - last).days < 62
        assert add_months(this_month, -23) <= first < add_months(this_month, -22)
        assert txs.filter(refund_of__isnull=False).count() >= 3
        # The season, from whole months only (the current one is partial): the average per
        # calendar month over the 23 whole months, where some months occur twice, some once.
        whole = txs.filter(refund_of=None, date__gte=add_months(this_month, -23),
                           date__lt=this_month)
        totals = dict(whole.annotate(m=ExtractMonth("date")).values("m")
                      .annotate(total=Sum("amount")).values_list("m", "total"))
        occurrences = {m: 0 for m in range(1, 13)}
        for ago in range(1, 24):
            occurrences[add_months(this_month, -ago).month] += 1
        per_month = {m: totals[m] / occurrences[m] for m in range(1, 13)}
        assert per_month[2] < per_month[12] and per_month[2] < per_month[11]  # Q4 peak, Feb low
        if spec is HUADONG:  # the Spring Festival dip
            assert per_month[2] < Decimal("0.7") * per_month[3]
        assert not txs.filter(account__lifecycle_status=LifecycleStatus.PROSPECT).exists()

        # Contracts: mostly active, some expired, a few drafts; a few renewals due.
        statuses = dict(Contract.objects.values("status").annotate(n=Sum(1))
                        .values_list("status", "n"))
        assert statuses[ContractStatus.ACTIVE] > statuses[ContractStatus.EXPIRED] > 0
        assert 0 < statuses[ContractStatus.DRAFT] < statuses[ContractStatus.ACTIVE]
        admin = Membership.objects.get(role=Role.ADMIN)
        due = renewals_due(actor=Actor(tenant=tenant, membership=admin), today=today)
        assert 3 <= due.count() <= 20

        # The derived figures: computed for every account, growth both ways, concentration.
        figures = AccountFigures.objects.all()
        assert figures.count() == accounts.count()
        assert not figures.filter(computed_at=None).exists()
        assert figures.filter(revenue_growth__gt=Decimal("0.15")).count() >= 5  # growing
        assert figures.filter(revenue_growth__lt=Decimal("-0.25")).count() >= 5  # fading
        shares = sorted(figures.values_list("revenue_share", flat=True), reverse=True)
        assert Decimal("0.25") <= shares[0] <= Decimal("0.35")
        assert shares[1] < Decimal("0.1")
        assert figures.filter(revenue_12m__gt=0).count() > accounts.count() // 2
        assert abs(sum(shares) - 1) < Decimal("0.001")
        assert figures.filter(last_order_date__lt=today - datetime.timedelta(days=100)).exists()


def test_demo_shows_every_tier_after_the_nightly_run(seeded):
    """`make demo` runs run_nightly after seeding: every account is tiered, the tiers are spread,
    the US-dollar tenant has its own policy, and one override is there to look at."""
    from accounts.models import AccountTier, TierPolicy

    call_command("run_nightly", stdout=io.StringIO())
    for spec in (HUADONG, PACIFIC):
        tenant = Tenant.objects.get(slug=spec.slug)
        with tenant_context(tenant):
            tiers = set(AccountTier.objects.values_list("tier", flat=True))
            assert AccountTier.objects.count() == ACCOUNTS_PER_TENANT
            assert {"key", "important", "general"} <= tiers
    pacific = Tenant.objects.get(slug=PACIFIC.slug)
    with tenant_context(pacific):
        policy = TierPolicy.objects.get(version=1)
        assert policy.criteria["revenue"]["thresholds"][0] == [70_000, 20]
    huadong = Tenant.objects.get(slug=HUADONG.slug)
    with tenant_context(huadong):
        overridden = AccountTier.objects.exclude(override_tier="").get()
        assert overridden.tier == "strategic" and overridden.override_reason
