"""The tiering policy's rules: the built-in defaults and the validation of a policy (every
problem a whole sentence in the user's language). Used by the save service and the edit form."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.tiering.models import (
    Criterion,
)

NUMERIC_CRITERIA: tuple[str, ...] = (Criterion.REVENUE, Criterion.SHARE, Criterion.FREQUENCY,
                                     Criterion.MARGIN, Criterion.GROWTH, Criterion.STRATEGIC)
CREDIT_KEYS: tuple[str, ...] = ("A", "B", "C", "D", "")
MAX_THRESHOLDS = 10
MAX_THRESHOLD_VALUE = Decimal(10) ** 12  # fits the figures' numeric(18, 2) columns

# Defaults from common KAM practice (CNY amounts; a tenant edits them to its own scale).
DEFAULT_CRITERIA: dict[str, dict[str, Any]] = {
    Criterion.REVENUE: {"enabled": True, "weight": 30, "thresholds": [
        [500_000, 20], [1_000_000, 40], [5_000_000, 60], [10_000_000, 80], [50_000_000, 100]]},
    Criterion.SHARE: {"enabled": True, "weight": 15, "thresholds": [
        [0.5, 25], [1, 50], [3, 75], [5, 100]]},
    Criterion.FREQUENCY: {"enabled": True, "weight": 15, "thresholds": [
        [2, 25], [6, 50], [12, 75], [24, 100]]},
    Criterion.MARGIN: {"enabled": True, "weight": 10, "thresholds": [
        [10, 25], [20, 50], [30, 75], [40, 100]]},
    Criterion.GROWTH: {"enabled": True, "weight": 10, "thresholds": [
        [0, 30], [10, 60], [20, 80], [30, 100]]},
    Criterion.STRATEGIC: {"enabled": True, "weight": 15, "thresholds": [
        [1, 0], [2, 25], [3, 50], [4, 75], [5, 100]]},
    Criterion.CREDIT: {"enabled": True, "weight": 5, "points": {
        "A": 100, "B": 70, "C": 30, "D": 0, "": 50}},
}
DEFAULT_CUTOFFS = {"cutoff_strategic": Decimal(80), "cutoff_key": Decimal(60),
                   "cutoff_important": Decimal(40), "hysteresis": Decimal(5)}


# --- policy: defaults, validation, versions ------------------------------------------------------


def default_criteria() -> dict[str, dict[str, Any]]:
    return copy.deepcopy({str(k): v for k, v in DEFAULT_CRITERIA.items()})


class _Unknown:
    """A value not known (a form's field that did not parse, with an error of its own)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


def _number(value: Any, label: str, errors: list[str]) -> Decimal | None:
    if value is UNKNOWN:
        return None  # its field says what is wrong with it; the rules that need it skip
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        errors.append(_("%(what)s must be a number.") % {"what": label})
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        errors.append(_("%(what)s must be a number.") % {"what": label})
        return None
    if not number.is_finite():
        errors.append(_("%(what)s must be a number.") % {"what": label})
        return None
    return number


def policy_validate(*, criteria: Any, cutoff_strategic: Any, cutoff_key: Any,
                    cutoff_important: Any, hysteresis: Any) -> dict[str, Any]:
    """Check a policy and return it normalised (Decimals, sorted thresholds).

    Raises ``ValidationError`` with every problem, each a whole sentence in the user's language.
    A value ``UNKNOWN`` (the editor's field that did not parse) is not judged, nor is a rule that
    needs it (the weights' sum, the cut-offs' order), so the editor shows every other problem of
    the same submit beside the fields' own errors.
    """
    errors: list[str] = []
    labels = dict(Criterion.choices)
    if not isinstance(criteria, dict) or set(criteria) != set(labels):
        raise ValidationError(_("The policy must list every criterion exactly once: %(keys)s.")
                              % {"keys": ", ".join(labels)})
    clean: dict[str, dict[str, Any]] = {}
    weight_sum = Decimal(0)
    for key, label in labels.items():
        spec = criteria[key]
        if not isinstance(spec, dict):
            errors.append(_("%(criterion)s: the settings are missing.") % {"criterion": label})
            continue
        enabled = spec.get("enabled")
        if not isinstance(enabled, bool):
            errors.append(_("%(criterion)s: say whether it is used.") % {"criterion": label})
            continue
        weight = _number(spec.get("weight"), _("%(criterion)s: the weight") % {
            "criterion": label}, errors)
        if weight is None:
            continue
        if weight != weight.to_integral_value() or not 0 <= weight <= 100:
            errors.append(_("%(criterion)s: the weight must be a whole number from 0 to 100.")
                          % {"criterion": label})
            continue
        item: dict[str, Any] = {"enabled": enabled, "weight": int(weight)}
        if enabled:
            weight_sum += weight
        if key == Criterion.CREDIT:
            points = spec.get("points")
            if not isinstance(points, dict) or set(points) != set(CREDIT_KEYS):
                errors.append(_("%(criterion)s: give points for A, B, C, D and not rated.")
                              % {"criterion": label})
                continue
            item["points"] = {}
            for grade in CREDIT_KEYS:
                value = _number(points[grade], _("%(criterion)s: the points") % {
                    "criterion": label}, errors)
                if value is not None and not 0 <= value <= 100:
                    errors.append(_("%(criterion)s: points must be from 0 to 100.")
                                  % {"criterion": label})
                elif value is not None:
                    item["points"][grade] = value
        else:
            steps = spec.get("thresholds")
            if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_THRESHOLDS:
                errors.append(_("%(criterion)s: give 1 to %(max)d thresholds.")
                              % {"criterion": label, "max": MAX_THRESHOLDS})
                continue
            parsed: list[list[Decimal]] = []
            for step in steps:
                if not isinstance(step, (list, tuple)) or len(step) != 2:
                    errors.append(_("%(criterion)s: each threshold is a value and its points.")
                                  % {"criterion": label})
                    break
                value = _number(step[0], _("%(criterion)s: a threshold") % {
                    "criterion": label}, errors)
                points_ = _number(step[1], _("%(criterion)s: the points") % {
                    "criterion": label}, errors)
                if value is None or points_ is None:
                    break
                if value < 0:
                    errors.append(_("%(criterion)s: thresholds cannot be negative.")
                                  % {"criterion": label})
                    break
                if value > MAX_THRESHOLD_VALUE:
                    errors.append(_("%(criterion)s: a threshold can be at most 1,000,000,000,000.")
                                  % {"criterion": label})
                    break
                if not 0 <= points_ <= 100:
                    errors.append(_("%(criterion)s: points must be from 0 to 100.")
                                  % {"criterion": label})
                    break
                parsed.append([value, points_])
            else:
                values = [v for v, _p in parsed]
                if values != sorted(values) or len(set(values)) != len(values):
                    errors.append(_("%(criterion)s: thresholds must be in increasing order, "
                                    "each value once.") % {"criterion": label})
                item["thresholds"] = parsed
        clean[key] = item
    complete = len(clean) == len(labels)  # every criterion's weight known (and valid)
    if not errors and complete and weight_sum != 100:
        errors.append(_("The weights of the criteria in use add up to %(sum)s; they must add up "
                        "to 100.") % {"sum": f"{weight_sum.normalize():f}"})  # 110, not 1.1E+2
    if not errors and complete and not any(item["enabled"] for item in clean.values()):
        errors.append(_("Use at least one criterion."))
    cuts = {}
    for name, value, label in (("cutoff_strategic", cutoff_strategic, _("Strategic cut-off")),
                               ("cutoff_key", cutoff_key, _("Key cut-off")),
                               ("cutoff_important", cutoff_important, _("Important cut-off")),
                               ("hysteresis", hysteresis, _("Move-down margin"))):
        number = _number(value, label, errors)
        if number is not None and not 0 <= number <= 100:
            errors.append(_("%(what)s must be from 0 to 100.") % {"what": label})
        cuts[name] = number
    if None not in cuts.values() and not (
            0 < cuts["cutoff_important"] < cuts["cutoff_key"] < cuts["cutoff_strategic"] <= 100):
        errors.append(_("Cut-offs must rise from important to key to strategic, all above 0 and "
                        "at most 100."))
    if cuts.get("hysteresis") is not None and cuts["hysteresis"] > 50:
        errors.append(_("The move-down margin can be at most 50 points."))
    if errors:
        raise ValidationError(errors)
    return {"criteria": clean, **cuts}


def policy_jsonable(criteria: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Decimals → plain numbers for the JSON column (ints stay ints)."""
    def num(value: Decimal) -> int | float:
        return int(value) if value == value.to_integral_value() else float(value)

    out: dict[str, dict[str, Any]] = {}
    for key, item in criteria.items():
        new = {"enabled": item["enabled"], "weight": item["weight"]}
        if "thresholds" in item:
            new["thresholds"] = [[num(Decimal(v)), num(Decimal(p))] for v, p in item["thresholds"]]
        if "points" in item:
            new["points"] = {g: num(Decimal(p)) for g, p in item["points"].items()}
        out[key] = new
    return out


