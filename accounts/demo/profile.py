"""Demo profile of each account: contacts at the three levels (with gaps), the account team,
24 months of seasonal transactions (growing, fading and churned accounts, refunds, one account
worth ~30 % of the tenant's revenue), contracts with a few renewals due, and the derived figures.
Keyed by external_id (and (account, member) for the team) so a second run is a no-op; see
accounts.demo for the tenants, members and accounts it builds on.
"""

from __future__ import annotations

import calendar
import datetime
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from accounts.account.models import Account, DevelopmentStage, LifecycleStatus
from accounts.contacts.models import BuyingRole, Contact, ContactLevel
from accounts.contracts.models import Contract, ContractStatus
from accounts.figures.services import figures_recompute
from accounts.team.models import AccountTeamMember, TeamRole
from accounts.transactions.models import Transaction
from kam import clock
from kam.models import Membership, Tenant
from kam.roles import Role
from kam.tenancy import tenant_context

if TYPE_CHECKING:
    from accounts.demo.services import DemoTenant


# --- the profile: contacts, team, transactions, contracts, figures -------------------------------

CN_SURNAMES = [("张", "zhang"), ("王", "wang"), ("李", "li"), ("刘", "liu"), ("陈", "chen"),
               ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
               ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"),
               ("郭", "guo"), ("何", "he"), ("林", "lin"), ("高", "gao"), ("罗", "luo"),
               ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"),
               ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"), ("彭", "peng")]
CN_GIVEN = [("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"),
            ("磊", "lei"), ("强", "qiang"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"),
            ("艳", "yan"), ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"),
            ("秀英", "xiuying"), ("建华", "jianhua"), ("志强", "zhiqiang"), ("晓东", "xiaodong"),
            ("海燕", "haiyan"), ("丽娟", "lijuan"), ("国庆", "guoqing"), ("文博", "wenbo"),
            ("子涵", "zihan"), ("雨萱", "yuxuan"), ("俊杰", "junjie"), ("浩然", "haoran"),
            ("欣怡", "xinyi"), ("立新", "lixin"), ("春梅", "chunmei"), ("建国", "jianguo"),
            ("慧敏", "huimin")]
EN_FIRST = ["Aaron", "Amelia", "Benjamin", "Chloe", "David", "Elena", "Farid", "Hannah",
            "Isaac", "Jasmine", "Kevin", "Laura", "Marcus", "Nadia", "Oscar", "Priya", "Rachel",
            "Samuel", "Tanya", "Victor", "Wei Ling", "Yusuf", "Zara", "Arjun", "Mei", "Thomas",
            "Siti", "Ethan", "Nur", "Lucas"]
EN_LAST = ["Tan", "Lim", "Ng", "Wong", "Smith", "Brown", "Nguyen", "Tran", "Santos", "Reyes",
           "Patel", "Singh", "Rahman", "Ismail", "Park", "Lee", "Wilson", "Taylor", "Martin",
           "Hughes", "Clarke", "Fernandez", "Goh", "Chua", "Ong", "Suzuki", "Kaur", "Hassan",
           "Murphy", "Evans"]
# (title, department) per level; the first leadership and business titles decide purchases.
CN_TITLES = {
    ContactLevel.LEADERSHIP: [("总经理", "总经办"), ("董事长", "董事会"), ("副总经理", "总经办"),
                              ("总裁", "总裁办"), ("运营副总裁", "运营中心")],
    ContactLevel.TECHNICAL: [("技术经理", "技术部"), ("研发总监", "研发中心"), ("质量经理", "质量部"),
                             ("工艺工程师", "工艺部"), ("设备主管", "设备部"), ("首席技术官", "研发中心")],
    ContactLevel.BUSINESS: [("采购总监", "采购部"), ("采购经理", "采购部"), ("采购专员", "采购部"),
                            ("供应链经理", "供应链管理部"), ("财务经理", "财务部"), ("物流主管", "物流部")],
}
EN_TITLES = {
    ContactLevel.LEADERSHIP: [("Managing Director", "Management"), ("Chief Executive Officer",
                              "Management"), ("Chief Operating Officer", "Operations"),
                              ("General Manager", "Management"), ("VP Operations", "Operations")],
    ContactLevel.TECHNICAL: [("Engineering Manager", "Engineering"), ("R&D Director", "R&D"),
                             ("Quality Manager", "Quality"), ("Process Engineer", "Engineering"),
                             ("Maintenance Lead", "Maintenance"), ("Chief Technology Officer",
                                                                   "R&D")],
    ContactLevel.BUSINESS: [("Procurement Director", "Procurement"), ("Purchasing Manager",
                            "Procurement"), ("Buyer", "Procurement"), ("Supply Chain Manager",
                            "Supply Chain"), ("Finance Manager", "Finance"),
                            ("Logistics Lead", "Logistics")],
}
CN_PRODUCT_LINES = ["精密轴承", "伺服电机", "数控刀具", "液压元件", "传感器", "工业连接器"]
EN_PRODUCT_LINES = ["Connectors", "Power modules", "Sensors", "Cable assemblies", "Passives",
                    "Motion control"]
# Monthly seasonality: the Spring Festival dip (Jan/Feb), the National Day week (Oct), Q4 peaks.
CN_SEASON = {1: 0.85, 2: 0.45, 3: 1.0, 4: 1.0, 5: 0.95, 6: 1.05, 7: 0.95, 8: 0.95, 9: 1.1,
             10: 0.95, 11: 1.25, 12: 1.35}
EN_SEASON = {1: 0.85, 2: 0.85, 3: 1.05, 4: 0.95, 5: 1.0, 6: 1.05, 7: 0.95, 8: 0.9, 9: 1.1,
             10: 1.15, 11: 1.25, 12: 1.2}
CN_CONTRACT_TITLES = {"frame": "年度采购框架协议", "service": "技术服务协议",
                      "spares": "备品备件供应合同", "expansion": "新产线配套供货协议"}
EN_CONTRACT_TITLES = {"frame": "Annual supply framework agreement",
                      "service": "Technical service agreement",
                      "spares": "Spare parts supply contract",
                      "expansion": "New production line supply agreement"}
MONTHS = 24
CENT = Decimal("0.01")


@dataclass(frozen=True)
class _Plan:
    """How an account buys: monthly level, yearly growth, orders per month, margin rate."""

    base: float
    growth: float
    orders: float
    margin: float
    stopped_months_ago: int | None  # churned: no orders in the last N months
    product_lines: tuple[str, ...]


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _minus_months(day: datetime.date, months: int) -> datetime.date:
    """day - interval 'N months' as PostgreSQL computes it (clamped to the month's last day)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _index(account: Account, prefix: str) -> int:
    return int(account.external_id[len(prefix):])


def _is_group(index: int) -> bool:
    return index <= 10  # _account_specs makes the first ten accounts the groups


def _plan(spec: DemoTenant, account: Account, index: int, seed: int) -> _Plan | None:
    if account.lifecycle_status == LifecycleStatus.PROSPECT:
        return None
    rng = random.Random(f"{seed}:{index}:plan")
    chinese = spec.language == "zh-hans"
    base = rng.lognormvariate(math.log(120_000 if chinese else 25_000), 0.7)
    base *= 1 + 0.25 * (account.strategic_value - 3)
    if _is_group(index):
        base *= 2
    growth = {DevelopmentStage.GROWTH: rng.uniform(0.15, 0.6),
              DevelopmentStage.DECLINING: rng.uniform(-0.4, -0.15)}.get(
        account.development_stage, rng.uniform(-0.08, 0.12))
    stopped = None
    if account.lifecycle_status == LifecycleStatus.AT_RISK:
        growth = rng.uniform(-0.6, -0.35)  # fading
    elif account.lifecycle_status == LifecycleStatus.CHURNED:
        growth, stopped = rng.uniform(-0.5, -0.2), rng.randint(4, 11)
    lines = CN_PRODUCT_LINES if chinese else EN_PRODUCT_LINES
    return _Plan(base=base, growth=growth, orders=1.2 + 3.5 * rng.random() + _is_group(index),
                 margin=rng.uniform(0.12, 0.38), stopped_months_ago=stopped,
                 product_lines=tuple(rng.sample(lines, rng.randint(2, 4))))


@dataclass
class _Tx:
    index: int  # the account's
    external_id: str
    date: datetime.date
    amount: float
    margin: float
    product_line: str
    refund_of: str = ""  # external_id of the original


def _transactions(spec: DemoTenant, index: int, plan: _Plan, seed: int,
                  today: datetime.date, *, refunds: bool) -> list[_Tx]:
    season = CN_SEASON if spec.language == "zh-hans" else EN_SEASON
    prefix = f"DEMO-{spec.slug.upper()}-T-{index:04d}"
    rows: list[_Tx] = []
    this_month = today.year * 12 + today.month - 1
    for ago in range(MONTHS - 1, -1, -1):
        year, month0 = divmod(this_month - ago, 12)
        month = month0 + 1
        if plan.stopped_months_ago is not None and ago < plan.stopped_months_ago:
            continue
        # One stream per account and month: a month's orders do not depend on the others.
        rng = random.Random(f"{seed}:{index}:tx:{year}{month:02d}")
        level = (plan.base * (1 + plan.growth) ** (-ago / 12) * season[month]
                 * rng.lognormvariate(0, 0.18))
        count = _poisson(rng, plan.orders)
        if not count:
            continue
        weights = [rng.uniform(0.5, 1.5) for _ in range(count)]
        days = sorted(rng.randint(1, calendar.monthrange(year, month)[1]) for _ in range(count))
        for k, (weight, day) in enumerate(zip(weights, days, strict=True), start=1):
            date = datetime.date(year, month, day)
            amount = max(level * weight / sum(weights), 50.0)
            tx = _Tx(index, f"{prefix}-{year}{month:02d}-{k:02d}", date, amount,
                     amount * plan.margin * rng.uniform(0.8, 1.2),
                     rng.choice(plan.product_lines))
            if date <= today:
                rows.append(tx)
            if refunds and rng.random() < 0.015:
                share = rng.choice([1.0, 0.5, 0.2, 0.1, 0.05])
                refund_day = date + datetime.timedelta(days=rng.randint(3, 28))
                if date <= today and refund_day <= today:
                    rows.append(_Tx(index, f"{tx.external_id}-R", refund_day, -tx.amount * share,
                                    -tx.margin * share, tx.product_line, refund_of=tx.external_id))
    return rows


def _revenue_12m(rows: Iterable[_Tx], today: datetime.date) -> float:
    start = _minus_months(today, 12)  # accounts.figures: date > today - 12 months
    return sum(r.amount for r in rows if start < r.date <= today)


def _plan_transactions(spec: DemoTenant, plans: dict[int, _Plan], seed: int,
                       today: datetime.date, big_index: int) -> list[_Tx]:
    """Every account's transactions; the big account scaled to ~30 % of the last 12 months
    (without refunds, so the scaling is exact)."""
    per_account = {index: _transactions(spec, index, plan, seed, today,
                                        refunds=index != big_index)
                   for index, plan in plans.items()}
    big = per_account.get(big_index)
    if big and _revenue_12m(big, today) > 0:
        others = sum(_revenue_12m(rows, today) for index, rows in per_account.items()
                     if index != big_index)
        share = random.Random(f"{seed}:concentration").uniform(0.28, 0.32)
        factor = share / (1 - share) * others / _revenue_12m(big, today)
        for row in big:
            row.amount *= factor
            row.margin *= factor
    return [row for rows in per_account.values() for row in rows]


def _person(spec: DemoTenant, rng: random.Random) -> tuple[str, str]:
    """A display name and the local part of an e-mail address."""
    if spec.language == "zh-hans":
        (surname, s_py), (given, g_py) = rng.choice(CN_SURNAMES), rng.choice(CN_GIVEN)
        return surname + given, f"{g_py}.{s_py}"
    first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
    return f"{first} {last}", f"{first}.{last}".lower().replace(" ", "")


def _contacts(spec: DemoTenant, tenant: Tenant, account: Account, index: int, seed: int,
              today: datetime.date, big_index: int) -> list[Contact]:
    rng = random.Random(f"{seed}:{index}:contacts")
    chinese = spec.language == "zh-hans"
    titles = CN_TITLES if chinese else EN_TITLES
    strategic = _is_group(index) or account.strategic_value >= 4
    # Gaps on purpose (coverage warnings have something to show): no leadership contact, or
    # nobody who decides. The big account is fully covered.
    no_leadership = index != big_index and (index % 10 == 3 or rng.random() < 0.05)
    no_decider = index != big_index and (index % 11 == 6 or rng.random() < 0.05)
    if account.lifecycle_status == LifecycleStatus.PROSPECT:
        levels = [ContactLevel.BUSINESS] * rng.randint(1, 2)
    else:
        levels = ([] if no_leadership else
                  [ContactLevel.LEADERSHIP] * (2 if strategic and rng.random() < 0.4 else 1))
        levels += [ContactLevel.TECHNICAL] * rng.choice([0, 1, 1, 2, 2 if strategic else 1])
        levels += [ContactLevel.BUSINESS] * rng.randint(1, 3)
    rows: list[Contact] = []
    emails: set[str] = set()
    for n, level in enumerate(levels, start=1):
        name, local = _person(spec, rng)
        title, department = rng.choice(titles[level][:2] if n == 1 else titles[level])
        if level == ContactLevel.LEADERSHIP:
            role = BuyingRole.DECISION_MAKER if n == 1 else BuyingRole.INFLUENCER
            strength = rng.choices([1, 2, 3, 4, 5], weights=[2, 3, 3, 2, 1])[0]
        elif level == ContactLevel.TECHNICAL:
            role = rng.choices([BuyingRole.INFLUENCER, BuyingRole.USER, BuyingRole.CHAMPION],
                               weights=[4, 3, 2])[0]
            strength = rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 3, 3, 2])[0]
        else:
            decides = title == titles[level][0][0] and rng.random() < 0.7
            role = BuyingRole.DECISION_MAKER if decides else rng.choices(
                [BuyingRole.GATEKEEPER, BuyingRole.USER, BuyingRole.INFLUENCER],
                weights=[3, 2, 2])[0]
            strength = rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 3, 3, 2])[0]
        if no_decider and role == BuyingRole.DECISION_MAKER:
            role = BuyingRole.INFLUENCER
        if index == big_index:
            strength = min(strength + 1, 5)
        email = f"{local}@demo-{index:03d}.example.{'cn' if chinese else 'com'}"
        if email in emails:
            email = email.replace("@", f"{n}@")
        emails.add(email)
        # A few contacts left; at some accounts the person who decided did (a risk signal).
        left = rng.random() < 0.06 or (index % 25 == 12 and n == 1)
        birthday = (datetime.date(rng.randint(1962, 1992), rng.randint(1, 12), rng.randint(1, 28))
                    if rng.random() < 0.45 else None)
        rows.append(Contact(
            tenant=tenant, account=account, name=name, title=title, department=department,
            level=level, buying_role=role, relationship_strength=strength,
            phone=(f"1{rng.choice(['38', '39', '58', '86', '35'])} {rng.randint(1000, 9999)} "
                   f"{rng.randint(1000, 9999)}") if chinese
            else f"+65 {rng.randint(8000, 9899)} {rng.randint(1000, 9999)}",
            email=email,
            wechat_id=f"{local.replace('.', '_')}{rng.randint(10, 99)}"
            if chinese and rng.random() < 0.6 else "",
            birthday=birthday,
            birthday_is_lunar=bool(chinese and birthday and rng.random() < 0.3),
            is_active=not left,
            left_on=today - datetime.timedelta(days=rng.randint(15, 400)) if left else None,
            external_id=f"DEMO-{spec.slug.upper()}-C-{index:04d}-{n:02d}",
        ))
    return rows


def _team(tenant: Tenant, account: Account, index: int, seed: int,
          members: dict[str, list[Membership]]) -> list[AccountTeamMember]:
    rng = random.Random(f"{seed}:{index}:team")
    strategic = _is_group(index) or account.strategic_value >= 4
    prospect = account.lifecycle_status == LifecycleStatus.PROSPECT
    chances = {
        TeamRole.SALES: 0.3 if prospect else 0.7 if strategic else 0.15,
        TeamRole.TECHNICAL_SUPPORT: 0.0 if prospect else 0.9 if strategic else 0.4,
        TeamRole.SERVICE: 0.0 if prospect else 0.9 if strategic else 0.35,
        TeamRole.EXECUTIVE_SPONSOR: 1.0 if _is_group(index) else 0.6 if strategic else 0.0,
    }
    rows = [AccountTeamMember(tenant=tenant, account=account, membership=account.owner,
                              team_role=TeamRole.OWNER)]
    used = {account.owner_id}
    for team_role, chance in chances.items():
        candidates = [m for m in members[team_role] if m.pk not in used]
        if candidates and rng.random() < chance:
            member = rng.choice(candidates)
            used.add(member.pk)
            rows.append(AccountTeamMember(tenant=tenant, account=account, membership=member,
                                          team_role=team_role))
    return rows


def _contracts(spec: DemoTenant, tenant: Tenant, account: Account, index: int, seed: int,
               plan: _Plan | None, today: datetime.date) -> list[Contract]:
    rng = random.Random(f"{seed}:{index}:contracts")
    chinese = spec.language == "zh-hans"
    titles = CN_CONTRACT_TITLES if chinese else EN_CONTRACT_TITLES
    yearly = (plan.base if plan else rng.lognormvariate(math.log(
        100_000 if chinese else 20_000), 0.6)) * 12
    day = datetime.timedelta(days=1)
    specs: list[tuple[str, str, datetime.date, datetime.date, int]] = []  # kind, status, start, end, notice
    if plan is None:  # a prospect: perhaps a first agreement in draft
        if rng.random() < 0.5:
            start = today + rng.randint(15, 75) * day
            specs.append(("frame", ContractStatus.DRAFT, start, start + 365 * day, 60))
    elif plan.stopped_months_ago is not None:  # churned: the last contract ended or was ended
        end = today - (plan.stopped_months_ago * 30 + rng.randint(0, 60)) * day
        status = ContractStatus.TERMINATED if rng.random() < 0.3 else ContractStatus.EXPIRED
        specs.append(("frame", status, end - 365 * day, end, 60))
    else:
        notice = rng.choice([30, 60, 90])
        if index % 15 == 7:  # renewal due: inside the notice window
            end = today + rng.randint(5, notice - 5) * day
        else:
            end = today + rng.randint(notice + 20, 540) * day
        start = end - (365 if end - 365 * day < today else 730) * day
        specs.append(("frame", ContractStatus.ACTIVE, start, end, notice))
        if rng.random() < 0.6:
            specs.append(("frame", ContractStatus.EXPIRED, start - 366 * day, start - day, notice))
        if (_is_group(index) or account.strategic_value >= 4) and rng.random() < 0.4:
            s_end = today + rng.randint(120, 700) * day
            specs.append(("service", ContractStatus.ACTIVE, s_end - 730 * day, s_end, 90))
        if rng.random() < 0.12:
            start = today + rng.randint(10, 60) * day
            specs.append((rng.choice(["spares", "expansion"]), ContractStatus.DRAFT, start,
                          start + 365 * day, 60))
    rows = []
    for n, (kind, status, start, end, notice) in enumerate(specs, start=1):
        years = max((end - start).days / 365, 0.5)
        factor = 0.3 if kind == "service" else 1.0
        rows.append(Contract(
            tenant=tenant, account=account,
            number=(f"HT-{index:04d}-{n:02d}" if chinese else f"PCD-{index:04d}-{n:02d}"),
            title=titles[kind], start_date=start, end_date=end,
            value=_money(yearly * years * factor * rng.uniform(0.8, 1.2)),
            payment_terms_days=rng.choice([30, 60, 90] if chinese else [30, 45, 60]),
            status=status, renewal_notice_days=notice,
            external_id=f"DEMO-{spec.slug.upper()}-K-{index:04d}-{n:02d}",
        ))
    return rows


def _missing(model: type, objs: list, prefix: str) -> list:
    """The objects whose external_id is not stored yet (reruns insert nothing)."""
    have = set(model.objects.filter(external_id__startswith=prefix)
               .values_list("external_id", flat=True))
    return [obj for obj in objs if obj.external_id not in have]


@transaction.atomic
def seed_profile(spec: DemoTenant, seed: int, *, today: datetime.date | None = None
                 ) -> dict[str, int]:
    """Contacts, team, transactions and contracts of the tenant's demo accounts, then figures,
    all relative to ``today`` (default: the tenant's today).

    Returns the rows created per table (all zero on a rerun the same day).
    """
    tenant = Tenant.objects.get(slug=spec.slug)
    if today is None:
        today = clock.today(tenant)
    slug = spec.slug.upper()
    prefix = f"DEMO-{slug}-"
    created = dict.fromkeys(("contacts", "team", "transactions", "contracts", "figures"), 0)
    with tenant_context(tenant):
        accounts = {_index(a, prefix): a for a in Account.objects.filter(
            external_id__regex=rf"^{prefix}[0-9]{{4}}$").select_related("owner")}
        by_user = {m.user.username: m for m in Membership.objects.select_related("user")}
        functions = {u.username: u.function for u in spec.users}
        members: dict[str, list[Membership]] = {
            TeamRole.SALES: [m for name, m in by_user.items() if m.role == Role.MANAGER
                             and not functions.get(name)],
            TeamRole.TECHNICAL_SUPPORT: [m for name, m in by_user.items()
                                         if functions.get(name) == TeamRole.TECHNICAL_SUPPORT],
            TeamRole.SERVICE: [m for name, m in by_user.items()
                               if functions.get(name) == TeamRole.SERVICE],
            TeamRole.EXECUTIVE_SPONSOR: [m for m in by_user.values()
                                         if m.role in (Role.EXECUTIVE, Role.ADMIN)],
        }
        for candidates in members.values():
            candidates.sort(key=lambda m: m.user.username)  # rng.choice needs a stable order
        # The concentration: the first group account that is an active customer.
        big_index = min(i for i, a in accounts.items()
                        if _is_group(i) and a.lifecycle_status == LifecycleStatus.ACTIVE)
        plans = {index: plan for index, account in sorted(accounts.items())
                 if (plan := _plan(spec, account, index, seed)) is not None}

        contacts = [c for index, account in sorted(accounts.items())
                    for c in _contacts(spec, tenant, account, index, seed, today, big_index)]
        new_contacts = _missing(Contact, contacts, f"{prefix}C-")
        Contact.objects.bulk_create(new_contacts, batch_size=1000)
        created["contacts"] = len(new_contacts)

        on_team = set(AccountTeamMember.objects.filter(account__in=accounts.values())
                      .values_list("account_id", "membership_id"))
        team = [t for index, account in sorted(accounts.items())
                for t in _team(tenant, account, index, seed, members)
                if (account.pk, t.membership_id) not in on_team]
        AccountTeamMember.objects.bulk_create(team, batch_size=1000)
        created["team"] = len(team)

        contracts = [c for index, account in sorted(accounts.items())
                     for c in _contracts(spec, tenant, account, index, seed, plans.get(index),
                                         today)]
        new_contracts = _missing(Contract, contracts, f"{prefix}K-")
        Contract.objects.bulk_create(new_contracts, batch_size=1000)
        created["contracts"] = len(new_contracts)

        planned = _plan_transactions(spec, plans, seed, today, big_index)
        have = set(Transaction.objects.filter(external_id__startswith=f"{prefix}T-")
                   .values_list("external_id", flat=True))
        account_of = {index: accounts[index] for index in plans}
        originals = [Transaction(
            tenant=tenant, account=account_of[r.index], date=r.date, amount=_money(r.amount),
            gross_margin=_money(r.margin), product_line=r.product_line,
            external_id=r.external_id) for r in planned
            if not r.refund_of and r.external_id not in have]
        Transaction.objects.bulk_create(originals, batch_size=2000)
        pending = [r for r in planned if r.refund_of and r.external_id not in have]
        ids = dict(Transaction.objects.filter(external_id__in=[r.refund_of for r in pending])
                   .values_list("external_id", "id"))
        refunds = [Transaction(
            tenant=tenant, account=account_of[r.index], date=r.date, amount=_money(r.amount),
            gross_margin=_money(r.margin), product_line=r.product_line,
            refund_of_id=ids[r.refund_of], external_id=r.external_id) for r in pending]
        Transaction.objects.bulk_create(refunds, batch_size=2000)
        created["transactions"] = len(originals) + len(refunds)

        created["figures"] = figures_recompute(tenant_id=tenant.pk, today=today)
    return created
