"""Demo data: two tenants with members and 150 accounts each, and each account's profile.

The profile is what the 360° page shows: contacts at the three levels (with gaps: accounts
without a leadership contact or without a decision maker, and a few contacts who left), the
account team, 24 months of transactions up to today (seasonal; growing, fading and churned
accounts; a few refunds; one account worth ~30 % of the tenant's revenue), contracts (a few
renewals due) and the derived figures (accounts.figures).

Idempotent: every row is keyed (tenant slug, username, external_id, (account, member) for the
team), rows that exist are skipped, and figures_recompute writes only changed rows, so a second
run creates and changes nothing. Deterministic: every account draws from its own seeded random
streams, so a row's values do not depend on which other rows exist. Transactions are keyed by
account and month, so a run in a later month adds that month's orders. Bulk inserts (this is a
one-off seeder, not a job) always inside tenant_context with the tenant set on every row.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict, cast

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.account.models import (
    Account,
    CreditRating,
    DevelopmentStage,
    Industry,
    LifecycleStatus,
    RevenueBand,
)
from accounts.account.services import account_create
from accounts.account.validators import USCC_CHARSET, uscc_check_character
from accounts.demo.profile import seed_profile
from accounts.team.models import TeamRole
from kam import clock
from kam.models import Membership, Tenant
from kam.roles import Actor, Role
from kam.services import tenant_create
from kam.tenancy import tenant_context

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DEMO_PASSWORD = "kam-demo-2026"  # noqa: S105 - printed by make demo on purpose
ACCOUNTS_PER_TENANT = 150


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    # What the member does on account teams; "" = an account manager who owns accounts.
    function: str = ""


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    language: str
    time_zone: str
    currency: str
    users: tuple[DemoUser, ...]


HUADONG = DemoTenant(
    slug="huadong", name="华东精密制造有限公司", language="zh-hans", time_zone="Asia/Shanghai",
    currency="CNY",
    users=(
        DemoUser("zhang.wei", "伟", "张", Role.ADMIN),
        DemoUser("li.na", "娜", "李", Role.EXECUTIVE),
        DemoUser("wang.fang", "芳", "王", Role.MANAGER),
        DemoUser("liu.yang", "洋", "刘", Role.MANAGER),
        DemoUser("chen.jie", "杰", "陈", Role.MANAGER, TeamRole.TECHNICAL_SUPPORT),
        DemoUser("zhao.min", "敏", "赵", Role.MANAGER, TeamRole.SERVICE),
    ),
)
PACIFIC = DemoTenant(
    slug="pacific", name="Pacific Components Distribution", language="en",
    time_zone="Asia/Singapore", currency="USD",
    users=(
        DemoUser("olivia.chen", "Olivia", "Chen", Role.ADMIN),
        DemoUser("james.walker", "James", "Walker", Role.EXECUTIVE),
        DemoUser("sophie.turner", "Sophie", "Turner", Role.MANAGER),
        DemoUser("daniel.kim", "Daniel", "Kim", Role.MANAGER),
        DemoUser("ravi.kumar", "Ravi", "Kumar", Role.MANAGER, TeamRole.TECHNICAL_SUPPORT),
        DemoUser("grace.tan", "Grace", "Tan", Role.MANAGER, TeamRole.SERVICE),
    ),
)
# One person in both tenants, to show the tenant switcher.
SHARED_MEMBER = ("li.na", PACIFIC.slug, Role.EXECUTIVE)

CN_REGIONS = [  # province, city, region code (GB/T 2260)
    ("上海市", "浦东新区", "310115"), ("江苏省", "苏州", "320500"), ("江苏省", "无锡", "320200"),
    ("江苏省", "南京", "320100"), ("浙江省", "杭州", "330100"), ("浙江省", "宁波", "330200"),
    ("广东省", "深圳", "440300"), ("广东省", "广州", "440100"), ("广东省", "东莞", "441900"),
    ("山东省", "青岛", "370200"), ("北京市", "海淀区", "110108"), ("湖北省", "武汉", "420100"),
    ("四川省", "成都", "510100"), ("安徽省", "合肥", "340100"), ("福建省", "厦门", "350200"),
    ("天津市", "滨海新区", "120116"), ("重庆市", "两江新区", "500112"), ("河南省", "郑州", "410100"),
]
CN_BRANDS = ["华瑞", "恒通", "鼎盛", "远航", "中联", "天成", "宏达", "新锐", "博远", "金桥",
             "瑞丰", "海川", "嘉禾", "东方", "精工", "汇能", "启明", "长青", "卓越", "星河",
             "永泰", "安德", "润邦", "科威", "明阳", "拓普", "盛世", "联创", "华晨", "凯达"]
CN_TRADES = {
    Industry.AUTOMOTIVE: ["汽车零部件", "新能源汽车", "汽车电子"],
    Industry.ELECTRONICS: ["电子科技", "半导体", "光电"],
    Industry.MACHINERY: ["机械", "智能装备", "精密机床"],
    Industry.ENERGY: ["能源", "光伏科技", "电力设备"],
    Industry.CHEMICALS: ["化工", "新材料", "高分子材料"],
    Industry.HEALTHCARE: ["医疗器械", "生物医药"],
    Industry.CONSTRUCTION: ["建设工程", "建材"],
    Industry.LOGISTICS: ["物流", "供应链管理"],
    Industry.FOOD: ["食品", "农业科技"],
    Industry.TELECOM: ["通信技术", "信息技术"],
}
CN_SUFFIXES = ["有限公司", "股份有限公司", "科技有限公司"]

EN_REGIONS = [
    ("Singapore", "Singapore"), ("Selangor", "Shah Alam"), ("Kuala Lumpur", "Kuala Lumpur"),
    ("Bangkok", "Bangkok"), ("Ho Chi Minh City", "Ho Chi Minh City"), ("Jakarta", "Jakarta"),
    ("New South Wales", "Sydney"), ("Victoria", "Melbourne"), ("Guangdong", "Shenzhen"),
    ("Penang", "George Town"), ("Metro Manila", "Makati"), ("Gyeonggi", "Suwon"),
]
EN_BRANDS = ["Northwind", "Bluewater", "Summit", "Harbor", "Ironbridge", "Meridian", "Crescent",
             "Pinnacle", "Redwood", "Silverline", "Apex", "Coral", "Evergreen", "Horizon",
             "Lighthouse", "Orion", "Sterling", "Trident", "Vantage", "Keystone", "Monsoon",
             "Sapphire", "Titan", "Delta", "Falcon"]
EN_TRADES = {
    Industry.AUTOMOTIVE: ["Automotive Systems", "Motor Parts"],
    Industry.ELECTRONICS: ["Electronics", "Semiconductor Assembly", "Circuit Works"],
    Industry.MACHINERY: ["Machinery", "Automation", "Industrial Equipment"],
    Industry.ENERGY: ["Power Solutions", "Solar Energy"],
    Industry.RETAIL: ["Retail Group", "Consumer Products"],
    Industry.LOGISTICS: ["Logistics", "Freight Services"],
    Industry.HEALTHCARE: ["Medical Devices", "Healthcare"],
    Industry.TELECOM: ["Networks", "Telecom"],
    Industry.FOOD: ["Foods", "Agritech"],
}
EN_SUFFIXES = ["Pte Ltd", "Sdn Bhd", "Co., Ltd.", "Pty Ltd", "Inc."]


def _uscc(rng: random.Random, region: str) -> str:
    body = "91" + region + "".join(rng.choice(USCC_CHARSET) for _ in range(9))
    return body + uscc_check_character(body)


def _ensure_user(spec: DemoUser) -> User:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=spec.username,
        defaults={"first_name": spec.first_name, "last_name": spec.last_name,
                  "email": f"{spec.username}@demo.kam.example"},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _ensure_membership(tenant: Tenant, user: User, role: str) -> Membership:
    with tenant_context(tenant):
        membership, _ = Membership.objects.get_or_create(user=user, defaults={"role": role,
                                                                               "tenant": tenant})
        return membership


def _account_specs(spec: DemoTenant, rng: random.Random) -> list[dict]:
    chinese = spec.language == "zh-hans"
    trades = CN_TRADES if chinese else EN_TRADES
    brands = CN_BRANDS if chinese else EN_BRANDS
    rows: list[dict] = []
    used: set[str] = set()
    groups = 10
    for i in range(ACCOUNTS_PER_TENANT):
        industry = rng.choice(list(trades))
        brand = rng.choice(brands)
        trade = rng.choice(trades[industry])
        is_group = i < groups
        for _attempt in range(50):
            if chinese:
                province, city, region = rng.choice(CN_REGIONS)
                if is_group:
                    name = f"{brand}{trade}集团有限公司"
                else:
                    name = f"{city}{brand}{trade}{rng.choice(CN_SUFFIXES)}"
            else:
                province, city = rng.choice(EN_REGIONS)
                region = ""
                name = (f"{brand} {trade} Group" if is_group
                        else f"{brand} {trade} {rng.choice(EN_SUFFIXES)}")
            if name not in used:
                break
            brand = rng.choice(brands)
        used.add(name)
        stage = rng.choices(list(DevelopmentStage), weights=[4, 5, 1])[0]
        status = rng.choices(list(LifecycleStatus), weights=[1, 12, 2, 1])[0]
        rows.append({
            "external_id": f"DEMO-{spec.slug.upper()}-{i + 1:04d}",
            "name": name,
            "short_name": (brand + trade[:2]) if chinese else brand,
            "unified_social_credit_code": _uscc(rng, region) if region else "",
            "industry": industry,
            "province": province,
            "city": city,
            "employee_count": rng.choice([80, 150, 320, 600, 1200, 2500, 5000, 12000, 30000]),
            "annual_revenue_band": rng.choice(list(RevenueBand)),
            "development_stage": stage,
            "lifecycle_status": status,
            "strategic_value": 5 if is_group else rng.choices([1, 2, 3, 4, 5],
                                                              weights=[1, 3, 5, 3, 1])[0],
            "credit_rating": rng.choices(list(CreditRating), weights=[5, 8, 3, 1])[0],
            "business_scope": ("生产、销售" + trade + "相关产品及技术服务。") if chinese
            else f"Manufacture and distribution of {trade.lower()} products and services.",
            "is_group": is_group,
        })
    return rows


@transaction.atomic
def seed_tenant(spec: DemoTenant, seed: int) -> tuple[Tenant, int]:
    """Create the tenant, its members and accounts if missing. Returns (tenant, accounts created)."""
    tenant = Tenant.objects.filter(slug=spec.slug).first() or tenant_create(
        name=spec.name, slug=spec.slug, default_language=spec.language,
        time_zone=spec.time_zone, currency=spec.currency)
    members = {u.username: _ensure_membership(tenant, _ensure_user(u), u.role)
               for u in spec.users}
    admin = next(m for m in members.values() if m.role == Role.ADMIN)
    # Accounts are owned by the account managers; support and service staff join teams only.
    managers = [members[u.username] for u in spec.users
                if u.role == Role.MANAGER and not u.function]
    rng = random.Random(seed)
    created = 0
    with tenant_context(tenant):
        actor = Actor(tenant=tenant, membership=admin)
        existing = set(Account.objects.exclude(external_id="").values_list("external_id",
                                                                           flat=True))
        groups: list[Account] = []
        for row in _account_specs(spec, rng):
            is_group = row.pop("is_group")
            owner = managers[0] if is_group else rng.choice(managers)
            parent = rng.choice(groups) if groups and not is_group and rng.random() < 0.25 \
                else None
            if row["external_id"] in existing:
                if is_group:
                    groups.append(Account.objects.get(external_id=row["external_id"]))
                continue
            account = account_create(actor=actor, data={**row, "owner": owner, "parent": parent})
            created += 1
            if is_group:
                groups.append(account)
        _ensure_policy(spec, admin)
    return tenant, created


class _Cutoffs(TypedDict):
    """accounts.tiering.policy.DEFAULT_CUTOFFS: the cutoff arguments of tier_policy_save."""

    cutoff_strategic: Decimal
    cutoff_key: Decimal
    cutoff_important: Decimal
    hysteresis: Decimal


def _ensure_policy(spec: DemoTenant, admin: Membership) -> None:
    """A tenant billing in US dollars gets the built-in policy with its revenue steps in USD."""
    from accounts.tiering.models import TierPolicy
    from accounts.tiering.policy import DEFAULT_CUTOFFS, default_criteria
    from accounts.tiering.services import tier_policy_save

    if spec.currency != "USD" or TierPolicy.objects.exists():
        return
    criteria = default_criteria()
    criteria["revenue"]["thresholds"] = [[70_000, 20], [150_000, 40], [700_000, 60],
                                         [1_500_000, 80], [7_000_000, 100]]
    cutoffs = cast(_Cutoffs, DEFAULT_CUTOFFS)  # exactly these four keys
    tier_policy_save(criteria=criteria, **cutoffs, created_by=admin,
                     note="Revenue steps in USD (the built-in defaults are in CNY).")


# What other apps add to the demo (their visits, reminders …), each called per demo tenant after
# its profile: ``step(tenant=…, language=…, seed=…, today=…)``, registered from their ready().
DemoStep = Callable[..., dict[str, int]]
_DEMO_STEPS: list[DemoStep] = []


def register_demo_step(step: DemoStep) -> DemoStep:
    if step not in _DEMO_STEPS:
        _DEMO_STEPS.append(step)
    return step


def seed_demo(*, today: datetime.date | None = None) -> dict[str, int]:
    """Seed both demo tenants. The profile (transactions, contracts, contacts who left, the
    override's expiry) is built relative to ``today`` — by default each tenant's own today
    (kam.clock) — so the demo looks the same whichever day it is seeded on."""
    result = {}
    for seed, spec in enumerate((HUADONG, PACIFIC), start=2026):
        tenant, created = seed_tenant(spec, seed)
        result[tenant.slug] = created
    username, slug, role = SHARED_MEMBER
    _ensure_membership(Tenant.objects.get(slug=slug), get_user_model().objects.get(
        username=username), role)
    for seed, spec in enumerate((HUADONG, PACIFIC), start=2026):
        seed_profile(spec, seed, today=today)
    _ensure_override(Tenant.objects.get(slug=HUADONG.slug), today=today)
    for step in _DEMO_STEPS:
        for seed, spec in enumerate((HUADONG, PACIFIC), start=2026):
            step(tenant=Tenant.objects.get(slug=spec.slug), language=spec.language, seed=seed,
                 today=today)
    return result


def _ensure_override(tenant: Tenant, *, today: datetime.date | None) -> None:
    """One manual tier in the Chinese demo, so the override and its reason show on a 360° page."""
    from accounts.tiering.models import AccountTier
    from accounts.tiering.services import tier_override_set

    with tenant_context(tenant):
        if AccountTier.objects.exclude(override_tier="").exists():
            return
        account = Account.objects.filter(parent__isnull=False).order_by("external_id").first()
        executive = Membership.objects.filter(role=Role.EXECUTIVE).first()
        if account is None:
            return
        tier_override_set(account=account, tier="strategic",
                          reason="集团框架协议谈判中，按战略客户配置服务资源",
                          until=(today or clock.today(tenant)) + datetime.timedelta(days=90), by=executive,
                          today=today)


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, tenant, role) for the printout."""
    rows = []
    for spec in (HUADONG, PACIFIC):
        for user in spec.users:
            rows.append((user.username, spec.name, user.role))
    rows.append((SHARED_MEMBER[0], PACIFIC.name, SHARED_MEMBER[2]))
    return rows
