"""Follow-up pages: the list (mine, overdue, due this week, all; done from the list), create /
edit, done, cancel (with a reason) and reopen (each asks first)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts.account.forms import preselected_account
from kam import clock, l10n
from kam.decorators import tenant_page
from kam.lists import SortOptions, filtered_page, form_page, get_or_404, see_other
from kam.roles import Perm
from visits.followups.filters import FollowUpListFilter
from visits.followups.forms import FollowUpCancelForm, FollowUpForm
from visits.followups.models import FollowUp
from visits.followups.selectors import (
    FollowUpView,
    follow_up_visible_queryset,
    follow_ups_in_view,
    is_overdue,
    week_of,
)
from visits.followups.services import (
    follow_up_cancel,
    follow_up_check,
    follow_up_create,
    follow_up_done,
    follow_up_reopen,
    follow_up_update,
)

# Sortable columns (each order has an index: visits/migrations/0001): soonest due first.
SORT = SortOptions(columns={"due": ("due_on", "id"),
                            "account": ("account__name", "due_on", "id")},
                   default="due")


def _get(request: HttpRequest, follow_up_id: int) -> FollowUp:
    return get_or_404(follow_up_visible_queryset(actor=request.actor), pk=follow_up_id)


def _list_url() -> str:
    return reverse("visits:follow-up-list")


def _back_url(request: HttpRequest) -> str:
    """The page the user came from (``next``: a page of this site), else the list."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return _list_url()
    return target


@tenant_page()
def follow_up_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    today = clock.today(actor.tenant)
    view = request.GET.get("view")
    if view not in FollowUpView.CHOICES:
        view = FollowUpView.MINE
    qs = follow_ups_in_view(follow_up_visible_queryset(actor=actor), view=view, today=today,
                            actor=actor)
    params = request.GET.copy()
    params.pop("view", None)
    if view != FollowUpView.ALL:
        params.pop("status", None)  # the other tabs are open follow-ups
    filterset = FollowUpListFilter(params or None, actor=actor, request=request, queryset=qs)
    context = filtered_page(request, filterset, sort=SORT)
    context["filtered"] = any(v for k, v in params.items() if k not in ("cursor", "sort"))
    for follow_up in context["page"].items:
        follow_up.overdue = is_overdue(follow_up, today=today)
    tab_query = request.GET.copy()
    for name in ("view", "cursor", "status"):
        tab_query.pop(name, None)
    monday, sunday = week_of(today)
    return render(request, "visits/follow_up_list.html", {
        "filter": filterset, "view": view, "tab_query": tab_query.urlencode(), "today": today,
        "week": {"start": l10n.day(monday), "end": l10n.day(sunday)},
        "can_change": actor.can(Perm.ACCOUNT_CHANGE), "here": request.get_full_path(),
        **context,
    }, status=400 if filterset.errors else 200)


def _done_message(follow_up: FollowUp) -> str:
    return _("Follow-up “%(title)s” was saved.") % {"title": follow_up.title}


@tenant_page(Perm.ACCOUNT_CHANGE)
def follow_up_create_view(request: HttpRequest) -> HttpResponse:
    form = FollowUpForm(request.POST or None, actor=request.actor,
                        initial=preselected_account(request))
    return form_page(request, form, template="visits/follow_up_form.html",
                     done=lambda _f: _list_url(),
                     save=lambda data: follow_up_create(actor=request.actor, data=data),
                     check=lambda data: follow_up_check(actor=request.actor, data=data),
                     message=_done_message)


@tenant_page(Perm.ACCOUNT_CHANGE)
def follow_up_edit_view(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    follow_up = _get(request, follow_up_id)
    form = FollowUpForm(request.POST or None, instance=follow_up, actor=request.actor)
    return form_page(request, form, template="visits/follow_up_form.html",
                     context={"follow_up": follow_up}, done=lambda _f: _list_url(),
                     save=lambda data: follow_up_update(actor=request.actor,
                                                        follow_up=follow_up, data=data),
                     check=lambda data: follow_up_check(actor=request.actor,
                                                        follow_up=follow_up, data=data),
                     message=_done_message)


def _confirm(request: HttpRequest, follow_up: FollowUp, *, action: str, form: Any = None,
             save: Any) -> HttpResponse:
    """A change of state that asks first: GET shows the question, POST does it and goes back
    where the user came from (the list, a visit). A refusal (done twice, a reason missing) is
    shown on the question's page, a 400."""
    refusal: list[str] = []
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            message = save(form.cleaned_data if form is not None else {})
        except ValidationError as exc:
            if form is not None:
                form.add_service_errors(exc)
            else:
                refusal = exc.messages
        else:
            messages.success(request, message)
            return see_other(_back_url(request))
    return render(request, "visits/follow_up_confirm.html", {
        "follow_up": follow_up, "action": action, "form": form, "refusal": refusal,
        "back": _back_url(request),
    }, status=400 if request.method == "POST" else 200)


@tenant_page(Perm.ACCOUNT_CHANGE)
def follow_up_done_view(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    follow_up = _get(request, follow_up_id)

    def save(_data: dict[str, Any]) -> str:
        done, following = follow_up_done(actor=request.actor, follow_up=follow_up)
        if following is not None:
            return _("Done. The next one is due %(day)s.") % {"day": l10n.day(following.due_on)}
        return _("Done: “%(title)s”.") % {"title": done.title}

    return _confirm(request, follow_up, action="done", save=save)


@tenant_page(Perm.ACCOUNT_CHANGE)
def follow_up_cancel_view(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    follow_up = _get(request, follow_up_id)

    def save(data: dict[str, Any]) -> str:
        follow_up_cancel(actor=request.actor, follow_up=follow_up, reason=data["reason"])
        return _("The follow-up was cancelled.")

    return _confirm(request, follow_up, action="cancel",
                    form=FollowUpCancelForm(request.POST if request.method == "POST" else None),
                    save=save)


@tenant_page(Perm.ACCOUNT_CHANGE)
def follow_up_reopen_view(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    follow_up = _get(request, follow_up_id)

    def save(_data: dict[str, Any]) -> str:
        follow_up_reopen(actor=request.actor, follow_up=follow_up)
        return _("The follow-up is open again.")

    return _confirm(request, follow_up, action="reopen", save=save)
