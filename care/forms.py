"""Care's forms: the company's festival (widgets and parsing; the rules are in care.services).
Turning a reminder into a follow-up uses the follow-up form (visits.followups.forms)."""

from __future__ import annotations

from django import forms

from care.models import MAX_LEAD_DAYS, Festival
from care.services import FESTIVAL_EDITABLE_FIELDS
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
