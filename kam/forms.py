"""Forms of the core pages, and the two helpers every app's forms use: a form parses and
validates its fields; the service holds the rules and raises ``ValidationError``, which
``ServiceErrors.add_service_errors`` puts on the form (on the field it names, else on the form).

A page shows every error of one submit at once: when some fields do not parse (a required field
left empty, a date that is no date), the service's save never runs, so the page runs its
validate-only twin (``account_check``, ``contact_check``, …: the same rules, no write) on the
fields that did parse, and ``ServiceErrors.add_rule_errors`` adds the rules' errors for those
fields beside the fields' own."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.models import (
    CURRENCIES,
    MAX_ESCALATION_WORKING_DAYS,
    MAX_GRACE_WORKING_DAYS,
    ApiKeyScope,
    EmailPreference,
    Tenant,
    time_zone_names,
)
from kam.roles import Role
from kam.services import DUE_SOON_DAYS_MAX, TENANT_SETTINGS


class ServiceErrors:
    """Mixin for forms whose input goes to a service: its errors go back on the form."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def add_service_errors(self, exc: ValidationError) -> None:
        for field, message in _service_messages(exc, self.fields):
            self.add_error(field, message)  # type: ignore[attr-defined]

    def add_rule_errors(self, exc: ValidationError) -> None:
        """The errors of the service's validate-only run on a form whose fields did not all
        parse. A field that did not parse keeps its own error (the rules only saw "unknown" for
        it, so what they say of it is no news); every other field, and the form, get the rules'
        errors, each once."""
        unparsed = set(self.errors)  # type: ignore[attr-defined]
        for field, message in _service_messages(exc, self.fields):
            if field in unparsed:
                continue
            if message not in self.errors.get(field or NON_FIELD_ERRORS, []):  # type: ignore[attr-defined]
                self.add_error(field, message)  # type: ignore[attr-defined]

    def data_for_service(self) -> dict[str, Any]:
        """The cleaned values, None for a field that did not parse (the validate-only run of the
        rules reads None as "unknown", as the service's own null checks do)."""
        return {name: self.cleaned_data.get(name) for name in self.fields}


def _service_messages(exc: ValidationError, fields: dict[str, forms.Field]
                      ) -> list[tuple[str | None, str]]:
    """(field or None for the form, message) of a service's ValidationError."""
    if not hasattr(exc, "error_dict"):
        return [(None, message) for message in exc.messages]
    return [(field if field in fields else None, message)
            for field, messages in exc.message_dict.items() for message in messages]


class ServiceModelForm(ServiceErrors, forms.ModelForm):
    """A ModelForm that only parses: the model's rules run in the service (one place, one
    message), so ``_post_clean`` (model validation) is skipped here."""

    def _post_clean(self) -> None:
        pass

    def data_for_service(self) -> dict[str, Any]:
        """The cleaned values of the fields the user may change (not the disabled ones); None
        for a field that did not parse."""
        return {name: self.cleaned_data.get(name) for name in self.fields
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


TIME_ZONE_NOTE = _(
    "“Today” follows the time zone: contracts due for renewal, what is overdue, the nightly run "
    "at 02:00 and every “last 12 months” figure are counted in it. A change applies to everyone "
    "in your company at once; times already recorded stay the same moments, shown in the new "
    "zone.")


class TenantSettingsForm(ServiceErrors, forms.Form):
    """The company's time zone, currency and default language: choices only (a stored value the
    lists no longer offer is kept as a choice, so the other two can still be changed)."""

    # The page shows the warning of what follows the time zone beside the form (TIME_ZONE_NOTE).
    time_zone = forms.ChoiceField(label=_("Time zone"))
    currency = forms.ChoiceField(label=_("Currency"), help_text=_(
        "The currency of every amount (transactions, contracts, revenue). Amounts are not "
        "converted: a change only changes the currency they are shown in."))
    default_language = forms.ChoiceField(label=_("Default language"), help_text=_(
        "For members whose browser asks for a language KAM does not offer; anyone can switch "
        "with the language menu."))
    visit_grace_working_days = forms.IntegerField(
        label=_("Grace period for visit reports"), min_value=0, max_value=MAX_GRACE_WORKING_DAYS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}), help_text=_(
            "Working days after a planned visit's day for its report; a visit still without one "
            "is marked missed that night and its owner is told."))
    follow_up_escalation_working_days = forms.IntegerField(
        label=_("Escalate overdue follow-ups after"), min_value=1,
        max_value=MAX_ESCALATION_WORKING_DAYS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}), help_text=_(
            "Working days after its due date: a follow-up still open then is escalated to your "
            "company's executives (its owner is told the night after it falls due)."))
    # Not required: a form posted without it keeps the stored number.
    cadence_due_soon_days = forms.IntegerField(
        label=_("Visits due soon within (days)"), required=False, min_value=0,
        max_value=DUE_SOON_DAYS_MAX, help_text=_(
            "An account's next visit at a level shows as due soon this many days ahead "
            "(default 7)."))

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(tenant, name) for name in TENANT_SETTINGS})
        super().__init__(*args, **kwargs)
        zones = time_zone_names()
        currencies = [(code, str(label)) for code, label in CURRENCIES.items()]
        if tenant.time_zone not in zones:
            zones = [tenant.time_zone, *zones]
        if tenant.currency not in CURRENCIES:
            currencies = [(tenant.currency, tenant.currency), *currencies]
        for name, choices in (("time_zone", [(zone, zone) for zone in zones]),
                              ("currency", currencies), ("default_language", settings.LANGUAGES)):
            cast(forms.ChoiceField, self.fields[name]).choices = choices


class TenantSwitchForm(forms.Form):
    tenant = forms.IntegerField()


class NotificationSettingsForm(ServiceErrors, forms.Form):
    """A member's notification settings (kam.notify.notification_settings_update)."""

    email = forms.ChoiceField(label=_("Email me"), widget=forms.RadioSelect, help_text=_(
        "Every notification is in your inbox in KAM; this says when you also get an email."))
    language = forms.ChoiceField(label=_("Language of the emails"), required=False)

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["email"]).choices = EmailPreference.choices
        company_language = dict(settings.LANGUAGES).get(tenant.default_language,
                                                         tenant.default_language)
        cast(forms.ChoiceField, self.fields["language"]).choices = [
            ("", _("Your company's language (%(language)s)") % {"language": company_language}),
            *settings.LANGUAGES]
