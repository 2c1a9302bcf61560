"""One rule for what an actor may see through an account (accounts.account.selectors
.visible_via_account), and the seams that refuse a page or endpoint that forgot it.

Every model with a foreign key to Account — now or added later — must have a visibility selector
registered (kam.visibility), built on visible_via_account, and a row builder here that proves the
selector hides a colleague's account's rows from a manager and shows them to the owner and to the
administrator. Every API viewset of such a model, and every page through kam.lists, is refused
when its queryset did not come through the rule.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from rest_framework.test import APIRequestFactory

from accounts.account.models import Account
from accounts.account.selectors import has_account, visible_via_account
from accounts.contacts.models import Contact
from accounts.contracts.models import Contract
from accounts.figures.models import AccountFigures
from accounts.team.models import AccountTeamMember
from accounts.tiering.models import AccountTier, TierChange
from accounts.tiering.services import tier_policy_ensure
from accounts.transactions.models import Transaction
from care.models import CareReminder
from kam import visibility
from kam.api import TenantViewSet, routes
from kam.lists import get_or_404
from kam.roles import Actor
from kam.tenancy import tenant_context
from tests.factories import make_account
from visits.models import CadenceStatus, FollowUp, Visit

pytestmark = pytest.mark.django_db

# Read only as part of their account (joined to a visible account's row), never listed or
# addressed on their own: no page or endpoint of theirs exists to forget the rule.
READ_THROUGH_THE_ACCOUNT = {AccountFigures, AccountTier}


def _tier_change(account: Account) -> TierChange:
    policy = tier_policy_ensure()
    return TierChange.objects.create(account=account, seq=1, to_tier="key", score=Decimal("61"),
                                     policy=policy, source="computed",
                                     changed_at=datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC))


# One row of each model on a given account (inside its tenant).
BUILDERS: dict[type[models.Model], Callable[[Account, Any], models.Model]] = {
    Account: lambda account, member: account,
    Contact: lambda account, member: Contact.objects.create(account=account, name="Li"),
    Contract: lambda account, member: Contract.objects.create(
        account=account, number=f"K-{account.pk}", title="Deal", value=Decimal(1),
        start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2026, 12, 31)),
    Transaction: lambda account, member: Transaction.objects.create(
        account=account, date=datetime.date(2026, 3, 1), amount=Decimal("10.00")),
    AccountTeamMember: lambda account, member: AccountTeamMember.objects.create(
        account=account, membership=member, team_role="sales"),
    TierChange: lambda account, member: _tier_change(account),
    Visit: lambda account, member: Visit.objects.create(
        account=account, owner=member, level="business", objective="回访",
        planned_start=datetime.datetime(2026, 6, 1, 2, tzinfo=datetime.UTC)),
    FollowUp: lambda account, member: FollowUp.objects.create(
        account=account, owner=member, title="报价", due_on=datetime.date(2026, 6, 30)),
    CadenceStatus: lambda account, member: CadenceStatus.objects.create(
        account=account, level="business", required_per_year=12, state="on_track",
        next_due_on=datetime.date(2026, 7, 1), completed_12m=0, required_12m=0, contact_count=0),
    CareReminder: lambda account, member: CareReminder.objects.create(
        account=account, owner=member, occasion="anniversary", year=2026,
        occurs_on=datetime.date(2026, 6, 30), contract=BUILDERS[Contract](account, member)),
}


def models_with_an_account() -> list[type[models.Model]]:
    return sorted((m for m in apps.get_models() if has_account(m)
                   and getattr(m, "pgh_tracked_model", None) is None),  # audit rows: see below
                  key=lambda m: m._meta.label)


def test_every_model_with_an_account_has_its_rule():
    """The audit trail's event rows are read only through an account found visible first
    (accounts.history); every other model with an account foreign key is either listed here as
    read through its account, or has a registered selector and a builder below."""
    registered = visibility.selectors()
    missing = [m._meta.label for m in models_with_an_account()
               if m not in READ_THROUGH_THE_ACCOUNT and (m not in registered or m not in BUILDERS)]
    assert missing == [], ("register a selector built on visible_via_account "
                           "(kam.visibility.register_selector) and add a builder to this test: "
                           + ", ".join(missing))
    assert {Account, Contact, Contract, Transaction, AccountTeamMember, TierChange} <= set(
        registered)


@pytest.mark.parametrize("model", [m for m in BUILDERS if m is not Account],
                         ids=lambda m: m.__name__)
def test_each_selector_shows_what_the_actor_may_see(model, tenant_a, admin_a, manager_a,
                                                    manager2_a, tenant_b, admin_b):
    own = make_account(tenant_a, "Own", owner=manager_a)
    colleagues = make_account(tenant_a, "Colleague's", owner=manager2_a)
    team = make_account(tenant_a, "On the team", owner=manager2_a)
    theirs = make_account(tenant_b, "Other tenant", owner=admin_b)
    with tenant_context(tenant_a):
        AccountTeamMember.objects.create(account=team, membership=manager_a, team_role="service")
        rows = {name: BUILDERS[model](account, manager2_a if model is AccountTeamMember
                                      else manager_a).pk
                for name, account in (("own", own), ("colleagues", colleagues), ("team", team))}
    with tenant_context(tenant_b):
        BUILDERS[model](theirs, admin_b)
    selector = visibility.selectors()[model]
    for actor, expected in ((Actor(tenant=tenant_a, membership=manager_a), {"own", "team"}),
                            (Actor(tenant=tenant_a, membership=admin_a),
                             {"own", "colleagues", "team"})):
        with tenant_context(tenant_a):
            qs = selector(actor=actor)
            assert visibility.rule_of(qs) is not None
            seen = set(qs.filter(pk__in=rows.values()).values_list("pk", flat=True))
            if model is AccountTeamMember:  # the manager's own team row comes along
                seen = {pk for pk in seen if pk in rows.values()}
            assert {name for name, pk in rows.items() if pk in seen} == expected, actor
            assert not qs.exclude(pk__in=seen).exclude(pk__in=rows.values()).filter(
                **{"account__tenant": tenant_b}).exists()


def test_every_api_viewset_of_such_a_model_applies_the_rule(tenant_a, manager_a):
    """Each registered viewset's queryset, for a manager, carries the rule's mark."""
    request = APIRequestFactory().get("/api/v1/")
    request.auth = Actor(tenant=tenant_a, membership=manager_a)
    checked = []
    routes.urlpatterns()  # imports every app's api module (as the URLconf does)
    with tenant_context(tenant_a):
        for prefix, viewset, _basename in routes.registered():
            view = viewset(request=request, kwargs={}, format_kwarg=None, action="list")
            qs = view.get_queryset()
            if visibility.needs_rule(qs.model):
                assert (visibility.rule_of(qs) or "").startswith("account:"), prefix
                checked.append(prefix)
    assert {"accounts", "contacts", "contracts", "transactions", "account-team",
            "tier-changes", "visits", "follow-ups"} <= set(checked)


def test_a_queryset_without_the_rule_is_refused(tenant_a, manager_a):
    class Forgetful(TenantViewSet):
        model = Contact

        def scoped_queryset(self, actor):
            return Contact.objects.all()  # no visible_via_account

    request = APIRequestFactory().get("/api/v1/")
    request.auth = Actor(tenant=tenant_a, membership=manager_a)
    with tenant_context(tenant_a):
        with pytest.raises(visibility.UnscopedQuerysetError):
            Forgetful(request=request, kwargs={}, format_kwarg=None).get_queryset()
        with pytest.raises(visibility.UnscopedQuerysetError):
            get_or_404(Contact.objects.all(), pk=1)
        # The mark survives what pages do with a queryset.
        marked = visible_via_account(Contact.objects.all(), actor=request.auth)
        assert visibility.rule_of(marked.filter(name="x").select_related("account")
                                  .order_by("name")) == "account:own"
        with pytest.raises(Contact.DoesNotExist):
            marked.get(pk=1)
