"""Forms of tiering: the policy editor (every number of a policy, flat) and the manual override.
They parse; the rules are the policy's (``accounts.tiering.policy``) and the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.tiering.models import Criterion, Tier, TierPolicy
from accounts.tiering.policy import (
    CREDIT_KEYS,
    MAX_THRESHOLDS,
    NUMERIC_CRITERIA,
    UNKNOWN,
    policy_validate,
)
from kam.forms import ServiceErrors

THRESHOLD_ROWS = 6  # value/points rows per criterion on the form (more if a policy has more)


def credit_label(grade: str) -> str:
    return grade or _("not rated")


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
                            "criterion": label, "grade": credit_label(grade)},
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
                item["credit"] = [(credit_label(g), self[_credit_field(g)]) for g in CREDIT_KEYS]
            else:
                item["steps"] = [(self[f"{key}-t{i}-value"], self[f"{key}-t{i}-points"])
                                 for i in range(self.rows)]
            out.append(item)
        return out

    def policy_values(self) -> dict[str, Any]:
        """The cleaned numbers as ``policy_validate`` / ``tier_policy_save`` take them; a field
        that did not parse is ``UNKNOWN`` (``policy_validate`` judges everything else)."""
        data = {**self.cleaned_data, **dict.fromkeys(self.errors, UNKNOWN)}
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
        """The policy's rules on the numbers, also when some did not parse: the page shows
        every problem of one submit at once."""
        cleaned = super().clean()
        try:
            clean_policy = policy_validate(**self.policy_values())
        except ValidationError as exc:
            for message in exc.messages:
                self.add_error(None, message)
        else:
            self.clean_policy = None if self.errors else clean_policy
        return cleaned



class TierOverrideForm(ServiceErrors, forms.Form):
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


