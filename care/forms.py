"""Care's forms: the company's festival (widgets and parsing; the rules are in care.services).
Turning a reminder into a follow-up uses the follow-up form (visits.followups.forms)."""

from __future__ import annotations

from django import forms

from care.models import MAX_LEAD_DAYS, CareSettings, Festival
from care.services import CARE_SETTINGS_FIELDS, FESTIVAL_EDITABLE_FIELDS
from kam.forms import ServiceModelForm


class FestivalForm(ServiceModelForm):
    class Meta:
        model = Festival
        fields = list(FESTIVAL_EDITABLE_FIELDS)
        widgets = {
            "month": forms.NumberInput(attrs={"min": 1, "max": 12}),
            "day": forms.NumberInput(attrs={"min": 1, "max": 31}),
            "lead_days": forms.NumberInput(attrs={"min": 0, "max": MAX_LEAD_DAYS}),
        }


class CareSettingsForm(ServiceModelForm):
    class Meta:
        model = CareSettings
        fields = list(CARE_SETTINGS_FIELDS)
        widgets = {name: forms.NumberInput(attrs={"min": 0, "max": MAX_LEAD_DAYS})
                   for name in CARE_SETTINGS_FIELDS}
