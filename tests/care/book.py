"""A hand-made fixture of the care tests: tenant A (Chinese by default) with a Chinese-language
account owned by manager A, an English-language one, one without an owner, their contacts with
solar, lunar and leap-month birthdays, one who opted out, one who left, and contracts."""

from __future__ import annotations

import datetime
from decimal import Decimal

from accounts.models import Account, Contact, Contract
from kam.models import Membership, Tenant
from kam.tenancy import tenant_context
from tests.factories import make_account

D = datetime.date


def contact(account: Account, name: str, birthday: datetime.date | None = None, *,
            lunar: bool = False, leap: bool = False, **fields) -> Contact:
    with tenant_context(account.tenant):
        return Contact.objects.create(tenant=account.tenant, account=account, name=name,
                                      birthday=birthday, birthday_is_lunar=lunar,
                                      birthday_lunar_leap=leap, **fields)


def contract(account: Account, number: str, start: datetime.date, status: str = "active"
             ) -> Contract:
    with tenant_context(account.tenant):
        return Contract.objects.create(tenant=account.tenant, account=account, number=number,
                                       title="框架协议", start_date=start,
                                       end_date=start + datetime.timedelta(days=3 * 365),
                                       value=Decimal("100000.00"), status=status)


def book(tenant: Tenant, owner: Membership) -> dict:
    chinese = make_account(tenant, "华东精密", owner=owner)  # language: the company's (Chinese)
    english = make_account(tenant, "Pacific Trading", owner=owner, language="other")
    orphan = make_account(tenant, "无主客户", owner=None)
    return {
        "chinese": chinese, "english": english, "orphan": orphan,
        # 2026-06-17, two days after the frozen Monday 2026-06-15
        "solar": contact(chinese, "王建国", D(1980, 6, 17)),
        # lunar 五月初三: 2026-06-17 (端午, 五月初五, is 2026-06-19)
        "lunar": contact(chinese, "李秀英", D(1975, 5, 3), lunar=True),
        # lunar 闰六月十五: 2025-08-08 in 2025 (which has 闰六月), 2026-07-28 in 2026
        "leap": contact(english, "Mary Leap", D(1984, 6, 15), lunar=True, leap=True),
        "ordinary": contact(english, "Tom Ordinary", D(1984, 6, 15), lunar=True),
        "opted_out": contact(chinese, "赵不扰", D(1980, 6, 16), care_opt_out=True),
        "left": contact(chinese, "钱已离职", D(1980, 6, 16), is_active=False,
                        left_on=D(2026, 1, 1)),
        "orphaned": contact(orphan, "孙无主", D(1980, 6, 16)),
        "english_contact": contact(english, "Jane Doe", None),
        "anniversary": contract(chinese, "HT-2024-01", D(2024, 6, 16)),
        "new_contract": contract(chinese, "HT-2026-01", D(2026, 6, 16)),
        "draft_contract": contract(chinese, "HT-2023-09", D(2023, 6, 16), status="draft"),
    }
