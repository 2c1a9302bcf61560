"""The account form: widgets and parsing; the rules are in accounts.account.services. And the
account picker every form and list filter that chooses an account uses (``AccountChoiceField``,
``AccountPicker``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.account.models import Account
from accounts.account.selectors import (
    account_choices,
    account_named,
    account_names,
    account_visible_queryset,
    member_choices,
)
from accounts.account.services import ACCOUNT_EDITABLE_FIELDS
from kam.forms import ServiceModelForm
from kam.models import Membership
from kam.roles import Actor, Perm

# --- the account picker ---------------------------------------------------------------------------

# Up to this many accounts a picker offers them all in a <select>, as a form always did; beyond it,
# a search box. 200 names are still a list one can scan (and jump in by typing), they weigh about 13
# KB of HTML (65 bytes an option), about what the rest of a list or form page weighs, and the one
# query that tells which mode applies reads at most 201 rows (2-5 ms on the bench). A manager's book
# of key accounts is far below it, so most people keep the plain select; an executive of a tenant
# with thousands of accounts (100,000 on the bench, 6.5 MB of options on every list page) searches.
PICKER_SELECT_MAX = 200
# What a search shows: the lookup endpoint's list, and the choices offered for a name that several
# accounts match.
PICKER_MATCHES = 20
# No name is longer (Account.name): a longer text matches nothing, asked of nobody.
_NAME_MAX = 200


@dataclass(frozen=True)
class TypedAccount:
    """What a picker in search mode submits: the id of the account picked from its list (or from
    the select of several matches; "" when none was picked) and the text of its box."""

    chosen: str
    text: str

    def __str__(self) -> str:  # as a plain value (a link's ?account=): the id picked, if any
        return self.chosen

    def __bool__(self) -> bool:
        return bool(self.chosen or self.text.strip())


class AccountPicker(forms.Widget):
    """A <select> of the field's accounts while they are few (``PICKER_SELECT_MAX``); beyond, a
    text box that searches them. With JavaScript (static/kam/app.js), typing fetches matches from
    ``accounts:account-lookup`` (htmx) into a listbox (ARIA combobox: arrow keys, Enter, Escape)
    and picking one puts its id in a hidden input. Without it, the box's text is submitted and the
    field resolves it (``AccountChoiceField``). Submitted: ``<name>`` (the id) and, from the search
    mode only, ``<name>_name`` (the box's text); a link that sends ``<name>`` alone
    (``?account=<id>``) chooses by id in either mode."""

    template_name = "accounts/widgets/account_picker.html"
    field: AccountChoiceField  # set by the field (AccountChoiceField._set_queryset)

    @staticmethod
    def text_name(name: str) -> str:
        return f"{name}_name"

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if self.text_name(name) not in data:
            return data.get(name)
        return TypedAccount(chosen=data.get(name) or "", text=data.get(self.text_name(name)) or "")

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and self.text_name(name) not in data

    def render(self, name: str, value: Any, attrs: dict | None = None,
               renderer: Any = None) -> SafeString:
        field = self.field
        few = field.few()
        if few is not None:
            chosen = value.chosen if isinstance(value, TypedAccount) else value
            choices = [("", field.empty_label)] if field.empty_label is not None else []
            choices += [(account.pk, field.label_from_instance(account)) for account in few]
            return forms.Select(attrs=self.attrs, choices=choices).render(name, chosen, attrs,
                                                                          renderer)
        context = self.get_context(name, value, attrs)
        return mark_safe(render_to_string(self.template_name, context))  # noqa: S308 - a template

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict[str, Any]:
        context = super().get_context(name, None, attrs)
        field = self.field
        if isinstance(value, TypedAccount):  # a submit that did not resolve: as it was typed
            chosen, text = "", value.text
        else:  # an account (initial, ?account=, or what a submit resolved to) or nothing
            account = field.account_of(value)
            chosen, text = (str(account.pk), account.name) if account else ("", "")
        widget = context["widget"]
        lookup = reverse("accounts:account-lookup")
        if field.excluded is not None:
            lookup += "?" + urlencode({"exclude": field.excluded})
        widget.update({
            "chosen": chosen, "text": text, "text_name": self.text_name(name),
            "candidates": field.candidates, "lookup_url": lookup,
            "options_id": f"{widget['attrs'].get('id') or name}_options",
            "placeholder": field.placeholder,
        })
        return context


class AccountChoiceField(forms.ModelChoiceField):
    """An account of ``queryset`` (set per request to the actor's visible accounts, or through
    ``offer``), chosen with an ``AccountPicker``: from a select while they are few, else by
    searching. The cleaned value is the Account.

    A search box's text is resolved here when nothing was picked from its list (no JavaScript, or
    a name typed and submitted): an account picked earlier stands while the text still names it;
    else the one account the text means (``account_named``: its exact name, else the only match);
    several: an error, and the widget offers them in a select; none: an error."""

    widget = AccountPicker
    default_error_messages = {
        "no_match": _("No account matches “%(text)s”."),
        "several": _("Several accounts match “%(text)s”: choose one below, or type more of the "
                     "name."),
    }

    def __init__(self, *, queryset: QuerySet[Account] | None = None,
                 placeholder: Any = None, **kwargs: Any) -> None:
        self.excluded: int | None = None
        self.placeholder = placeholder or _("Type the account's name or short name")
        super().__init__(queryset=(Account.unscoped_all_tenants.none() if queryset is None
                                   else queryset), **kwargs)

    def _set_queryset(self, queryset: QuerySet[Account] | None) -> None:
        super()._set_queryset(queryset)
        self.widget.field = self
        self._few: list[Account] | bool | None = False  # not read yet
        self.resolved: Account | None = None
        self.candidates: list[Account] = []

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def offer(self, accounts: QuerySet[Account], *, excluding: int | None = None) -> None:
        """Offer ``accounts`` but the one ``excluding`` (an account is not its own parent); the
        search leaves that one out too."""
        self.excluded = excluding
        self.queryset = accounts.exclude(pk=excluding) if excluding is not None else accounts

    def few(self) -> list[Account] | None:
        """The accounts to list in a select, or None when there are too many (search)."""
        if self._few is False:
            self._few = account_choices(self.queryset, limit=PICKER_SELECT_MAX)
        return self._few  # type: ignore[return-value]

    def account_of(self, value: Any) -> Account | None:
        """The offered account ``value`` (an Account or an id) names, to show its name."""
        if isinstance(value, Account):
            return value
        if self.resolved is not None and str(self.resolved.pk) == str(value):
            return self.resolved
        if not (isinstance(value, int) or (isinstance(value, str) and value.isascii()
                                           and value.isdigit())):
            return None
        try:
            return self.queryset.only("id", "name").filter(pk=int(value)).first()
        except OverflowError:
            return None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, TypedAccount) and self.resolved is not None:
            return self.resolved.pk
        return super().prepare_value(value)

    def to_python(self, value: Any) -> Account | None:
        if isinstance(value, TypedAccount):
            return self._resolve(value)
        return super().to_python(value)

    def clean(self, value: Any) -> Account | None:
        self.resolved = None
        self.candidates = []
        account = super().clean(value)
        self.resolved = account
        return account

    def _resolve(self, typed: TypedAccount) -> Account | None:
        text = typed.text.strip()
        if not text:
            return None
        if len(text) <= _NAME_MAX:
            picked = self.account_of(typed.chosen) if typed.chosen else None
            if picked is not None and account_names(picked, text):
                return picked
            found = account_named(self.queryset, text=text, limit=PICKER_MATCHES)
            if len(found) == 1:
                return found[0]
            if found:
                self.candidates = found
                raise ValidationError(self.error_messages["several"], code="several",
                                      params={"text": text})
        raise ValidationError(self.error_messages["no_match"], code="no_match",
                              params={"text": text})


class AccountForm(ServiceModelForm):
    """Field widgets and parsing only; the rules are in accounts.services."""

    # Declared, not generated: a generated field would touch the scoped manager at import time,
    # before any tenant is set. The querysets are set per request in __init__.
    owner = forms.ModelChoiceField(label=_("owner"), required=False,
                                   queryset=Membership.unscoped_all_tenants.none())
    parent = AccountChoiceField(label=_("parent account"), required=False)

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
        # Any visible account but itself (the rules refuse a cycle further up).
        self.fields["parent"].offer(account_visible_queryset(actor=actor),
                                    excluding=self.instance.pk)
        if not actor.can(Perm.ACCOUNT_ASSIGN_OWNER):
            self.fields["owner"].disabled = True
            if not self.instance.pk and actor.membership is not None:
                self.initial["owner"] = actor.membership.pk


def preselected_account(request: HttpRequest) -> dict[str, int]:
    """A form's initial account from ``?account=<id>`` (the 360° page's "add" links). Only
    preselects: the choices are the visible accounts, anything else shows as unset."""
    account_id = request.GET.get("account", "")
    return {"account": int(account_id)} if account_id.isascii() and account_id.isdigit() else {}
