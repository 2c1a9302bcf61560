from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accounts.demo import ACCOUNTS_PER_TENANT, HUADONG, PACIFIC
from accounts.models import Account
from accounts.validators import validate_uscc
from kam.models import Membership, Tenant
from kam.roles import Role

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int, int]:
    from django.contrib.auth import get_user_model

    return (Tenant.objects.count(), get_user_model().objects.count(),
            Membership.unscoped_all_tenants.count(), Account.unscoped_all_tenants.count())


def test_seed_demo_is_idempotent_and_realistic():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    first = counts()
    assert first[0] == 2 and first[3] == 2 * ACCOUNTS_PER_TENANT
    assert "kam-demo-2026" in out.getvalue() and "zhang.wei" in out.getvalue()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first

    for spec in (HUADONG, PACIFIC):
        tenant = Tenant.objects.get(slug=spec.slug)
        assert tenant.default_language == spec.language
        roles = sorted(Membership.unscoped_all_tenants.filter(tenant=tenant)
                       .values_list("role", flat=True))
        assert roles.count(Role.ADMIN) == 1 and roles.count(Role.MANAGER) == 2
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
