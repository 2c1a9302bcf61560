"""Tiering on the account pages: the 360° page's tier panel, and the manual override (set, end).

The panel shows the stored tier (``AccountTier``: what the last nightly run or an override set) and
the live breakdown of ``accounts.tiering.tier_breakdowns`` (what the next run will give), so a
person sees both the tier and why. Overrides are for executives and administrators
(``Perm.TIER_OVERRIDE``); the services in ``accounts.tiering`` validate and record them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.figures import tenant_today
from accounts.models import Account, AccountTier, Criterion, Tier
from accounts.selectors import account_list_queryset
from accounts.tier_timeline import tier_label
from accounts.tiering import (
    Breakdown,
    account_tier_state,
    current_policy,
    tier_breakdowns,
    tier_override_clear,
    tier_override_set,
)
from kam.decorators import tenant_page
from kam.jobs import data_as_of
from kam.roles import Actor, Perm

DEFAULT_OVERRIDE_DAYS = 90
PERCENT_CRITERIA = (Criterion.SHARE, Criterion.MARGIN, Criterion.GROWTH)


# --- the 360° page's panel -----------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionRow:
    key: str
    label: str
    enabled: bool
    value: str  # the raw value, formatted for people
    points: Decimal
    weight: int
    contribution: Decimal


@dataclass
class TierPanel:
    state: AccountTier | None  # None: not tiered yet
    breakdown: Breakdown | None  # the live scoring (what the next run gives)
    rows: list[CriterionRow] = field(default_factory=list)
    weight_total: int = 0
    policy_version: int = 0
    tiers_as_of: datetime.datetime | None = None
    figures_as_of: datetime.datetime | None = None
    can_override: bool = False
    override_expired: bool = False  # an override past its date, until the next run ends it
    changed_since_run: bool = False  # the live score or tier differs from the stored one

    @property
    def tier_label(self) -> str:
        return tier_label(self.state.tier) if self.state else ""

    @property
    def computed_label(self) -> str:
        return tier_label(self.state.computed_tier) if self.state else ""

    @property
    def next_computed_label(self) -> str:
        return tier_label(self.breakdown.computed_tier) if self.breakdown else ""

    @property
    def up_label(self) -> str:
        return tier_label(self.breakdown.next_up_tier) if self.breakdown else ""

    @property
    def down_label(self) -> str:
        return tier_label(self.breakdown.next_down_tier) if self.breakdown else ""


def _percent(value: Any) -> str:
    if value is None:
        return "—"
    return f"{formats.number_format(value, 2, use_l10n=True)} %"


def criterion_value(key: str, raw: Any, *, currency: str) -> str:
    """A criterion's raw value as people read it: money with the tenant's currency, percentages,
    an order count, 1–5, a credit letter."""
    if key == Criterion.REVENUE:
        amount = formats.number_format(raw or Decimal(0), 2, use_l10n=True, force_grouping=True)
        return f"{currency} {amount}"
    if key in PERCENT_CRITERIA:
        return _percent(raw)
    if key == Criterion.FREQUENCY:
        count = int(raw or 0)
        return ngettext("%(count)s order", "%(count)s orders", count) % {
            "count": formats.number_format(count, 0, use_l10n=True, force_grouping=True)}
    if key == Criterion.STRATEGIC:
        return "—" if raw is None else f"{raw} / 5"
    if key == Criterion.CREDIT:
        return raw if raw else _("not rated")
    return str(raw)


def tier_panel(*, actor: Actor, account: Account, today: datetime.date) -> TierPanel:
    """Everything the tier panel shows. Four queries: the current policy, the live breakdown, and
    the "data as of" times of the tiering and figures jobs. The stored tier and the override's
    author come joined with the account (``accounts.profile.account_profile_get``)."""
    state = account_tier_state(account)
    policy = current_policy()
    breakdown = tier_breakdowns(account_ids=[account.pk], policy=policy,
                                today=today).get(account.pk)
    panel = TierPanel(state=state, breakdown=breakdown, policy_version=policy.version,
                      tiers_as_of=data_as_of("tiering"), figures_as_of=data_as_of("figures"),
                      can_override=actor.can(Perm.TIER_OVERRIDE))
    if breakdown is not None:
        panel.rows = [
            CriterionRow(key=line.key, label=line.label, enabled=line.enabled,
                         value=criterion_value(line.key, line.raw, currency=actor.tenant.currency),
                         points=line.points, weight=line.weight, contribution=line.contribution)
            for line in breakdown.criteria]
        panel.weight_total = sum(row.weight for row in panel.rows if row.enabled)
    if state is not None:
        panel.override_expired = bool(state.override_tier and state.override_until
                                      and state.override_until < today)
        if breakdown is not None:
            panel.changed_since_run = (state.score != breakdown.score
                                       or state.computed_tier != breakdown.computed_tier)
    return panel


# --- manual override -----------------------------------------------------------------------------


class TierOverrideForm(forms.Form):
    """Parsing only; the rules (reason required, expiry not past, at most three years) live in
    ``accounts.tiering.tier_override_set``."""

    tier = forms.ChoiceField(label=gettext_lazy("Tier"), choices=Tier.choices)
    reason = forms.CharField(label=gettext_lazy("Reason for the override"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3}))
    until = forms.DateField(
        label=gettext_lazy("Last day of the override"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("The override holds through this day; after it the account "
                               "returns to its computed tier."))

    def add_service_errors(self, exc: ValidationError) -> None:
        for name, msgs in exc.message_dict.items():
            for msg in msgs:
                self.add_error(name if name in self.fields else None, msg)


def _get_account(request: HttpRequest, account_id: int) -> Account:
    """A visible account (like the other account pages) with its tier state; 404 otherwise,
    another tenant's account included."""
    try:
        return (account_list_queryset(actor=request.actor)
                .select_related("tier_state__override_by__user").get(pk=account_id))
    except Account.DoesNotExist as exc:
        raise Http404 from exc


def _detail_url(account: Account) -> str:
    return reverse("account-detail", args=[account.pk]) + "#tier"


@tenant_page(Perm.TIER_OVERRIDE)
def tier_override_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _get_account(request, account_id)
    state = account_tier_state(account)
    today = tenant_today(request.actor.tenant)
    context: dict[str, Any] = {"account": account, "state": state, "today": today}
    if request.method == "POST":
        form = TierOverrideForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                state = tier_override_set(account=account, tier=data["tier"],
                                          reason=data["reason"], until=data["until"],
                                          by=request.actor.membership)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _(
                    "%(account)s is now %(tier)s until %(until)s (override).") % {
                    "account": account.name, "tier": tier_label(state.tier),
                    "until": formats.date_format(state.override_until, "SHORT_DATE_FORMAT")})
                return redirect(_detail_url(account))
        return render(request, "accounts/account_tier_override.html",
                      {**context, "form": form}, status=400)
    if state is not None and state.override_tier:
        initial = {"tier": state.override_tier, "reason": state.override_reason,
                   "until": state.override_until}
    else:
        initial = {"tier": state.computed_tier if state else Tier.GENERAL,
                   "until": today + datetime.timedelta(days=DEFAULT_OVERRIDE_DAYS)}
    return render(request, "accounts/account_tier_override.html",
                  {**context, "form": TierOverrideForm(initial=initial)})


@tenant_page(Perm.TIER_OVERRIDE)
def tier_override_end_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _get_account(request, account_id)
    state = account_tier_state(account)
    active = state is not None and bool(state.override_tier)
    if request.method == "POST":
        if active:
            state = tier_override_clear(account=account, by=request.actor.membership)
            messages.success(request, _(
                "The override of %(account)s ended: it is %(tier)s again, its computed tier.")
                % {"account": account.name, "tier": tier_label(state.tier)})
        else:
            messages.info(request, _("%(account)s has no override to end.") % {
                "account": account.name})
        return redirect(_detail_url(account))
    return render(request, "accounts/account_tier_override_end.html", {
        "account": account, "state": state, "active": active,
        "computed_label": tier_label(state.computed_tier) if state else "",
    })
