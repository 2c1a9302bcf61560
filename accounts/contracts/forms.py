"""The contract form: widgets and parsing; the rules are in accounts.contracts.services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.account.forms import AccountChoiceField
from accounts.account.selectors import account_visible_queryset
from accounts.contracts.models import Contract
from accounts.contracts.services import CONTRACT_EDITABLE_FIELDS
from kam.forms import ServiceModelForm
from kam.roles import Actor

DATE_INPUT = {"type": "date"}


class ContractForm(ServiceModelForm):
    account = AccountChoiceField(label=_("account"))

    class Meta:
        model = Contract
        fields = list(CONTRACT_EDITABLE_FIELDS)
        widgets = {
            "start_date": forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, actor: Actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = account_visible_queryset(actor=actor)
