from __future__ import annotations

import datetime

import redis
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kam import clock, services
from kam.calendar import calendar_warnings
from kam.decorators import tenant_page
from kam.forms import (
    TIME_ZONE_NOTE,
    ApiKeyForm,
    MemberAddForm,
    MemberUpdateForm,
    TenantSettingsForm,
    TenantSwitchForm,
)
from kam.lists import rule_errors
from kam.middleware import SESSION_TENANT_KEY, KamRequest
from kam.models import ApiKey, Membership, person_name_order
from kam.myday import SESSION_PREVIOUS_LOGIN, MyDayScope, my_day
from kam.roles import Perm
from kam.selectors import settings_changes
from kam.tenancy import get_current_tenant


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness of the two things KAM cannot work without."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "down"; reported, not raised
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2,
                                      socket_connect_timeout=2)
        client.ping()
        checks["broker"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["broker"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks},
                        status=200 if healthy else 503)


@require_GET
@tenant_page()
def home(request: KamRequest) -> HttpResponse:
    """My day (kam.myday): a manager's own day; an executive's or administrator's portfolio, the
    whole company's or, with the team filter, one member's."""
    actor = request.actor
    assert actor is not None and request.membership is not None  # tenant_page
    portfolio = actor.can(Perm.ACCOUNT_VIEW_ALL)
    members = list(Membership.objects.filter(is_active=True).select_related("user")
                   .order_by(person_name_order(), "id")) if portfolio else []
    member_id: int | None = request.membership.pk
    if portfolio:
        wanted = request.GET.get("member", "")
        # The whole company unless a member of it is chosen; anything else shows the whole company.
        member_id = next((m.pk for m in members if str(m.pk) == wanted), None)
    since = request.session.get(SESSION_PREVIOUS_LOGIN)
    scope = MyDayScope(actor=actor, today=clock.today(), now=clock.now(), member_id=member_id,
                       since=_parse_instant(since))
    return render(request, "kam/my_day.html", {
        # Each section drawn with its own context (its template sees scope and today too).
        "sections": [(section, render_to_string(section.template, {
            **context, "scope": scope, "today": scope.today}, request=request))
            for section, context in my_day(scope)],
        "scope": scope,
        "portfolio": portfolio,
        "members": members,
        "calendar_warnings": calendar_warnings(today=scope.today),
        "can_manage_calendar": actor.can(Perm.SETTINGS_MANAGE),
    })


def _parse_instant(value: object) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


@require_POST
@tenant_page()
def tenant_switch(request: KamRequest) -> HttpResponse:
    form = TenantSwitchForm(request.POST)
    wanted = form.cleaned_data["tenant"] if form.is_valid() else None
    membership = next((m for m in request.memberships if m.tenant_id == wanted), None)
    if membership is None:
        raise Http404
    request.session[SESSION_TENANT_KEY] = membership.tenant_id
    services.membership_mark_used(membership=membership)  # the next login lands here
    messages.success(request, _("Switched to %(tenant)s.") % {"tenant": membership.tenant.name})
    return redirect(settings.LOGIN_REDIRECT_URL)


SETTINGS_CHANGES_SHOWN = 5


def _settings_context(request: HttpRequest, **extra) -> dict:
    context = {
        "members": Membership.objects.select_related("user").order_by(
            "-is_active", person_name_order(), "id"),
        "api_keys": ApiKey.objects.select_related("created_by").order_by("-created_at"),
        "member_form": MemberAddForm(),
        "key_form": ApiKeyForm(),
        "tenant_form": TenantSettingsForm(tenant=get_current_tenant()),
        "settings_changes": settings_changes(limit=SETTINGS_CHANGES_SHOWN),
        "time_zone_note": TIME_ZONE_NOTE,
        # The years without an official holiday schedule, flagged here too (kam.calendar).
        "calendar_warnings": calendar_warnings(today=clock.today()),
        "demo_mailbox": bool(settings.KAM_DEMO_MAILBOX),
    }
    context.update(extra)
    return context


@tenant_page(Perm.SETTINGS_MANAGE)
def settings_page(request: HttpRequest) -> HttpResponse:
    return render(request, "kam/settings.html", _settings_context(request))


@require_POST
@tenant_page(Perm.SETTINGS_MANAGE)
def member_add(request: HttpRequest) -> HttpResponse:
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            membership = services.member_add(**form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("%(user)s was added.") % {"user": membership})
            return redirect("kam:settings")
    else:
        rule_errors(form, lambda data: services.member_check(**data))
    return render(request, "kam/settings.html",
                  _settings_context(request, member_form=form), status=400)


@require_POST
@tenant_page(Perm.SETTINGS_MANAGE)
def tenant_settings(request: HttpRequest) -> HttpResponse:
    """The company's time zone, currency and default language (from the settings page)."""
    tenant = get_current_tenant()
    form = TenantSettingsForm(request.POST, tenant=tenant)
    if form.is_valid():
        try:
            services.tenant_settings_update(**form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The settings of %(company)s were saved.") % {
                "company": tenant.name})
            return redirect("kam:settings")
    else:
        rule_errors(form, lambda data: services.tenant_settings_check(**data))
    return render(request, "kam/settings.html",
                  _settings_context(request, tenant_form=form), status=400)


@require_POST
@tenant_page(Perm.SETTINGS_MANAGE)
def member_update(request: KamRequest, membership_id: int) -> HttpResponse:
    if not Membership.objects.filter(pk=membership_id).exists():
        raise Http404
    form = MemberUpdateForm(request.POST)
    if form.is_valid():
        try:
            services.member_update(membership_id=membership_id, acting_membership=request.membership,
                                   **form.cleaned_data)
        except ValidationError as exc:
            for msgs in exc.message_dict.values():
                for msg in msgs:
                    messages.error(request, msg)
        else:
            messages.success(request, _("The member was updated."))
    else:
        messages.error(request, _("Choose a valid role."))
    return redirect("kam:settings")


@require_POST
@tenant_page(Perm.SETTINGS_MANAGE)
def api_key_create(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST)
    if form.is_valid():
        assert request.user.is_authenticated  # tenant_page: login_required
        try:
            key, raw = services.api_key_create(created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return render(request, "kam/settings.html",
                          _settings_context(request, new_key=key, new_key_secret=raw))
    else:
        rule_errors(form, lambda data: services.api_key_check(**data))
    return render(request, "kam/settings.html", _settings_context(request, key_form=form),
                  status=400)


@tenant_page(Perm.SETTINGS_MANAGE)
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    key = ApiKey.objects.filter(pk=key_id).first()
    if key is None:
        raise Http404
    if request.method == "POST":
        services.api_key_revoke(key_id=key.pk)
        messages.success(request, _("The key %(name)s was revoked.") % {"name": key.name})
        return redirect("kam:settings")
    return render(request, "kam/api_key_revoke.html", {"key": key})


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback
