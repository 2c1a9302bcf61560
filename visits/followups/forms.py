"""The follow-up forms: create / edit, and cancel. Widgets and parsing only; the rules are in
visits.followups.services.

The due date is a date. It may be given instead as "due in N working days" (a field of its own,
turned into ``due_on`` by ``due_on_in_working_days`` before the service sees the data), so the
rules, the API and the nightly jobs keep judging one date."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.account.filters import visible_account_choices
from accounts.account.models import Account
from accounts.account.selectors import member_choices
from kam.forms import ServiceErrors, ServiceModelForm
from kam.models import Membership
from kam.roles import Actor
from visits.followups.models import MAX_RECURRENCE_INTERVAL, FollowUp, RecurrenceUnit
from visits.followups.services import (
    FOLLOW_UP_EDITABLE_FIELDS,
    MAX_DUE_IN_WORKING_DAYS,
    due_on_in_working_days,
)

DATE_INPUT = {"type": "date"}


class FollowUpForm(ServiceModelForm):
    # A plain choice of the visible accounts for now (a searching picker will replace it).
    account = forms.ModelChoiceField(label=_("account"),
                                     queryset=Account.unscoped_all_tenants.none())
    owner = forms.ModelChoiceField(label=_("owner"), queryset=Membership.unscoped_all_tenants.none(),
                                   help_text=_("Who does it."))
    recurrence_unit = forms.ChoiceField(label=_("unit"), required=False,
                                        choices=[("", "—"), *RecurrenceUnit.choices])
    due_in_working_days = forms.IntegerField(
        label=_("or due in (working days)"), required=False, min_value=0,
        max_value=MAX_DUE_IN_WORKING_DAYS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("Counted on your company's working calendar (public holidays and make-up "
                    "working days included); replaces the date."))

    class Meta:
        model = FollowUp
        fields = [f for f in FOLLOW_UP_EDITABLE_FIELDS if f != "external_id"]
        widgets = {
            "title": forms.TextInput(),
            "due_on": forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "recurrence_interval": forms.NumberInput(attrs={"min": 1,
                                                            "max": MAX_RECURRENCE_INTERVAL}),
        }

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = actor.tenant
        self.fields["due_on"].required = False  # or due_in_working_days (clean)
        self.fields["account"].queryset = visible_account_choices(actor)
        self.fields["owner"].queryset = member_choices()
        if not self.instance.pk and actor.membership is not None:
            self.initial.setdefault("owner", actor.membership.pk)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if (cleaned.get("due_on") is None and cleaned.get("due_in_working_days") is None
                and "due_on" not in self.errors and "due_in_working_days" not in self.errors):
            self.add_error("due_on", _("Give the due date, or the working days until it."))
        return cleaned

    def add_rule_errors(self, exc: ValidationError) -> None:
        """As the mixin's; with the working days not parsed, the due date is unknown too: the
        rules' word on a missing one is no news."""
        if "due_in_working_days" in self.errors and hasattr(exc, "error_dict"):
            exc = ValidationError({field: messages for field, messages
                                   in exc.message_dict.items() if field != "due_on"})
        super().add_rule_errors(exc)

    def data_for_service(self) -> dict[str, Any]:
        """The fields for the service, "due in N working days" turned into ``due_on``."""
        data = super().data_for_service()
        working_days = data.pop("due_in_working_days", None)
        if working_days is not None:
            data["due_on"] = due_on_in_working_days(working_days, tenant=self.tenant)
        return data


class FollowUpCancelForm(ServiceErrors, forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}))
