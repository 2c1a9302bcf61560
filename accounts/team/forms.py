"""The form that adds a member to an account's team."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.team.models import TeamRole
from kam.forms import ServiceErrors
from kam.models import Membership


class TeamMemberForm(ServiceErrors, forms.Form):
    membership = forms.ModelChoiceField(label=_("member"), empty_label=_("Choose a member"),
                                        queryset=Membership.unscoped_all_tenants.none())
    team_role = forms.ChoiceField(label=_("team role"), choices=TeamRole.choices)

    def __init__(self, *args, candidates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = candidates
