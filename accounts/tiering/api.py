"""API v1: the tier changes, read-only — ``GET /api/v1/tier-changes/`` (issue 5, "Explanation and
history").

For integrations that follow tiers: every recorded change of an account's effective tier (computed by
the nightly job, set by a manual override, or back to the computed tier when an override ended),
oldest first by ``(changed_at, id)``. ``since`` (changes after it) and ``account`` narrow the list.

Who sees what: the account visibility of the account API — managers (sessions) the changes of the
accounts they own or are on the team of; administrators, executives and API keys (``read`` scope and
up) every change of the tenant. Another tenant's account in ``account=`` is a 400 like every filter
naming another tenant's row (tests/accounts/account/test_api.py::test_filter_by_another_tenants_...).

Pagination: keyset on ``(changed_at, id)``, the cursor carries the last row's pair. (DRF's
CursorPagination positions on the first ordering field only, with an offset capped at 1,000 for
ties; one nightly run records all its changes at the same ``changed_at``, so a large run would not
page correctly.) Any page costs the same single query.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import re
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers
from rest_framework.utils.urls import replace_query_param

from accounts.account.models import Account
from accounts.tiering.models import Criterion, Tier, TierChange, TierChangeSource
from accounts.tiering.selectors import Breakdown, tier_change_visible_queryset
from kam import clock
from kam.api import ApiFilterBackend, TenantCursorPagination, TenantViewSet, routes
from kam.roles import Actor

# --- tiering: the shapes of the read-only tier fields (documented exactly in the schema) -----------


def _score_field(**kwargs: Any) -> serializers.DecimalField:
    # Scores, points and distances: 0–100 (a distance down can exceed 100 by the margin).
    return serializers.DecimalField(max_digits=5, decimal_places=2, **kwargs)


class TierOverrideSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices, help_text="The manual tier.")
    reason = serializers.CharField(help_text="Why, as given by the person who set it.")
    until = serializers.DateField(help_text="The last day it applies (inclusive).")
    set_by = serializers.CharField(allow_null=True, help_text="Who set it (null if unknown).")
    set_at = serializers.DateTimeField(allow_null=True, help_text="When it was set.")


class TierCriterionSerializer(serializers.Serializer):
    criterion = serializers.ChoiceField(choices=Criterion.choices)
    enabled = serializers.BooleanField(help_text="Switched off criteria count 0.")
    raw_value = serializers.CharField(
        allow_null=True,
        help_text="The account's value: a decimal for amounts and percentages (revenue, share, "
        "margin, growth), a whole number for orders and the strategic value, the rating A–D for "
        "credit (\"\" = not rated); null when there is no value (no figures, no revenue).")
    points = _score_field(help_text="0–100, from the policy's thresholds.")
    weight = serializers.IntegerField(min_value=0, max_value=100,
                                      help_text="0 when switched off; enabled weights sum to 100.")
    contribution = _score_field(help_text="points × weight / 100; they sum to the score.")


class TierNextUpSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices)
    points_needed = _score_field(help_text="Points to gain to reach that tier's cut-off.")


class TierNextDownSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices)
    points_to_lose = _score_field(
        help_text="Points the account can lose before it moves down (with the move-down margin).")


class TierBreakdownSerializer(serializers.Serializer):
    policy_version = serializers.IntegerField(help_text="The current policy's version.")
    score = _score_field(help_text="0–100: the sum of the contributions.")
    computed_tier = serializers.ChoiceField(choices=Tier.choices)
    tier = serializers.ChoiceField(choices=Tier.choices,
                                   help_text="Effective: an unexpired override wins.")
    criteria = TierCriterionSerializer(many=True)
    next_up = TierNextUpSerializer(allow_null=True, help_text="null in the highest tier.")
    next_down = TierNextDownSerializer(allow_null=True, help_text="null in the lowest tier.")


def _raw_text(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, Decimal):
        return f"{raw:f}"
    return str(raw)


def _d2(value: Decimal) -> str:
    """A score/points decimal as the DecimalField(decimal_places=2) above would write it."""
    return f"{value:.2f}"


def breakdown_data(bd: Breakdown) -> dict[str, Any]:
    """The breakdown in the shape TierBreakdownSerializer documents, built directly: running 50
    accounts × 7 criteria through nested serializers cost ~50 ms per page (bench/latency.py)."""
    return {
        "policy_version": bd.policy_version, "score": _d2(bd.score),
        "computed_tier": bd.computed_tier, "tier": bd.tier,
        "criteria": [{"criterion": line.key, "enabled": line.enabled, "raw_value": _raw_text(line.raw),
                      "points": _d2(line.points), "weight": line.weight,
                      "contribution": _d2(line.contribution)} for line in bd.criteria],
        "next_up": ({"tier": bd.next_up_tier, "points_needed": _d2(bd.points_to_next_up)}
                    if bd.next_up_tier else None),
        "next_down": ({"tier": bd.next_down_tier, "points_to_lose": _d2(bd.points_to_next_down)}
                      if bd.next_down_tier else None),
    }


# --- the ``since`` filter ---------------------------------------------------------------------------

# RFC 3339 / ISO 8601 extended form: date, "T" (or a space), time with optional seconds and
# fraction, optional offset ("Z" or ±hh:mm). Without an offset: the tenant's time zone.
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))?")


def parse_datetime_param(value: str) -> datetime.datetime:
    """An ISO 8601 date and time, naive when it has no offset. ValueError when it is not one."""
    match = _DATETIME.fullmatch(value)
    if match is None:
        raise ValueError(value)
    year, month, day, hour, minute = (int(g) for g in match.groups()[:5])
    second = int(match.group(6) or 0)
    micro = int((match.group(7) or "0").ljust(6, "0")[:6])
    tzinfo: datetime.tzinfo | None = None
    if match.group(8):
        tzinfo = datetime.UTC
    elif match.group(9):
        hours, minutes = int(match.group(10)), int(match.group(11))
        if hours > 23 or minutes > 59:
            raise ValueError(value)
        sign = -1 if match.group(9) == "-" else 1
        tzinfo = datetime.timezone(sign * datetime.timedelta(hours=hours, minutes=minutes))
    return datetime.datetime(year, month, day, hour, minute, second, micro, tzinfo=tzinfo)


class DateTimeParamField(forms.Field):
    default_error_messages = {
        "invalid": gettext_lazy("Enter a date and time in ISO 8601 form, for example "
                                "2026-06-30T02:00:00+08:00 (without an offset, your "
                                "company's time zone applies)."),
    }

    def to_python(self, value: Any) -> datetime.datetime | None:
        if value is None:
            return None
        try:
            return parse_datetime_param(str(value))
        except ValueError as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc


@extend_schema_field(OpenApiTypes.DATETIME)
class SinceFilter(django_filters.Filter):
    """``changed_at > since``; a naive ``since`` is read in the tenant's time zone."""

    field_class = DateTimeParamField

    def filter(self, qs: QuerySet, value: datetime.datetime | None) -> QuerySet:
        if value is None:
            return qs
        if value.tzinfo is None:
            value = clock.make_local(value)
        try:
            # In UTC: PostgreSQL takes offsets up to ±15:59 only, ISO 8601 up to ±23:59.
            value = value.astimezone(datetime.UTC)
        except OverflowError:
            # Before 0001-01-01 UTC every change is after it; past 9999-12-31 none is.
            return qs if value.year == 1 else qs.none()
        return qs.filter(changed_at__gt=value)


def _accounts(request: Any) -> QuerySet[Account]:
    # Called per request, so the scoped manager sees the request's tenant.
    return Account.objects.all()


class TierChangeFilter(django_filters.FilterSet):
    since = SinceFilter(label=gettext_lazy("Changed after"))
    account = django_filters.ModelChoiceFilter(queryset=_accounts, label=gettext_lazy("Account"))

    class Meta:
        model = TierChange
        fields = ["since", "account"]


# --- keyset pagination on (changed_at, id) ---------------------------------------------------------


class TierChangePagination(TenantCursorPagination):
    """Oldest first by ``(changed_at, id)``; ``next`` carries the last row's pair (no personal
    value), ``previous`` is always null (start again from the first page, or use ``since``)."""

    ordering = ("changed_at", "id")

    @staticmethod
    def encode(changed_at: datetime.datetime, pk: int) -> str:
        raw = json.dumps({"t": changed_at.isoformat(), "i": pk}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @staticmethod
    def decode(cursor: str) -> tuple[datetime.datetime, int]:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
            if set(data) != {"t", "i"}:  # exactly what encode() writes
                raise ValueError(cursor)
            when = datetime.datetime.fromisoformat(data["t"])
            pk = data["i"]
            if when.tzinfo is not None:
                when = when.astimezone(datetime.UTC)  # PostgreSQL: offsets up to ±15:59 only
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError,
                RecursionError, OverflowError) as exc:
            raise exceptions.ValidationError({"cursor": [_("Invalid cursor.")]}) from exc
        if when.tzinfo is None or type(pk) is not int or not 0 < pk < 2**63:
            raise exceptions.ValidationError({"cursor": [_("Invalid cursor.")]})
        return when, pk

    def paginate_queryset(self, queryset: QuerySet, request: Any, view: Any = None) -> list[Any]:
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        qs = queryset.order_by(*self.ordering)
        cursor = request.query_params.get(self.cursor_query_param)
        if cursor is not None:
            when, pk = self.decode(cursor)
            qs = qs.filter(Q(changed_at__gt=when) | Q(changed_at=when, id__gt=pk))
        rows = list(qs[: self.page_size + 1])
        self.page = rows[: self.page_size]
        self.has_next = len(rows) > self.page_size
        self.has_previous = False
        return self.page

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        last = self.page[-1]
        return replace_query_param(self.base_url, self.cursor_query_param,
                                   self.encode(last.changed_at, last.pk))

    def get_previous_link(self) -> str | None:
        return None


# --- the serializer --------------------------------------------------------------------------------


class BlankAsNullTierField(serializers.ChoiceField):
    """A tier column where "" means none (the first tiering has no "from")."""

    def to_representation(self, value: str) -> str | None:
        return value or None


REASON_EXPIRED = "expired"
REASON_REMOVED = "removed"


class TierChangeSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    from_tier = BlankAsNullTierField(choices=Tier.choices, allow_null=True, read_only=True,
                                     help_text="null for the account's first tiering.")
    to_tier = serializers.ChoiceField(choices=Tier.choices, read_only=True)
    score = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True,
                                     help_text="The computed score (0–100) at the change.")
    policy_version = serializers.IntegerField(source="policy.version", read_only=True)
    source = serializers.ChoiceField(
        choices=TierChangeSource.choices, read_only=True,
        help_text="computed: the nightly job; override: a manual tier was set; override_ended: "
        "back to the computed tier (the override expired or was removed).")
    reason = serializers.SerializerMethodField(
        help_text="computed: a sentence with the score and policy version (in the caller's "
        "language); override: the reason given; override_ended: \"expired\" or \"removed\".")
    changed_by = serializers.SerializerMethodField(
        help_text="Who made the change (overrides); null for the nightly job.")

    class Meta:
        model = TierChange
        fields = ["id", "account", "account_name", "from_tier", "to_tier", "score",
                  "policy_version", "source", "reason", "changed_at", "changed_by"]
        read_only_fields = fields

    def get_reason(self, change: TierChange) -> str:
        if change.source == TierChangeSource.OVERRIDE:
            return change.reason
        if change.source == TierChangeSource.OVERRIDE_ENDED:
            # The job ends expired overrides (nobody); a person removes one (the timeline reads
            # it the same way, accounts.tier_timeline).
            return REASON_REMOVED if change.changed_by_id else REASON_EXPIRED
        return _("Score %(score)s under policy v%(version)s") % {
            "score": change.score, "version": change.policy.version}

    def get_changed_by(self, change: TierChange) -> str | None:
        return change.changed_by.display_name if change.changed_by_id else None


# --- the viewset -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List tier changes",
        description=(
            "Every change of an account's effective tier, oldest first by (changed_at, id): "
            "computed by the nightly job, set by a manual override, or back to the computed tier "
            "when an override ended. Managers see the changes of the accounts they may see; "
            "administrators, executives and API keys see all. Keyset-paginated: follow `next` "
            "(`previous` is always null). To poll, pass the last `changed_at` you have as `since` "
            "and follow `next` to the end."),
        parameters=[
            OpenApiParameter(
                "since", OpenApiTypes.DATETIME, OpenApiParameter.QUERY,
                description="Only changes after this moment (changed_at > since). ISO 8601; "
                "without an offset the tenant's time zone applies."),
            OpenApiParameter("account", OpenApiTypes.INT, OpenApiParameter.QUERY,
                             description="Only this account's changes (an account's id)."),
        ],
    ),
)
class TierChangeViewSet(mixins.ListModelMixin, TenantViewSet):
    model = TierChange
    serializer_class = TierChangeSerializer
    filterset_class = TierChangeFilter
    filter_backends = [ApiFilterBackend]  # no search, no ordering: the keyset fixes the order
    pagination_class = TierChangePagination

    def scoped_queryset(self, actor: Actor) -> QuerySet[TierChange]:
        return tier_change_visible_queryset(actor=actor)


routes.register("tier-changes", TierChangeViewSet, basename="tier-change")
