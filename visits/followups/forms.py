"""The follow-up forms: create / edit, and cancel. Widgets and parsing only; the rules are in
visits.followups.services.

The due date is a date. "Due in N working days" (kam.calendar.working_days_add) belongs here as a
field of its own, turned into ``due_on`` in ``clean()`` before the service sees the data, so the
rules, the API and the nightly jobs keep judging one date."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.account.filters import visible_account_choices
from accounts.account.models import Account
from accounts.account.selectors import member_choices
from kam.forms import ServiceErrors, ServiceModelForm
from kam.models import Membership
from kam.roles import Actor
from visits.followups.models import MAX_RECURRENCE_INTERVAL, FollowUp, RecurrenceUnit
from visits.followups.services import FOLLOW_UP_EDITABLE_FIELDS

DATE_INPUT = {"type": "date"}


class FollowUpForm(ServiceModelForm):
    # A plain choice of the visible accounts for now (a searching picker will replace it).
    account = forms.ModelChoiceField(label=_("account"),
                                     queryset=Account.unscoped_all_tenants.none())
    owner = forms.ModelChoiceField(label=_("owner"), queryset=Membership.unscoped_all_tenants.none(),
                                   help_text=_("Who does it."))
    recurrence_unit = forms.ChoiceField(label=_("unit"), required=False,
                                        choices=[("", "—"), *RecurrenceUnit.choices])

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
        self.fields["account"].queryset = visible_account_choices(actor)
        self.fields["owner"].queryset = member_choices()
        if not self.instance.pk and actor.membership is not None:
            self.initial.setdefault("owner", actor.membership.pk)


class FollowUpCancelForm(ServiceErrors, forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}))
