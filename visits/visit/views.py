"""Visit pages: my / all visits, plan, a visit's page, edit, reschedule, cancel, check in, the
report with our commitments, the contacts of an account (the plan form's htmx part) and the 360°
page's visits section (an htmx part of its own, so the 360° page's queries stay fixed)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.account.forms import preselected_account
from accounts.account.selectors import account_visible_queryset, member_choices
from kam import clock
from kam.decorators import tenant_page
from kam.lists import SortOptions, filtered_page, form_page, get_or_404
from kam.roles import Perm
from visits.followups.selectors import account_open_follow_ups, is_overdue
from visits.visit.filters import VisitListFilter
from visits.visit.forms import (
    CancelForm,
    CheckinForm,
    CommitmentFormSet,
    ReportForm,
    RescheduleForm,
    VisitForm,
    contact_choices,
)
from visits.visit.models import Visit, VisitStatus
from visits.visit.selectors import (
    VisitPeriod,
    account_recent_visits,
    account_upcoming_visits,
    awaiting_report,
    visit_detail_queryset,
    visit_visible_queryset,
    visits_of,
)
from visits.visit.services import (
    visit_cancel,
    visit_check,
    visit_check_in,
    visit_complete,
    visit_complete_check,
    visit_plan,
    visit_reschedule,
    visit_update,
)

# Sortable columns (each order has an index: visits/migrations/0001). What is coming opens
# soonest first; what is past (or any time), latest first.
_SORT_COLUMNS = {"start": ("planned_start", "id"),
                 "account": ("account__name", "planned_start", "id")}
SORT_UPCOMING = SortOptions(columns=_SORT_COLUMNS, default="start")
SORT_PAST = SortOptions(columns=_SORT_COLUMNS, default="-start",
                        descending_first=frozenset({"start"}))
SCOPES = ("mine", "all")


def _get_visit(request: HttpRequest, visit_id: int) -> Visit:
    return get_or_404(visit_visible_queryset(actor=request.actor), pk=visit_id)


def _detail_url(visit: Visit) -> str:
    return reverse("visits:visit-detail", args=[visit.pk])


@tenant_page()
def visit_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    scope = request.GET.get("scope")
    if scope not in SCOPES:
        # A member opens on their own visits; a key-less executive or admin too.
        scope = "mine" if actor.membership is not None else "all"
    qs = visit_visible_queryset(actor=actor)
    if scope == "mine" and actor.membership is not None:
        qs = visits_of(qs, member_id=actor.membership.pk)
    params = request.GET.copy()
    params.pop("scope", None)
    if not params.get("period"):
        params["period"] = VisitPeriod.UPCOMING
    filterset = VisitListFilter(params, actor=actor, request=request, queryset=qs)
    upcoming = params["period"] == VisitPeriod.UPCOMING
    context = filtered_page(request, filterset, sort=SORT_UPCOMING if upcoming else SORT_PAST)
    context["filtered"] = not upcoming or any(
        v for k, v in params.items() if k not in ("cursor", "sort", "period"))
    tab_query = request.GET.copy()
    for name in ("scope", "cursor"):
        tab_query.pop(name, None)
    now = clock.now()
    for visit in context["page"].items:
        visit.report_due = awaiting_report(visit, now=now)
    return render(request, "visits/visit_list.html", {
        "filter": filterset, "scope": scope, "tab_query": tab_query.urlencode(),
        "can_change": actor.can(Perm.ACCOUNT_CHANGE), **context,
    }, status=400 if filterset.errors else 200)


@tenant_page(Perm.ACCOUNT_CHANGE)
def visit_create_view(request: HttpRequest) -> HttpResponse:
    form = VisitForm(request.POST or None, actor=request.actor,
                     initial=preselected_account(request))
    return form_page(request, form, template="visits/visit_form.html", done=_detail_url,
                     save=lambda data: visit_plan(actor=request.actor, data=data),
                     check=lambda data: visit_check(actor=request.actor, data=data),
                     message=lambda visit: _("The visit was planned."))


@tenant_page(Perm.ACCOUNT_CHANGE)
def visit_edit_view(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = get_or_404(visit_detail_queryset(actor=request.actor), pk=visit_id)
    form = VisitForm(request.POST or None, instance=visit, actor=request.actor)
    return form_page(request, form, template="visits/visit_form.html", context={"visit": visit},
                     done=_detail_url,
                     save=lambda data: visit_update(actor=request.actor, visit=visit, data=data),
                     check=lambda data: visit_check(actor=request.actor, visit=visit, data=data),
                     message=lambda _visit: _("Your changes were saved."))


@tenant_page()
def visit_detail(request: HttpRequest, visit_id: int) -> HttpResponse:
    actor = request.actor
    visit = get_or_404(visit_detail_queryset(actor=actor), pk=visit_id)
    today = clock.today(actor.tenant)
    follow_ups = list(visit.follow_ups.all())
    for follow_up in follow_ups:
        follow_up.overdue = is_overdue(follow_up, today=today)
    return render(request, "visits/visit_detail.html", {
        "visit": visit, "follow_ups": follow_ups, "today": today,
        "report_due": awaiting_report(visit, now=clock.now()),
        "can_change": actor.can(Perm.ACCOUNT_CHANGE),
        "can_report": (actor.can(Perm.ACCOUNT_CHANGE) and visit.is_open
                       and clock.local_date(visit.planned_start) <= today),
    })


def _posted(request: HttpRequest) -> Any:
    """The form's data: a POST's, even an empty one (an empty POST is a bound form with its
    errors, not an unbound one)."""
    return request.POST if request.method == "POST" else None


def _state_page(request: HttpRequest, visit: Visit, form: Any, *, template: str,
                save: Any, message: str) -> HttpResponse:
    """A small form that changes a visit's state (reschedule, cancel, check in): the service's
    errors on the form, a 400; success, back to the visit's page."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, message)
            return redirect(_detail_url(visit))
    status = 400 if request.method == "POST" else 200
    return render(request, template, {"visit": visit, "form": form}, status=status)


@tenant_page(Perm.ACCOUNT_CHANGE)
def visit_reschedule_view(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = _get_visit(request, visit_id)
    form = RescheduleForm(_posted(request), initial={
        "planned_start": visit.planned_start, "duration_minutes": visit.duration_minutes})
    return _state_page(request, visit, form, template="visits/visit_reschedule.html",
                       save=lambda data: visit_reschedule(
                           actor=request.actor, visit=visit, planned_start=data["planned_start"],
                           duration_minutes=data["duration_minutes"]),
                       message=_("The visit was rescheduled."))


@tenant_page(Perm.ACCOUNT_CHANGE)
def visit_cancel_view(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = _get_visit(request, visit_id)
    form = CancelForm(_posted(request))
    return _state_page(request, visit, form, template="visits/visit_cancel.html",
                       save=lambda data: visit_cancel(actor=request.actor, visit=visit,
                                                      reason=data["reason"]),
                       message=_("The visit was cancelled."))


@tenant_page(Perm.ACCOUNT_CHANGE)
def visit_check_in_view(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = _get_visit(request, visit_id)
    form = CheckinForm(_posted(request))
    return _state_page(request, visit, form, template="visits/visit_check_in.html",
                       save=lambda data: visit_check_in(
                           actor=request.actor, visit=visit, latitude=data["latitude"],
                           longitude=data["longitude"], accuracy_m=data.get("accuracy")),
                       message=_("You checked in at this visit."))


# --- the report ---------------------------------------------------------------------------------


def _commitments(formset: Any) -> tuple[list[dict[str, Any]], list[int]]:
    """The filled-in rows of the commitments (parsed fields; None for one that did not parse)
    and which form each came from."""
    rows, forms_of = [], []
    for index, form in enumerate(formset.forms):
        if not form.has_changed():
            continue
        data = getattr(form, "cleaned_data", {})
        rows.append({name: data.get(name) for name in ("title", "owner", "due_on")})
        forms_of.append(index)
    return rows, forms_of


def _report_errors(form: ReportForm, formset: Any, exc: ValidationError, forms_of: list[int], *,
                   only_parsed: bool) -> None:
    """The service's errors on the report form and its commitment rows (``follow_ups.<i>.<f>``).
    After a check (``only_parsed``), a field that did not parse keeps its own error only."""
    own: dict[str, list[str]] = {}
    for name, messages_ in exc.message_dict.items():
        if name.startswith("follow_ups."):
            _prefix, index, field = name.split(".", 2)
            row = formset.forms[forms_of[int(index)]]
            if only_parsed and field in row.errors:
                continue
            for message in messages_:
                row.add_error(field if field in row.fields else None, message)
        else:
            own[name] = messages_
    if own:
        report = ValidationError({k if k in form.fields else NON_FIELD_ERRORS: v
                                  for k, v in own.items()})
        (form.add_rule_errors if only_parsed else form.add_service_errors)(report)


@tenant_page(Perm.ACCOUNT_CHANGE)
def visit_report_view(request: HttpRequest, visit_id: int) -> HttpResponse:
    actor = request.actor
    visit = _get_visit(request, visit_id)
    data = _posted(request)
    form = ReportForm(data)
    formset = CommitmentFormSet(data, prefix="follow_ups", form_kwargs={
        "owners": member_choices(), "default_owner": visit.owner_id})
    context = {"visit": visit, "form": form, "formset": formset}
    if request.method != "POST":
        return render(request, "visits/visit_report.html", context)
    valid = form.is_valid() & formset.is_valid()  # both, for every error at once
    commitments, forms_of = _commitments(formset)
    if valid:
        try:
            visit_complete(actor=actor, visit=visit, report=form.report(),
                           commitments=commitments, checkin=form.checkin())
        except ValidationError as exc:
            _report_errors(form, formset, exc, forms_of, only_parsed=False)
        else:
            messages.success(request, _("The report was saved and the visit is completed."))
            return redirect(_detail_url(visit))
    else:
        try:
            visit_complete_check(actor=actor, visit=visit, report=form.report(),
                                 commitments=commitments, checkin=form.checkin())
        except ValidationError as exc:
            _report_errors(form, formset, exc, forms_of, only_parsed=True)
    return render(request, "visits/visit_report.html", context, status=400)


# --- htmx parts -------------------------------------------------------------------------------


@tenant_page()
def visit_contact_choices(request: HttpRequest) -> HttpResponse:
    """The plan form's contacts field for the account chosen (``?account=``): that account's
    contacts, if the actor sees it; none otherwise."""
    form = VisitForm(actor=request.actor)
    form.fields["contacts"].queryset = contact_choices(actor=request.actor,
                                                       account_id=request.GET.get("account", ""))
    form.account_id = request.GET.get("account", "")
    return render(request, "visits/_contacts_field.html", {"form": form})


@tenant_page()
def account_visits(request: HttpRequest, account_id: int) -> HttpResponse:
    """The 360° page's visits section: upcoming and recent visits, and open follow-ups."""
    actor = request.actor
    account = get_or_404(account_visible_queryset(actor=actor), pk=account_id)
    today = clock.today(actor.tenant)
    follow_ups = account_open_follow_ups(account=account)
    for follow_up in follow_ups:
        follow_up.overdue = is_overdue(follow_up, today=today)
    return render(request, "visits/_account_visits.html", {
        "account": account, "today": today,
        "upcoming": account_upcoming_visits(account=account, actor=actor),
        "recent": account_recent_visits(account=account, actor=actor),
        "follow_ups": follow_ups, "can_change": actor.can(Perm.ACCOUNT_CHANGE),
        "completed": VisitStatus.COMPLETED,
    })
