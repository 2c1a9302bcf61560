"""The contact form: widgets and parsing; the rules are in accounts.contacts.services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.account.forms import AccountChoiceField
from accounts.account.selectors import account_visible_queryset
from accounts.contacts.models import Contact
from accounts.contacts.services import CONTACT_EDITABLE_FIELDS
from kam.forms import ServiceModelForm
from kam.roles import Actor

DATE_INPUT = {"type": "date"}


class ContactForm(ServiceModelForm):
    account = AccountChoiceField(label=_("account"))

    class Meta:
        model = Contact
        fields = list(CONTACT_EDITABLE_FIELDS)
        widgets = {
            "birthday": forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"),
            "left_on": forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, actor: Actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = account_visible_queryset(actor=actor)
