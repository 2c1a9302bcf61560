from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.models import ApiKeyScope
from kam.roles import Role


class MemberAddForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)
    first_name = forms.CharField(label=_("Given name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MANAGER)
    password = forms.CharField(
        label=_("Initial password"), widget=forms.PasswordInput, required=False,
        help_text=_("Needed for a new user; an existing user keeps their password."),
    )


class MemberUpdateForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    is_active = forms.BooleanField(label=pgettext_lazy("member", "Active"), required=False)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    scopes = forms.MultipleChoiceField(label=_("Scopes"), choices=ApiKeyScope.choices,
                                       widget=forms.CheckboxSelectMultiple,
                                       initial=[ApiKeyScope.READ])


class TenantSwitchForm(forms.Form):
    tenant = forms.IntegerField()
