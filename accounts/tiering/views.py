"""Pages of the tiering policy (分级标准) and of the manual override of an account's tier.

Every member reads the policy and its versions; administrators (standards.manage) edit it. The
form previews a draft with ``tier_preview`` (the nightly job's SQL, nothing written) and saves it
through ``tier_policy_save_previewed``: only the values that were previewed (a signed digest of
them travels with the preview) and only if nobody saved another version since the form was opened
(its ``base_version``). Overrides (executives, administrators) are set and ended on the account.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.account.models import Account
from accounts.account.selectors import account_list_queryset
from accounts.tiering.forms import PolicyForm, TierOverrideForm, credit_label
from accounts.tiering.models import TIERS_DESC, Criterion, Tier, TierPolicy, tier_label
from accounts.tiering.policy import CREDIT_KEYS
from accounts.tiering.selectors import (
    PREVIEW_MOVER_LIMIT,
    Preview,
    account_tier_state,
    current_policy,
    default_policy,
    draft_policy,
    policy_versions,
    tier_distribution,
    tier_preview,
)
from accounts.tiering.services import (
    PolicyPreviewMismatch,
    PolicyVersionConflict,
    policy_digest,
    tier_override_check,
    tier_override_clear,
    tier_override_set,
    tier_policy_save_previewed,
)
from kam import clock
from kam.decorators import tenant_page
from kam.jobs import data_as_of
from kam.lists import get_or_404, page_of, rule_errors
from kam.roles import Perm

VERSION_PAGE_SIZE = 20
RUN_NOW_COMMAND = "manage.py run_nightly --job tiering"
PREVIEW_LIMIT = PREVIEW_MOVER_LIMIT  # movers listed; "… and N more" beyond
DEFAULT_OVERRIDE_DAYS = 90


# --- showing a policy ---------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    """A policy number as people write it: 500,000 · 0.5 · 80."""
    number = Decimal(str(value))
    number = (number.quantize(Decimal(1)) if number == number.to_integral_value()
              else number.normalize())
    return number_format(number, force_grouping=True)


@dataclass
class CriterionRow:
    key: str
    label: str
    enabled: bool
    weight: int
    steps: list[tuple[str, str]]   # (≥ value, points), numeric criteria
    credit: list[tuple[str, str]]  # (grade, points), the credit rating


def policy_rows(policy: TierPolicy) -> list[CriterionRow]:
    rows = []
    for key, label in Criterion.choices:
        spec = policy.criteria.get(key, {})
        steps = [(_fmt(v), _fmt(p)) for v, p in spec.get("thresholds", [])]
        credit = [(credit_label(g), _fmt(spec["points"][g])) for g in CREDIT_KEYS
                  if g in spec.get("points", {})]
        rows.append(CriterionRow(key=key, label=str(label), enabled=bool(spec.get("enabled")),
                                 weight=int(spec.get("weight", 0)), steps=steps, credit=credit))
    return rows


def cutoff_rows(policy: TierPolicy) -> list[tuple[str, str, str]]:
    """(tier, translated name, "score ≥ x" / "score < x") highest first."""
    labels = dict(Tier.choices)
    rows = [(tier, str(labels[tier]), "≥ " + _fmt(policy.cutoff(tier))) for tier in TIERS_DESC[:3]]
    rows.append((Tier.GENERAL, str(labels[Tier.GENERAL]), "< " + _fmt(policy.cutoff_important)))
    return rows


def _policy_context(policy: TierPolicy) -> dict[str, Any]:
    return {"policy": policy, "criteria_rows": policy_rows(policy),
            "cutoffs": cutoff_rows(policy), "hysteresis": _fmt(policy.hysteresis)}




@tenant_page()
def policy_page(request: HttpRequest) -> HttpResponse:
    page = page_of(request, policy_versions(), order=("-version",), size=VERSION_PAGE_SIZE)
    if not page.has_previous:  # the first page starts with the current version
        policy = page.items[0] if page.items else default_policy()
    else:
        policy = current_policy()
    distribution = tier_distribution()
    return render(request, "accounts/tiering/policy.html", {
        **_policy_context(policy),
        "page": page,
        "distribution": distribution,
        "tiered_total": sum(n for _tier, _label, n in distribution),
        "data_as_of": data_as_of("tiering"),
        "can_manage": request.actor.can(Perm.STANDARDS_MANAGE),
    })


@tenant_page()
def policy_version_page(request: HttpRequest, version: int) -> HttpResponse:
    policy = get_or_404(policy_versions(), version=version)
    return render(request, "accounts/tiering/version.html", {
        **_policy_context(policy), "is_current": policy.version == current_policy().version,
    })


# --- editing a policy ---------------------------------------------------------------------------


def _preview_context(preview: Preview) -> dict[str, Any]:
    labels = dict(Tier.choices)
    not_tiered = _("Not tiered yet")

    def name(tier: str | None) -> str:
        return str(labels[tier]) if tier else not_tiered

    rows = []
    for prev in preview.from_tiers:
        counts = preview.matrix[prev]
        rows.append({"key": prev, "label": name(prev), "total": sum(counts.values()),
                     "cells": [{"to": to, "count": counts[to], "diagonal": prev == to}
                               for to in TIERS_DESC]})
    totals = [sum(preview.matrix[prev][to] for prev in preview.from_tiers) for to in TIERS_DESC]
    movers = [{"account_id": m.account_id, "name": m.name, "from": name(m.from_tier),
               "to": name(m.to_tier), "prev_score": m.prev_score, "score": m.score}
              for m in preview.movers]
    return {"preview": preview, "matrix_rows": rows, "matrix_columns": [name(t) for t in TIERS_DESC],
            "matrix_totals": totals, "movers": movers,
            "more_movers": max(0, preview.mover_count - len(preview.movers))}


def _int_or_none(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 <= number < 2**31 else None


def _stale_notice(version: int) -> str:
    return _("Someone saved version %(version)d while you were editing. Review the preview "
             "against it, then save.") % {"version": version}


def _preview_page(request: HttpRequest, form: PolicyForm, current: TierPolicy, *,
                  notice: str = "", stale: bool = False) -> HttpResponse:
    """The form with the preview of its (valid) values against the current state, the digest
    that lets exactly these values be saved, and the version they are now based on."""
    clean = form.clean_policy
    assert clean is not None
    preview = tier_preview(policy=draft_policy(clean, version=current.version + 1),
                           limit=PREVIEW_LIMIT)
    return render(request, "accounts/tiering/policy_edit.html", {
        "form": form, "current": current, "next_version": current.version + 1,
        "base_version": current.version,
        "preview_digest": policy_digest(clean, base_version=current.version,
                                        tenant_id=request.tenant.pk),
        "notice": notice, "stale_version": current.version if stale else None,
        **_preview_context(preview)})


@tenant_page(Perm.STANDARDS_MANAGE)
def policy_edit_page(request: HttpRequest) -> HttpResponse:
    """GET: the form (Preview only). POST ``action=preview``: the preview, with a Save button and
    the hidden ``preview_digest`` and ``base_version``. POST ``action=save``: saved (redirect) only
    if the form's version is still the newest and the digest is that of exactly the submitted
    values; otherwise nothing is saved and the page shows a fresh preview of the submitted values
    with the reason (200: the values are valid, the admin only has to look again). Invalid values
    are a 400 with the reasons, for both actions."""
    current = current_policy()
    context: dict[str, Any] = {"current": current, "next_version": current.version + 1,
                               "base_version": current.version}
    if request.method != "POST":
        form = PolicyForm(policy=current)
        return render(request, "accounts/tiering/policy_edit.html", {"form": form, **context})
    form = PolicyForm(request.POST, policy=current)
    base_version = _int_or_none(request.POST.get("base_version"))
    if not form.is_valid() or form.clean_policy is None:
        if base_version is not None and base_version <= current.version:
            context["base_version"] = base_version  # still warn of others' saves at the preview
        return render(request, "accounts/tiering/policy_edit.html", {"form": form, **context},
                      status=400)
    stale = base_version is not None and base_version < current.version
    if request.POST.get("action", "preview") != "save":
        return _preview_page(request, form, current,
                             notice=_stale_notice(current.version) if stale else "", stale=stale)
    try:
        saved = tier_policy_save_previewed(
            values=form.policy_values(), note=form.cleaned_data["note"],
            created_by=request.membership, base_version=base_version,
            digest=request.POST.get("preview_digest", ""))
    except PolicyVersionConflict as exc:  # someone saved since the form was opened
        current = current_policy()
        return _preview_page(request, form, current, notice=_stale_notice(exc.current),
                             stale=True)
    except PolicyPreviewMismatch:
        return _preview_page(request, form, current, notice=_(
            "These values have changed since the preview: check the preview below, then save."))
    except ValidationError as exc:  # policy_validate passed in clean(): not expected
        form.add_service_errors(exc)
        return render(request, "accounts/tiering/policy_edit.html", {"form": form, **context},
                      status=400)
    messages.success(request, _(
        "Version %(version)d of the tiering policy was saved. The new tiers apply from the "
        "next nightly run; to apply them now, run %(command)s.") % {
            "version": saved.version, "command": RUN_NOW_COMMAND})
    return redirect("accounts:tiering-policy")


# --- manual override -----------------------------------------------------------------------------


def _get_account(request: HttpRequest, account_id: int) -> Account:
    """A visible account (like the other account pages) with its tier state; 404 otherwise,
    another tenant's account included."""
    return get_or_404(account_list_queryset(actor=request.actor)
                      .select_related("tier_state__override_by__user"), pk=account_id)


def _detail_url(account: Account) -> str:
    return reverse("accounts:account-detail", args=[account.pk]) + "#tier"


@tenant_page(Perm.TIER_OVERRIDE)
def tier_override_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _get_account(request, account_id)
    state = account_tier_state(account)
    today = clock.today(request.actor.tenant)
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
        else:
            rule_errors(form, lambda data: tier_override_check(**data, today=today))
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
