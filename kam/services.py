"""Writes of the core app: members, roles, API keys, tenants."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from kam import clock
from kam.audit import current_audit_metadata
from kam.models import (
    CURRENCIES,
    MAX_ESCALATION_WORKING_DAYS,
    MAX_GRACE_WORKING_DAYS,
    ApiKey,
    ApiKeyScope,
    Membership,
    Tenant,
    TenantSettingsChange,
    time_zone_names,
)
from kam.roles import Role
from kam.tenancy import get_current_tenant, system_read, tenant_context

API_KEY_PREFIX_LEN = 8
_HEX_DIGITS = frozenset("0123456789abcdef")
# last_used_at is written at most this often per key, so reads stay reads.
API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)


def hash_api_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_api_key(raw: str) -> tuple[str, str] | None:
    """``kam_<prefix>_<secret>`` → (prefix, raw); None when the shape is wrong."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != "kam" or len(parts[1]) != API_KEY_PREFIX_LEN:
        return None
    if not set(parts[1]) <= _HEX_DIGITS:  # prefixes are hex; NUL & co. must not reach the database
        return None
    return parts[1], raw


def _api_key_errors(*, name: str | None, scopes: list[str] | None
                    ) -> tuple[str, list[str], dict[str, list[str]]]:
    """The rules of a new key: (name, scopes) cleaned and every error. None is "unknown" (a page's
    field that did not parse): not judged."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the key a name.")]
    elif ApiKey.objects.filter(name=name).exists():
        errors["name"] = [_("A key with this name already exists.")]
    valid_scopes = {c.value for c in ApiKeyScope}
    clean_scopes = sorted(set(scopes or []))
    if scopes is not None and not clean_scopes:
        errors["scopes"] = [_("Choose at least one scope.")]
    elif not set(clean_scopes) <= valid_scopes:
        errors["scopes"] = [_("Unknown scope. Use read and/or write.")]
    return name, clean_scopes, errors


def api_key_check(*, name: str | None, scopes: list[str] | None) -> None:
    """The rules of ``api_key_create`` without creating anything: ``ValidationError`` with every
    error (a value None is unknown, and not judged)."""
    _name, _scopes, errors = _api_key_errors(name=name, scopes=scopes)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def api_key_create(*, name: str, scopes: list[str], created_by: AbstractBaseUser | None = None
                   ) -> tuple[ApiKey, str]:
    """Create a key for the current tenant. Returns the key and the secret, shown once."""
    tenant = get_current_tenant()
    name, scopes, errors = _api_key_errors(name=name, scopes=scopes or [])
    if errors:
        raise ValidationError(errors)
    if ApiKeyScope.WRITE in scopes and ApiKeyScope.READ not in scopes:
        scopes = sorted([*scopes, ApiKeyScope.READ.value])  # writing implies reading
    prefix = secrets.token_hex(API_KEY_PREFIX_LEN // 2)
    raw = f"kam_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(tenant=tenant, name=name, prefix=prefix,
                                hashed_key=hash_api_key(raw), scopes=scopes,
                                created_by=created_by)
    return key, raw


@transaction.atomic
def api_key_revoke(*, key_id: int) -> ApiKey:
    key = ApiKey.objects.get(pk=key_id)
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        key.save(update_fields=["revoked_at"])
    return key


def api_key_authenticate(*, raw: str) -> ApiKey | None:
    """Find the active key for a presented secret (across tenants: the tenant is not known yet).

    A key created by a member works only while that member is active in the key's tenant (and
    their user is active): deactivating the member disables their keys at once, in the same one
    query. Keys with no creator (``create_api_key`` command) belong to the tenant itself.
    """
    parsed = split_api_key(raw)
    if parsed is None:
        return None
    prefix, _raw = parsed
    digest = hash_api_key(raw)
    creator_active = Membership.unscoped_all_tenants.filter(
        tenant_id=OuterRef("tenant_id"), user_id=OuterRef("created_by_id"), is_active=True,
        user__is_active=True)
    with system_read("which tenant does this API key belong to"):
        candidates = list(ApiKey.unscoped_all_tenants.select_related("tenant")
                          .filter(prefix=prefix, revoked_at__isnull=True, tenant__is_active=True)
                          .filter(Q(created_by__isnull=True) | Exists(creator_active)))
    for key in candidates:
        if hmac.compare_digest(key.hashed_key, digest):
            return key
    return None


def api_key_touch(*, key: ApiKey) -> None:
    """Record use, at most once a minute: a conditional UPDATE, so concurrent requests don't pile up."""
    now = clock.now()
    if key.last_used_at and now - key.last_used_at < API_KEY_TOUCH_INTERVAL:
        return
    with tenant_context(key.tenant):
        ApiKey.objects.filter(pk=key.pk).exclude(
            last_used_at__gt=now - API_KEY_TOUCH_INTERVAL).update(last_used_at=now)


def _member_errors(*, username: str | None, email: str | None, role: str | None,
                   password: str | None, first_name: str | None, last_name: str | None,
                   ) -> tuple[AbstractBaseUser | None, dict[str, list[str]]]:
    """The rules of adding a member, every one of them at once: (the user to add — an existing
    one, or a new one not saved yet — and the errors). A value None is "unknown" (a page's field
    that did not parse): not judged, and a new user's password is judged without it."""
    User = get_user_model()
    username = (username or "").strip()
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = [_("Enter a username.")]
    if role is not None and role not in Role.values:
        errors["role"] = [_("Unknown role.")]
    user = User.objects.filter(username=username).first() if username else None
    if user is not None:
        if Membership.objects.filter(user=user).exists():
            errors["username"] = [_("This user is already a member.")]
        return user, errors
    candidate = User(username=username, email=email or "", first_name=first_name or "",
                     last_name=last_name or "")
    try:
        candidate.full_clean(exclude=["password", *errors, *(
            name for name, value in (("email", email), ("first_name", first_name),
                                     ("last_name", last_name)) if value is None)])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if password is not None:
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            errors["password"] = exc.messages
    return candidate, errors


def member_check(*, username: str | None, email: str | None, role: str | None,
                 password: str | None, first_name: str | None = "",
                 last_name: str | None = "") -> None:
    """The rules of ``member_add`` without adding anyone: ``ValidationError`` with every error
    (a value None is unknown, and not judged)."""
    _user, errors = _member_errors(username=username, email=email, role=role, password=password,
                                   first_name=first_name, last_name=last_name)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def member_add(*, username: str, email: str, role: str, password: str,
               first_name: str = "", last_name: str = "") -> Membership:
    """Add a member to the current tenant, creating the user if the username is new."""
    tenant = get_current_tenant()
    user, errors = _member_errors(username=username, email=email, role=role,
                                  password=password or "", first_name=first_name,
                                  last_name=last_name)
    if errors:
        raise ValidationError(errors)
    assert user is not None  # no errors: the username was given
    if user.pk is None:
        user.set_password(password)
        user.save()
    return Membership.objects.create(tenant=tenant, user=user, role=role)


def membership_mark_used(*, membership: Membership) -> None:
    """Remember that the user works in this membership's company now: their next login lands
    there (kam.middleware). Written inside that company, whichever one the request is in."""
    now = clock.now()
    with tenant_context(membership.tenant), transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(last_used_at=now)
    membership.last_used_at = now


@transaction.atomic
def member_update(*, membership_id: int, role: str, is_active: bool,
                  acting_membership: Membership | None) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role.")]})
    membership = Membership.objects.select_for_update().get(pk=membership_id)
    losing_admin = membership.role == Role.ADMIN and (role != Role.ADMIN or not is_active)
    if losing_admin and not Membership.objects.filter(role=Role.ADMIN, is_active=True).exclude(
            pk=membership.pk).exists():
        raise ValidationError({"role": [_("Your company needs at least one active administrator.")]})
    if acting_membership is not None and acting_membership.pk == membership.pk and not is_active:
        raise ValidationError({"is_active": [_("You cannot deactivate yourself.")]})
    membership.role = role
    membership.is_active = is_active
    membership.save(update_fields=["role", "is_active"])
    return membership


# --- the company's settings -----------------------------------------------------------------------

TENANT_SETTINGS = ("time_zone", "currency", "default_language", "visit_grace_working_days",
                   "follow_up_escalation_working_days", "cadence_due_soon_days")
# The settings that are a number of working days, and their bounds.
_WORKING_DAY_SETTINGS = {"visit_grace_working_days": (0, MAX_GRACE_WORKING_DAYS),
                         "follow_up_escalation_working_days": (1, MAX_ESCALATION_WORKING_DAYS)}
# Visit cadence's "due soon" window (visits.cadence), in days.
DUE_SOON_DAYS_MAX = 90


def _tenant_settings_errors(tenant: Tenant, values: dict[str, Any]) -> dict[str, list[str]]:
    """Every choice must be one the settings page offers (a stored value it no longer offers may
    stay as it is), every number of days within its bounds. None is "unknown" (a page's field
    that did not parse): not judged."""
    offered = {
        "time_zone": set(time_zone_names()),
        "currency": set(CURRENCIES),
        "default_language": {code for code, _name in settings.LANGUAGES},
    }
    messages = {
        "time_zone": _("Choose a time zone from the list."),
        "currency": _("Choose a currency from the list."),
        "default_language": _("Choose a language from the list."),
    }
    errors: dict[str, list[str]] = {}
    for field, choices in offered.items():
        value = values.get(field)
        if value is not None and value not in choices and value != getattr(tenant, field):
            errors[field] = [messages[field]]
    for field, (low, high) in _WORKING_DAY_SETTINGS.items():
        value = values.get(field)
        if value is not None and (not isinstance(value, int) or not low <= value <= high):
            errors[field] = [_("Give a whole number of working days from %(low)d to %(high)d.")
                             % {"low": low, "high": high}]
    days = values.get("cadence_due_soon_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int)
                             or not 0 <= days <= DUE_SOON_DAYS_MAX):
        errors["cadence_due_soon_days"] = [
            _("Enter a whole number of days from 0 to %(max)d.") % {"max": DUE_SOON_DAYS_MAX}]
    return errors


def tenant_settings_check(*, time_zone: str | None, currency: str | None,
                          default_language: str | None, visit_grace_working_days: int | None,
                          follow_up_escalation_working_days: int | None,
                          cadence_due_soon_days: int | None = None) -> None:
    """The rules of ``tenant_settings_update`` without changing anything: ``ValidationError``
    with every error (a value None is unknown, and not judged)."""
    errors = _tenant_settings_errors(get_current_tenant(), {
        "time_zone": time_zone, "currency": currency, "default_language": default_language,
        "visit_grace_working_days": visit_grace_working_days,
        "follow_up_escalation_working_days": follow_up_escalation_working_days,
        "cadence_due_soon_days": cadence_due_soon_days})
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def tenant_settings_update(*, time_zone: str, currency: str, default_language: str,
                           visit_grace_working_days: int,
                           follow_up_escalation_working_days: int,
                           cadence_due_soon_days: int | None = None) -> Tenant:
    """Change the current tenant's time zone, currency, default language, the working days of its
    visits' grace period and its follow-ups' escalation (and, unless None, how many days ahead a
    visit is due soon), and record what changed, who changed it and when
    (``TenantSettingsChange``, append-only). Takes effect with the next request: "today", the
    nightly run's 02:00 and every time shown follow the new zone; amounts keep their numbers and
    show the new currency's code (nothing is converted); the next nightly run judges visits,
    follow-ups and cadence by the new numbers (what it marked before stays)."""
    current = get_current_tenant()
    tenant = Tenant.objects.select_for_update().get(pk=current.pk)
    values: dict[str, Any] = {
        "time_zone": time_zone, "currency": currency, "default_language": default_language,
        "visit_grace_working_days": visit_grace_working_days,
        "follow_up_escalation_working_days": follow_up_escalation_working_days}
    if cadence_due_soon_days is not None:
        values["cadence_due_soon_days"] = cadence_due_soon_days
    errors = _tenant_settings_errors(tenant, dict(values))
    if errors:
        raise ValidationError(errors)
    changes = {field: [getattr(tenant, field), value] for field, value in values.items()
               if getattr(tenant, field) != value}
    if changes:
        for field, (_old, new) in changes.items():
            setattr(tenant, field, new)
        tenant.full_clean(exclude=[f.name for f in Tenant._meta.fields
                                   if f.name not in TENANT_SETTINGS], validate_unique=False)
        tenant.save(update_fields=list(changes))
        TenantSettingsChange.objects.create(changed_at=clock.now(), changes=changes,
                                            context=current_audit_metadata())
    return tenant


# What a new tenant starts with, registered by the apps (kam names none of them): e.g. the
# accounts app's service standards and first tiering policy, stored rows that set-based SQL joins.
_TENANT_SETUP: list[Callable[[], object]] = []


def register_tenant_setup(step: Callable[[], object]) -> None:
    """``step()`` runs inside every new tenant (idempotent: a step registered twice runs once)."""
    if step not in _TENANT_SETUP:
        _TENANT_SETUP.append(step)


def tenant_setup(*, tenant: Tenant) -> None:
    """Run every set-up step for ``tenant`` (each idempotent: safe on an existing tenant)."""
    with tenant_context(tenant), transaction.atomic():
        for step in _TENANT_SETUP:
            step()


@transaction.atomic
def tenant_create(*, name: str, slug: str, time_zone: str = "Asia/Shanghai",
                  currency: str = "CNY", default_language: str = "zh-hans") -> Tenant:
    """A new tenant with what every tenant starts with (``tenant_setup``), in one transaction."""
    tenant = Tenant(name=name, slug=slug, time_zone=time_zone, currency=currency,
                    default_language=default_language)
    tenant.full_clean()
    tenant.save()
    tenant_setup(tenant=tenant)
    return tenant
