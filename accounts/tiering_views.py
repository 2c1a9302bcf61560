"""Pages of the tiering policy (分级标准) and the service standards (服务标准).

Every member reads the policy, its versions and the standards; administrators (standards.manage)
edit them. The policy form previews a draft with ``accounts.tiering.tier_preview`` (the nightly
job's SQL, nothing written) and saves it as the next version with ``tier_policy_save`` — only the
values that were previewed (a signed digest of them travels with the preview) and only if nobody
saved another version since the form was opened (its ``base_version``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.models import Account, Criterion, Tier, TierPolicy
from accounts.standards import STANDARD_FIELDS, service_standards, service_standards_save
from accounts.tier_models import TIERS_DESC, ServiceStandard
from accounts.tiering import (
    CREDIT_KEYS,
    MAX_THRESHOLDS,
    NUMERIC_CRITERIA,
    PREVIEW_MOVER_LIMIT,
    PolicyVersionConflict,
    Preview,
    current_policy,
    default_policy,
    policy_validate,
    tier_policy_save,
    tier_preview,
)
from kam.decorators import tenant_page
from kam.jobs import data_as_of
from kam.pagination import KeysetError, keyset_page
from kam.roles import Perm

VERSION_PAGE_SIZE = 20
THRESHOLD_ROWS = 6  # value/points rows per criterion on the form (more if a policy has more)
RUN_NOW_COMMAND = "manage.py run_nightly --job tiering"
PREVIEW_LIMIT = PREVIEW_MOVER_LIMIT  # movers listed; "… and N more" beyond


# --- showing a policy ---------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    """A policy number as people write it: 500,000 · 0.5 · 80."""
    number = Decimal(str(value))
    number = (number.quantize(Decimal(1)) if number == number.to_integral_value()
              else number.normalize())
    return number_format(number, force_grouping=True)


def _credit_label(grade: str) -> str:
    return grade or _("not rated")


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
        credit = [(_credit_label(g), _fmt(spec["points"][g])) for g in CREDIT_KEYS
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


def _versions() -> QuerySet[TierPolicy]:
    return TierPolicy.objects.select_related("created_by__user")


def tier_distribution() -> list[tuple[str | None, str, int]]:
    """(tier or None, label, accounts) for the current tenant's accounts by effective tier, with
    "not tiered yet" for accounts the job has not reached. One GROUP BY query."""
    counts = {row["tier_state__tier"]: row["n"] for row in
              Account.objects.order_by().values("tier_state__tier").annotate(n=Count("pk"))}
    labels = dict(Tier.choices)
    rows: list[tuple[str | None, str, int]] = [
        (tier, str(labels[tier]), counts.get(tier, 0)) for tier in TIERS_DESC]
    rows.append((None, _("Not tiered yet"), counts.get(None, 0)))
    return rows


@tenant_page()
def policy_page(request: HttpRequest) -> HttpResponse:
    cursor = request.GET.get("cursor") or None
    try:
        page = keyset_page(_versions(), order=("-version",), cursor=cursor,
                           size=VERSION_PAGE_SIZE)
    except KeysetError:
        page = keyset_page(_versions(), order=("-version",), cursor=None, size=VERSION_PAGE_SIZE)
    if not page.has_previous:  # the first page starts with the current version
        policy = page.items[0] if page.items else default_policy()
    else:
        policy = _versions().order_by("-version").first() or default_policy()
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
    policy = _versions().filter(version=version).first()
    if policy is None:
        raise Http404
    latest = TierPolicy.objects.order_by("-version").values_list("version", flat=True).first()
    return render(request, "accounts/tiering/version.html", {
        **_policy_context(policy), "is_current": policy.version == latest,
    })


# --- editing a policy ---------------------------------------------------------------------------


def _credit_field(grade: str) -> str:
    return f"credit-{grade or 'none'}"


def _decimal(label: str, *, required: bool, max_digits: int, decimal_places: int,
             help_text: str = "") -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, max_digits=max_digits, decimal_places=decimal_places,
        help_text=help_text, widget=forms.NumberInput(attrs={"step": "any", "aria-label": label}))


class PolicyForm(forms.Form):
    """Every number of a policy, flat: ``<criterion>-enabled``, ``<criterion>-weight``,
    ``<criterion>-t<i>-value`` / ``-points`` (blank rows ignored), ``credit-<grade>``, the cut-offs,
    the move-down margin and a note. Field checks catch what is no number; ``policy_validate``
    (called by ``clean``) everything else, with its own messages."""

    def __init__(self, data: Any = None, *, policy: TierPolicy) -> None:
        super().__init__(data)
        longest = max((len(s.get("thresholds", [])) for s in policy.criteria.values()), default=0)
        self.rows = min(MAX_THRESHOLDS, max(THRESHOLD_ROWS, longest))
        if data is not None:  # as many rows as the page sent (a policy may have up to the max)
            for i in range(self.rows, MAX_THRESHOLDS):
                if any(f"{key}-t{i}-value" in data for key in NUMERIC_CRITERIA):
                    self.rows = i + 1
        self.clean_policy: dict[str, Any] | None = None
        labels = dict(Criterion.choices)
        initial: dict[str, Any] = {}
        for key in Criterion.values:
            label = str(labels[key])
            spec = policy.criteria.get(key, {})
            self.fields[f"{key}-enabled"] = forms.BooleanField(
                label=_("%(criterion)s: in use") % {"criterion": label}, required=False,
                widget=forms.CheckboxInput(attrs={"aria-label": _("%(criterion)s: in use") % {
                    "criterion": label}}))
            self.fields[f"{key}-weight"] = _decimal(
                _("%(criterion)s: weight") % {"criterion": label}, required=True,
                max_digits=8, decimal_places=2)
            initial[f"{key}-enabled"] = bool(spec.get("enabled"))
            initial[f"{key}-weight"] = spec.get("weight")
            if key == Criterion.CREDIT:
                for grade in CREDIT_KEYS:
                    name = _credit_field(grade)
                    self.fields[name] = _decimal(
                        _("%(criterion)s: points for %(grade)s") % {
                            "criterion": label, "grade": _credit_label(grade)},
                        required=True, max_digits=8, decimal_places=2)
                    initial[name] = spec.get("points", {}).get(grade)
                continue
            steps = spec.get("thresholds", [])
            for i in range(self.rows):
                value_name, points_name = f"{key}-t{i}-value", f"{key}-t{i}-points"
                self.fields[value_name] = _decimal(
                    _("%(criterion)s: threshold %(n)d, from value") % {
                        "criterion": label, "n": i + 1},
                    required=False, max_digits=20, decimal_places=4)
                self.fields[points_name] = _decimal(
                    _("%(criterion)s: threshold %(n)d, points") % {
                        "criterion": label, "n": i + 1},
                    required=False, max_digits=8, decimal_places=2)
                if i < len(steps):
                    initial[value_name], initial[points_name] = steps[i]
        for name, label in (("cutoff_strategic", _("Strategic from (score)")),
                            ("cutoff_key", _("Key from (score)")),
                            ("cutoff_important", _("Important from (score)"))):
            self.fields[name] = _decimal(label, required=True, max_digits=8, decimal_places=2)
            initial[name] = policy.cutoff(name.removeprefix("cutoff_"))
        self.fields["hysteresis"] = _decimal(
            _("Move-down margin (points)"), required=True, max_digits=8, decimal_places=2,
            help_text=_("An account moves down only when its score falls this many points below "
                        "its tier's cut-off."))
        initial["hysteresis"] = policy.hysteresis
        self.fields["note"] = forms.CharField(label=_("What changed and why"), max_length=300,
                                              required=False)
        self.initial = initial

    # The page lays the fields out per criterion.
    def criteria(self) -> list[dict[str, Any]]:
        out = []
        for key, label in Criterion.choices:
            item: dict[str, Any] = {"key": key, "label": label,
                                    "enabled": self[f"{key}-enabled"],
                                    "weight": self[f"{key}-weight"]}
            if key == Criterion.CREDIT:
                item["credit"] = [(_credit_label(g), self[_credit_field(g)]) for g in CREDIT_KEYS]
            else:
                item["steps"] = [(self[f"{key}-t{i}-value"], self[f"{key}-t{i}-points"])
                                 for i in range(self.rows)]
            out.append(item)
        return out

    def policy_values(self) -> dict[str, Any]:
        """The cleaned numbers as ``policy_validate`` / ``tier_policy_save`` take them."""
        data = self.cleaned_data
        criteria: dict[str, dict[str, Any]] = {}
        for key in Criterion.values:
            spec: dict[str, Any] = {"enabled": bool(data.get(f"{key}-enabled")),
                                    "weight": data.get(f"{key}-weight")}
            if key == Criterion.CREDIT:
                spec["points"] = {g: data.get(_credit_field(g)) for g in CREDIT_KEYS}
            else:
                steps = []
                for i in range(self.rows):
                    value, points = data.get(f"{key}-t{i}-value"), data.get(f"{key}-t{i}-points")
                    if value is None and points is None:
                        continue  # a blank row
                    steps.append([value, points])  # half a row: policy_validate says what's missing
                spec["thresholds"] = steps
            criteria[key] = spec
        return {"criteria": criteria, "cutoff_strategic": data.get("cutoff_strategic"),
                "cutoff_key": data.get("cutoff_key"),
                "cutoff_important": data.get("cutoff_important"),
                "hysteresis": data.get("hysteresis")}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.clean_policy = policy_validate(**self.policy_values())
        except ValidationError as exc:
            for message in exc.messages:
                self.add_error(None, message)
        return cleaned


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


PREVIEW_SALT = "accounts.tiering_views.policy_preview"


def _canonical(value: Any) -> str:
    """JSON for the numbers of a normalised policy: 80, 80.0 and 80.00 are the same value."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    raise TypeError(f"not serialisable: {type(value).__name__}")


def policy_digest(clean: dict[str, Any], *, base_version: int, tenant_id: int) -> str:
    """The signature of a preview: an HMAC (keyed with SECRET_KEY) of the normalised policy
    (``policy_validate``'s result), the version the form started from and the tenant. The preview
    page carries it; a save is accepted only with the digest of exactly the submitted values."""
    payload = json.dumps({"policy": clean, "base_version": base_version, "tenant": tenant_id},
                         sort_keys=True, separators=(",", ":"), default=_canonical)
    return salted_hmac(PREVIEW_SALT, payload, algorithm="sha256").hexdigest()


def _int_or_none(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 <= number < 2**31 else None


def _save_if_current(form: PolicyForm, *, base_version: int, request: HttpRequest
                     ) -> TierPolicy | None:
    """Save the form's policy as the next version if the tenant's newest version is still
    ``base_version`` (checked under the lock ``tier_policy_save`` numbers versions with, so two
    admins saving at once cannot both pass); ``None`` when someone saved in between."""
    try:
        return tier_policy_save(**form.policy_values(), note=form.cleaned_data["note"],
                                created_by=request.membership, expected_version=base_version)
    except PolicyVersionConflict:
        return None


def _stale_notice(version: int) -> str:
    return _("Someone saved version %(version)d while you were editing. Review the preview "
             "against it, then save.") % {"version": version}


def _preview_page(request: HttpRequest, form: PolicyForm, current: TierPolicy, *,
                  notice: str = "", stale: bool = False) -> HttpResponse:
    """The form with the preview of its (valid) values against the current state, the digest
    that lets exactly these values be saved, and the version they are now based on."""
    clean = form.clean_policy
    assert clean is not None
    draft = TierPolicy(version=current.version + 1, criteria=clean["criteria"],
                       cutoff_strategic=clean["cutoff_strategic"], cutoff_key=clean["cutoff_key"],
                       cutoff_important=clean["cutoff_important"],
                       hysteresis=clean["hysteresis"])
    preview = tier_preview(policy=draft, limit=PREVIEW_LIMIT)
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
    action = request.POST.get("action", "preview")
    base_version = _int_or_none(request.POST.get("base_version"))
    if not form.is_valid() or form.clean_policy is None:
        if base_version is not None and base_version <= current.version:
            context["base_version"] = base_version  # still warn of others' saves at the preview
        return render(request, "accounts/tiering/policy_edit.html", {"form": form, **context},
                      status=400)
    stale = base_version is not None and base_version < current.version
    if action != "save":
        return _preview_page(request, form, current,
                             notice=_stale_notice(current.version) if stale else "", stale=stale)
    if stale:
        return _preview_page(request, form, current, notice=_stale_notice(current.version),
                             stale=True)
    expected = policy_digest(form.clean_policy, base_version=current.version,
                             tenant_id=request.tenant.pk)
    if base_version != current.version or not constant_time_compare(
            request.POST.get("preview_digest", ""), expected):
        return _preview_page(request, form, current, notice=_(
            "These values have changed since the preview: check the preview below, then save."))
    try:
        saved = _save_if_current(form, base_version=current.version, request=request)
    except ValidationError as exc:  # policy_validate passed in clean(): not expected
        for message in exc.messages:
            form.add_error(None, message)
        return render(request, "accounts/tiering/policy_edit.html", {"form": form, **context},
                      status=400)
    if saved is None:  # someone saved between our read and the lock
        current = current_policy()
        return _preview_page(request, form, current, notice=_stale_notice(current.version),
                             stale=True)
    messages.success(request, _(
        "Version %(version)d of the tiering policy was saved. The new tiers apply from the "
        "next nightly run; to apply them now, run %(command)s.") % {
            "version": saved.version, "command": RUN_NOW_COMMAND})
    return redirect("tiering-policy")


# --- service standards --------------------------------------------------------------------------

CADENCE_FIELDS = ("business_visits_per_year", "technical_visits_per_year",
                  "leadership_visits_per_year", "surveys_per_year")


def cadence(times_per_year: int) -> str:
    """The usual word for an exact cadence ("monthly"), else "" (the number says it)."""
    return {12: _("monthly"), 4: _("quarterly"), 2: _("twice a year"), 1: _("yearly"),
            0: _("none")}.get(times_per_year, "")


def _field_label(name: str) -> str:
    return str(ServiceStandard._meta.get_field(name).verbose_name)


def _standards_table(standards: list[ServiceStandard]) -> list[dict[str, Any]]:
    """One row per field, one cell per tier (highest first)."""
    rows = []
    for name in STANDARD_FIELDS:
        cells = []
        for standard in standards:
            value = getattr(standard, name)
            if name == "executive_sponsor_required":
                text = _("Required") if value else _("Not required")
            elif name in CADENCE_FIELDS:
                word = cadence(value)
                text = f"{value} · {word}" if word and value else (word or str(value))
            else:
                text = _("%(hours)s h") % {"hours": value}
            cells.append(text)
        rows.append({"label": _field_label(name), "cells": cells})
    return rows


@tenant_page()
def standards_page(request: HttpRequest) -> HttpResponse:
    standards = service_standards()
    labels = dict(Tier.choices)
    return render(request, "accounts/tiering/standards.html", {
        "columns": [str(labels[s.tier]) for s in standards],
        "rows": _standards_table(standards),
        "all_default": all(s.pk is None for s in standards),
        "updated_at": max((s.updated_at for s in standards if s.pk), default=None),
        "can_manage": request.actor.can(Perm.STANDARDS_MANAGE),
    })


class StandardsForm(forms.Form):
    """``<tier>-<field>`` for the four tiers × the standard's fields."""

    def __init__(self, data: Any = None, *, standards: list[ServiceStandard]) -> None:
        super().__init__(data)
        labels = dict(Tier.choices)
        for standard in standards:
            tier_label = str(labels[standard.tier])
            for name in STANDARD_FIELDS:
                field = ServiceStandard._meta.get_field(name)
                label = f"{tier_label}: {field.verbose_name}"
                if name == "executive_sponsor_required":
                    form_field: forms.Field = forms.BooleanField(
                        label=label, required=False,
                        widget=forms.CheckboxInput(attrs={"aria-label": label}))
                else:
                    form_field = forms.IntegerField(
                        label=label, min_value=0, max_value=32767,
                        widget=forms.NumberInput(attrs={"aria-label": label}))
                self.fields[f"{standard.tier}-{name}"] = form_field
                self.initial[f"{standard.tier}-{name}"] = getattr(standard, name)
        self.tiers = [(s.tier, str(labels[s.tier])) for s in standards]

    def table(self) -> list[dict[str, Any]]:
        return [{"label": _field_label(name),
                 "cells": [self[f"{tier}-{name}"] for tier, _label in self.tiers]}
                for name in STANDARD_FIELDS]

    def values(self) -> dict[str, dict[str, Any]]:
        return {tier: {name: self.cleaned_data[f"{tier}-{name}"] for name in STANDARD_FIELDS}
                for tier, _label in self.tiers}


@tenant_page(Perm.STANDARDS_MANAGE)
def standards_edit_page(request: HttpRequest) -> HttpResponse:
    form = StandardsForm(request.POST if request.method == "POST" else None,
                         standards=service_standards())
    if request.method != "POST":
        return render(request, "accounts/tiering/standards_edit.html", {"form": form})
    if form.is_valid():
        try:
            service_standards_save(values=form.values())
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                form.add_error(key if key in form.fields else None, errors)
        else:
            messages.success(request, _("The service standards were saved."))
            return redirect("service-standards")
    return render(request, "accounts/tiering/standards_edit.html", {"form": form}, status=400)
