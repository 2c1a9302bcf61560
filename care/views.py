"""Care pages: the user's care reminders (mine / all I may see, the next 14 days, paged),
dismiss one (asks first), turn one into a follow-up (the follow-up form, prefilled), the 360°
page's care section, and the company's festival list for administrators."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts.account.selectors import account_visible_queryset
from care.forms import CareSettingsForm, FestivalForm
from care.models import CareReminder, Festival
from care.selectors import (
    DEFAULT_DAYS,
    ReminderView,
    account_care_reminders,
    care_reminder_visible_queryset,
    care_reminders_in_view,
    care_settings,
    festival_list,
)
from care.services import (
    care_follow_up_check,
    care_follow_up_initial,
    care_reminder_dismiss,
    care_reminder_follow_up,
    care_settings_check,
    care_settings_update,
    festival_check,
    festival_delete,
    festival_save,
)
from kam import clock, l10n
from kam.decorators import tenant_page
from kam.lists import form_page, get_or_404, page_of, see_other
from kam.roles import Perm
from visits.followups.forms import FollowUpForm

ORDER = ("occurs_on", "id")
DAY_CHOICES = ("7", "14", "30", "60")  # how far ahead the list looks (?days=)


def _get(request: HttpRequest, reminder_id: int) -> CareReminder:
    return get_or_404(care_reminder_visible_queryset(actor=request.actor), pk=reminder_id)


def _back_url(request: HttpRequest) -> str:
    """The page the user came from (``next``: a page of this site), else the list."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return reverse("care:reminder-list")
    return target


@tenant_page()
def reminder_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    today = clock.today(actor.tenant)
    view = request.GET.get("view")
    if view not in ReminderView.CHOICES:
        view = ReminderView.MINE
    raw_days = request.GET.get("days") or str(DEFAULT_DAYS)
    days = int(raw_days) if raw_days in DAY_CHOICES else None
    qs = care_reminders_in_view(care_reminder_visible_queryset(actor=actor), view=view,
                                actor=actor, today=today, days=days or DEFAULT_DAYS)
    if days is None:
        qs = qs.none()
    page = page_of(request, qs, order=ORDER)
    for reminder in page.items:
        reminder.when = l10n.relative_day(reminder.occurs_on, today=today)
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(request, "care/reminder_list.html", {
        "view": view, "page": page, "base_query": query.urlencode(),
        "days": days or DEFAULT_DAYS, "day_choices": [int(d) for d in DAY_CHOICES],
        "days_error": None if days else _("Choose one of the periods offered."),
        "until": l10n.day(today + datetime.timedelta(days=days or DEFAULT_DAYS)),
        "can_change": actor.can(Perm.ACCOUNT_CHANGE), "here": request.get_full_path(),
    }, status=200 if days else 400)


@tenant_page(Perm.ACCOUNT_CHANGE)
def reminder_dismiss_view(request: HttpRequest, reminder_id: int) -> HttpResponse:
    """Asks first (GET); POST dismisses and goes back where the user came from."""
    reminder = _get(request, reminder_id)
    refusal: list[str] = []
    if request.method == "POST":
        try:
            care_reminder_dismiss(actor=request.actor, reminder=reminder)
        except ValidationError as exc:
            refusal = exc.messages
        else:
            messages.success(request, _("The reminder was dismissed."))
            return see_other(_back_url(request))
    return render(request, "care/reminder_dismiss.html", {
        "reminder": reminder, "refusal": refusal, "back": _back_url(request),
    }, status=400 if request.method == "POST" else 200)


@tenant_page(Perm.ACCOUNT_CHANGE)
def reminder_follow_up_view(request: HttpRequest, reminder_id: int) -> HttpResponse:
    """The follow-up form, prefilled from the reminder (its account fixed)."""
    actor = request.actor
    reminder = _get(request, reminder_id)
    form = FollowUpForm(request.POST or None, actor=actor,
                        initial=care_follow_up_initial(reminder=reminder))
    form.fields["account"].disabled = True
    return form_page(request, form, template="care/reminder_follow_up.html",
                     context={"reminder": reminder},
                     done=lambda _f: reverse("care:reminder-list"),
                     save=lambda data: care_reminder_follow_up(actor=actor, reminder=reminder,
                                                               data=data),
                     check=lambda data: care_follow_up_check(actor=actor, reminder=reminder,
                                                             data=data),
                     message=lambda f: _("Follow-up “%(title)s” was saved.") % {"title": f.title})


@tenant_page()
def account_care(request: HttpRequest, account_id: int) -> HttpResponse:
    """The 360° page's care section: the account's open reminders from today on."""
    actor = request.actor
    account = get_or_404(account_visible_queryset(actor=actor), pk=account_id)
    today = clock.today(actor.tenant)
    reminders = account_care_reminders(account=account, today=today)
    for reminder in reminders:
        reminder.when = l10n.relative_day(reminder.occurs_on, today=today)
    return render(request, "care/_account_care.html", {
        "account": account, "reminders": reminders,
        "can_change": actor.can(Perm.ACCOUNT_CHANGE),
        "here": reverse("accounts:account-detail", args=[account.pk]),
    })


# --- the company's festivals (administrators) -------------------------------------------------------


def _festival_message(festival: Festival) -> str:
    return _("Festival “%(name)s” was saved.") % {"name": festival.name}


@tenant_page(Perm.SETTINGS_MANAGE)
def festival_list_view(request: HttpRequest) -> HttpResponse:
    """The festival list, and the days ahead of birthdays and contract anniversaries (a form
    posted to ``care:care-settings``)."""
    return render(request, "care/festival_list.html", {
        "festivals": festival_list(), "form": CareSettingsForm(instance=care_settings())})


@tenant_page(Perm.SETTINGS_MANAGE)
def care_settings_view(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    form = CareSettingsForm(request.POST or None, instance=care_settings())
    return form_page(request, form, template="care/festival_list.html",
                     context={"festivals": festival_list()},
                     done=lambda _s: reverse("care:festival-list"),
                     save=lambda data: care_settings_update(actor=actor, data=data),
                     check=lambda data: care_settings_check(actor=actor, data=data),
                     message=lambda _s: _("The days ahead were saved."))


@tenant_page(Perm.SETTINGS_MANAGE)
def festival_create_view(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    form = FestivalForm(request.POST or None)
    return form_page(request, form, template="care/festival_form.html",
                     done=lambda _f: reverse("care:festival-list"),
                     save=lambda data: festival_save(actor=actor, data=data),
                     check=lambda data: festival_check(actor=actor, data=data),
                     message=_festival_message)


@tenant_page(Perm.SETTINGS_MANAGE)
def festival_edit_view(request: HttpRequest, festival_id: int) -> HttpResponse:
    actor = request.actor
    festival = _festival(festival_id)
    form = FestivalForm(request.POST or None, instance=festival)
    return form_page(request, form, template="care/festival_form.html",
                     context={"festival": festival},
                     done=lambda _f: reverse("care:festival-list"),
                     save=lambda data: festival_save(actor=actor, data=data, festival=festival),
                     check=lambda data: festival_check(actor=actor, data=data,
                                                       festival=festival),
                     message=_festival_message)


@tenant_page(Perm.SETTINGS_MANAGE)
def festival_delete_view(request: HttpRequest, festival_id: int) -> HttpResponse:
    festival = _festival(festival_id)
    if request.method == "POST":
        festival_delete(actor=request.actor, festival=festival)
        messages.success(request, _("Festival “%(name)s” was removed.") % {"name": festival.name})
        return see_other(reverse("care:festival-list"))
    return render(request, "care/festival_delete.html", {"festival": festival})


def _festival(festival_id: int) -> Festival:
    try:
        return Festival.objects.get(pk=festival_id)
    except Festival.DoesNotExist as exc:
        raise Http404 from exc


