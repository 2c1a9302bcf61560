"""Pages of the service standards (服务标准): every member reads them, administrators edit them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.standards.forms import StandardsForm, field_label
from accounts.standards.models import STANDARD_FIELDS, ServiceStandard
from accounts.standards.selectors import is_default, service_standards
from accounts.standards.services import service_standards_check, service_standards_save
from accounts.tiering.models import Tier
from kam.decorators import tenant_page
from kam.lists import rule_errors
from kam.roles import Perm

CADENCE_FIELDS = ("business_visits_per_year", "technical_visits_per_year",
                  "leadership_visits_per_year", "surveys_per_year")


def cadence(times_per_year: int) -> str | None:
    """How often, in calendar words, for any number of times a year that a calendar unit divides:
    "monthly", "every 2 months", "twice a month" … None for others (5 times a year)."""
    n = times_per_year
    named = {1: _("yearly"), 2: _("twice a year"), 4: _("quarterly"), 12: _("monthly"),
             52: _("weekly"), 365: _("daily")}
    if n in named:
        return named[n]
    if n <= 0:
        return None
    if 12 % n == 0:  # 3, 6: every 4 months, every 2 months
        months = 12 // n
        return ngettext("every %(count)s month", "every %(count)s months", months) % {
            "count": months}
    if n % 12 == 0:  # 24, 36 …: 2 times a month, 3 times a month
        per_month = n // 12
        return ngettext("%(count)s time a month", "%(count)s times a month", per_month) % {
            "count": per_month}
    if 52 % n == 0:  # 13, 26: every 4 weeks, every 2 weeks
        weeks = 52 // n
        return ngettext("every %(count)s week", "every %(count)s weeks", weeks) % {
            "count": weeks}
    return None


def cadence_cell(times_per_year: int) -> str:
    """A cadence cell of the standards table, never a bare number: "6 · every 2 months",
    "5 times a year", "none"."""
    if times_per_year == 0:
        return _("none")
    words = cadence(times_per_year)
    if words is None:
        return ngettext("%(count)s time a year", "%(count)s times a year", times_per_year) % {
            "count": times_per_year}
    return f"{times_per_year} · {words}"


def _standards_table(standards: list[ServiceStandard]) -> list[dict[str, Any]]:
    """One row per field, one cell per tier (highest first)."""
    rows = []
    for name in STANDARD_FIELDS:
        cells = []
        for standard in standards:
            value = getattr(standard, name)
            if name == "executive_sponsor_required":
                text = _("Required") if value else _("Not required")
            elif name in CADENCE_FIELDS:
                text = cadence_cell(value)
            else:
                text = _("%(hours)s h") % {"hours": value}
            cells.append(text)
        rows.append({"label": field_label(name), "cells": cells})
    return rows


@tenant_page()
def standards_page(request: HttpRequest) -> HttpResponse:
    standards = service_standards()
    labels = dict(Tier.choices)
    return render(request, "accounts/tiering/standards.html", {
        "columns": [str(labels[s.tier]) for s in standards],
        "rows": _standards_table(standards),
        "all_default": all(is_default(s) for s in standards),
        "updated_at": max((s.updated_at for s in standards if s.pk), default=None),
        "can_manage": request.actor.can(Perm.STANDARDS_MANAGE),
        "can_view_calendar": request.actor.can(Perm.CALENDAR_VIEW),
    })



@tenant_page(Perm.STANDARDS_MANAGE)
def standards_edit_page(request: HttpRequest) -> HttpResponse:
    form = StandardsForm(request.POST if request.method == "POST" else None,
                         standards=service_standards())
    if request.method != "POST":
        return render(request, "accounts/tiering/standards_edit.html", {"form": form})
    if form.is_valid():
        try:
            service_standards_save(values=form.values())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The service standards were saved."))
            return redirect("accounts:service-standards")
    else:
        rule_errors(form, lambda _data: service_standards_check(values=form.values()))
    return render(request, "accounts/tiering/standards_edit.html", {"form": form}, status=400)
