"""Forms of the core pages, and the two helpers every app's forms use: a form parses and
validates its fields; the service holds the rules and raises ``ValidationError``, which
``ServiceErrors.add_service_errors`` puts on the form (on the field it names, else on the form),
so a page shows every error of one submit at once."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.models import ApiKeyScope
from kam.roles import Role


class ServiceErrors:
    """Mixin for forms whose input goes to a service: its errors go back on the form."""

    fields: dict[str, forms.Field]

    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            for message in exc.messages:
                self.add_error(None, message)  # type: ignore[attr-defined]
            return
        for field, messages in exc.message_dict.items():
            for message in messages:
                self.add_error(field if field in self.fields else None, message)  # type: ignore[attr-defined]


class ServiceModelForm(ServiceErrors, forms.ModelForm):
    """A ModelForm that only parses: the model's rules run in the service (one place, one
    message), so ``_post_clean`` (model validation) is skipped here."""

    def _post_clean(self) -> None:
        pass

    def data_for_service(self) -> dict[str, Any]:
        """The cleaned values of the fields the user may change (not the disabled ones)."""
        return {name: self.cleaned_data[name] for name in self.fields
                if not self.fields[name].disabled}


class MemberAddForm(ServiceErrors, forms.Form):
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


class ApiKeyForm(ServiceErrors, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    scopes = forms.MultipleChoiceField(label=_("Scopes"), choices=ApiKeyScope.choices,
                                       widget=forms.CheckboxSelectMultiple,
                                       initial=[ApiKeyScope.READ])


class TenantSwitchForm(forms.Form):
    tenant = forms.IntegerField()
