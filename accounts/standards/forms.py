"""The form of the service standards: every standard of the four tiers on one page."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.standards.models import STANDARD_FIELDS, ServiceStandard
from accounts.tiering.models import Tier
from kam.forms import ServiceErrors


def field_label(name: str) -> str:
    return str(ServiceStandard._meta.get_field(name).verbose_name)


class StandardsForm(ServiceErrors, forms.Form):
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
        return [{"label": field_label(name),
                 "cells": [self[f"{tier}-{name}"] for tier, _label in self.tiers]}
                for name in STANDARD_FIELDS]

    def values(self) -> dict[str, dict[str, Any]]:
        """``values[tier][field]``; None for a field that did not parse."""
        return {tier: {name: self.cleaned_data.get(f"{tier}-{name}") for name in STANDARD_FIELDS}
                for tier, _label in self.tiers}


