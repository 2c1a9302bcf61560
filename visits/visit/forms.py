"""The visit forms: plan / edit, reschedule, cancel, check in, and the report with our
commitments. Widgets and parsing only; the rules are in visits.visit.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from accounts.account.filters import visible_account_choices
from accounts.account.models import Account
from accounts.account.selectors import member_choices
from accounts.contacts.models import Contact
from accounts.contacts.selectors import contact_visible_queryset
from kam.forms import ServiceErrors, ServiceModelForm
from kam.models import Membership
from kam.roles import Actor
from visits.followups.services import MAX_COMMITMENTS
from visits.visit.models import MAX_DURATION_MINUTES, MIN_DURATION_MINUTES, Sentiment, Visit
from visits.visit.services import MAX_ACCURACY_M, VISIT_FIELDS

DATE_INPUT = {"type": "date"}
# The browser's own date-and-time picker; the value is read on the company's clock (kam.clock).
START_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ContactChoiceField(forms.ModelMultipleChoiceField):
    """The customer's attendees: each contact with their level (and title)."""

    def label_from_instance(self, obj: Contact) -> str:
        parts = [obj.name, str(obj.get_level_display())]
        if obj.title:
            parts.append(obj.title)
        return " · ".join(parts)


def contact_choices(*, actor: Actor, account_id: Any) -> QuerySet[Contact]:
    """The contacts a visit to ``account_id`` may name: that account's (if the actor sees it),
    those still at the account first. None for an unknown account."""
    if not (isinstance(account_id, int) or (isinstance(account_id, str) and account_id.isascii()
                                              and account_id.isdigit())):
        return Contact.unscoped_all_tenants.none()
    return (contact_visible_queryset(actor=actor).filter(account_id=int(account_id))
            .order_by("-is_active", "level", "name", "id"))


class VisitForm(ServiceModelForm):
    # The account is a plain choice of the visible accounts for now (a searching picker will
    # replace it); choosing one reloads the contacts below (htmx, visits:visit-contact-choices).
    account = forms.ModelChoiceField(
        label=_("account"), queryset=Account.unscoped_all_tenants.none(),
        widget=forms.Select(attrs={"hx-get": reverse_lazy("visits:visit-contact-choices"),
                                   "hx-target": "#visit-contacts", "hx-swap": "outerHTML",
                                   "hx-trigger": "change"}))
    owner = forms.ModelChoiceField(label=_("owner"), queryset=Membership.unscoped_all_tenants.none(),
                                   help_text=_("Who answers for the visit and its report."))
    attendees = forms.ModelMultipleChoiceField(
        label=_("our attendees"), required=False,
        queryset=Membership.unscoped_all_tenants.none(),
        help_text=_("Colleagues who go along. Hold Ctrl (⌘ on a Mac) to choose several."),
        widget=forms.SelectMultiple(attrs={"size": 5}))
    contacts = ContactChoiceField(
        label=_("the customer's attendees"), required=False,
        queryset=Contact.unscoped_all_tenants.none(), widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Visit
        fields = [f for f in VISIT_FIELDS if f != "external_id"]
        widgets = {
            "planned_start": START_INPUT,
            "duration_minutes": forms.NumberInput(attrs={"min": MIN_DURATION_MINUTES,
                                                         "max": MAX_DURATION_MINUTES,
                                                         "step": 5}),
            "objective": forms.TextInput(),
        }

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = visible_account_choices(actor)
        self.fields["owner"].queryset = member_choices()
        self.fields["attendees"].queryset = member_choices()
        self.fields["planned_start"].widget = START_INPUT
        if self.instance.pk:
            self.initial.setdefault("attendees", [a.membership_id
                                                  for a in self.instance.attendee_rows.all()])
            self.initial.setdefault("contacts", [c.contact_id
                                                 for c in self.instance.contact_rows.all()])
        elif actor.membership is not None:
            self.initial.setdefault("owner", actor.membership.pk)
        self.account_id = (self.data.get("account") if self.is_bound
                           else self.initial.get("account", self.instance.account_id))
        self.fields["contacts"].queryset = contact_choices(actor=actor, account_id=self.account_id)

    def data_for_service(self) -> dict[str, Any]:
        data = super().data_for_service()
        for name in ("attendees", "contacts"):
            if data.get(name) is not None:
                data[name] = [row.pk for row in data[name]]
        return data


class RescheduleForm(ServiceErrors, forms.Form):
    planned_start = forms.DateTimeField(label=_("new start"), widget=START_INPUT)
    duration_minutes = forms.IntegerField(
        label=_("duration (minutes)"), min_value=MIN_DURATION_MINUTES,
        max_value=MAX_DURATION_MINUTES,
        widget=forms.NumberInput(attrs={"step": 5}))


class CancelForm(ServiceErrors, forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class CheckinFields(forms.Form):
    """Where the phone is: filled in by static/kam/app.js from the browser's geolocation, only
    if the user allows it; empty otherwise (no check-in)."""

    latitude = forms.DecimalField(required=False, min_value=-90, max_value=90, max_digits=12,
                                  decimal_places=8, widget=forms.HiddenInput)
    longitude = forms.DecimalField(required=False, min_value=-180, max_value=180, max_digits=12,
                                   decimal_places=8, widget=forms.HiddenInput)
    accuracy = forms.IntegerField(required=False, min_value=0, max_value=MAX_ACCURACY_M,
                                  widget=forms.HiddenInput)

    def checkin(self) -> dict[str, Any] | None:
        """The position, if one was sent; None for none."""
        data = getattr(self, "cleaned_data", {})
        if data.get("latitude") is None or data.get("longitude") is None:
            return None
        return {"latitude": data["latitude"], "longitude": data["longitude"],
                "accuracy_m": data.get("accuracy")}


class CheckinForm(ServiceErrors, CheckinFields):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("latitude") is None or cleaned.get("longitude") is None:
            raise forms.ValidationError(_("Your phone did not share its location. Allow it in the "
                                          "browser to check in."))
        return cleaned


class ReportForm(ServiceErrors, CheckinFields):
    summary = forms.CharField(label=_("summary"), widget=forms.Textarea(attrs={"rows": 3}))
    discussed = forms.CharField(label=_("what was discussed"), required=False,
                                widget=forms.Textarea(attrs={"rows": 4}))
    customer_commitments = forms.CharField(
        label=_("the customer's commitments"), required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the customer promised to do; our own commitments go below, each with "
                    "who does it and by when."))
    sentiment = forms.ChoiceField(label=_("sentiment"), choices=Sentiment.choices,
                                  widget=forms.RadioSelect)
    next_visit_on = forms.DateField(label=_("next visit proposed for"), required=False,
                                    widget=forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"))

    def report(self) -> dict[str, Any]:
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in ("summary", "discussed", "customer_commitments",
                                                  "sentiment", "next_visit_on")}


class CommitmentForm(forms.Form):
    """One of our commitments: it becomes a follow-up with its owner and due date."""

    title = forms.CharField(label=_("what we promised"), max_length=300)
    owner = forms.ModelChoiceField(label=_("who"), queryset=Membership.unscoped_all_tenants.none())
    due_on = forms.DateField(label=_("due date"),
                             widget=forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"))

    def __init__(self, *args: Any, owners: QuerySet[Membership] | None = None,
                 default_owner: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if owners is not None:
            self.fields["owner"].queryset = owners
        # The field's initial, not the form's: a row left as it came is an empty row (skipped).
        self.fields["owner"].initial = default_owner


CommitmentFormSet = forms.formset_factory(CommitmentForm, extra=2, max_num=MAX_COMMITMENTS,
                                          validate_max=True)
