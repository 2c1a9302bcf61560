"""The account form: widgets and parsing; the rules are in accounts.account.services."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.account.models import Account
from accounts.account.selectors import account_visible_queryset, member_choices
from accounts.account.services import ACCOUNT_EDITABLE_FIELDS
from kam.forms import ServiceModelForm
from kam.models import Membership
from kam.roles import Actor, Perm


class AccountForm(ServiceModelForm):
    """Field widgets and parsing only; the rules are in accounts.services."""

    # Declared, not generated: a generated field would touch the scoped manager at import time,
    # before any tenant is set. The querysets are set per request in __init__.
    owner = forms.ModelChoiceField(label=_("owner"), required=False,
                                   queryset=Membership.unscoped_all_tenants.none())
    parent = forms.ModelChoiceField(label=_("parent account"), required=False,
                                    queryset=Account.unscoped_all_tenants.none())

    class Meta:
        model = Account
        fields = list(ACCOUNT_EDITABLE_FIELDS)
        widgets = {
            "business_scope": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, actor: Actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = member_choices()
        parents = account_visible_queryset(actor=actor).only("id", "name").order_by("name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        if not actor.can(Perm.ACCOUNT_ASSIGN_OWNER):
            self.fields["owner"].disabled = True
            if not self.instance.pk and actor.membership is not None:
                self.initial["owner"] = actor.membership.pk


def preselected_account(request: HttpRequest) -> dict[str, int]:
    """A form's initial account from ``?account=<id>`` (the 360° page's "add" links). Only
    preselects: the choices are the visible accounts, anything else shows as unset."""
    account_id = request.GET.get("account", "")
    return {"account": int(account_id)} if account_id.isascii() and account_id.isdigit() else {}
