"""API v1 of visit cadence, read-only:

- ``GET /api/v1/accounts/{account_pk}/cadence/``: the account's three levels against its tier's
  standard (the account looked up through the caller's visible accounts: another tenant's, or
  one a manager does not see, is a 404);
- ``GET /api/v1/coverage/``: one row per visible account and level, cursor-paginated, filtered by
  ``tier``, ``level``, ``state`` and ``gap``.

Both show what the nightly ``cadence`` job (and the recompute after a visit changes) stored;
the rule is in visits/cadence/sql.py and the README."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.account.models import Account
from accounts.account.selectors import account_list_queryset
from accounts.contacts.models import ContactLevel
from kam.api import TenantViewSet, routes
from kam.roles import Actor
from visits.cadence.filters import CoverageFilter
from visits.cadence.models import CadenceState, CadenceStatus
from visits.cadence.selectors import account_cadence, cadence_visible_queryset

STATE_HELP = ("`inactive` (lifecycle prospect or churned), `not_required` (the tier's standard "
              "asks for none), `no_owner` (no active owner), `overdue`, `due_soon` (within the "
              "company's due-soon days), `on_track`: the first that applies.")


class CadenceRowSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    owner = serializers.IntegerField(source="account.owner_id", allow_null=True, read_only=True,
                                     help_text="The account owner's member id.")
    gap = serializers.BooleanField(source="is_gap", read_only=True, help_text=(
        "Visits are owed at the level and there is no active contact there, or no completed "
        "visit there in the rolling 12 months."))
    state = serializers.ChoiceField(choices=CadenceState.choices, help_text=STATE_HELP)

    class Meta:
        model = CadenceStatus
        fields = ["account", "account_name", "owner", "level", "tier", "required_per_year",
                  "last_visit_on", "next_due_on", "state", "completed_12m", "required_12m",
                  "compliance_pct", "contact_count", "gap"]
        read_only_fields = fields


class AccountCadenceLevelSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=ContactLevel.choices)
    computed = serializers.BooleanField(help_text="False until the nightly run has seen the "
                                        "account: the other fields are then null.")
    tier = serializers.CharField(allow_null=True, help_text="\"\" before the account's first tier.")
    required_per_year = serializers.IntegerField(allow_null=True)
    last_visit_on = serializers.DateField(allow_null=True, help_text="The latest completed visit.")
    next_due_on = serializers.DateField(allow_null=True, help_text="Null when none is required.")
    state = serializers.ChoiceField(choices=CadenceState.choices, allow_null=True,
                                    help_text=STATE_HELP)
    completed_12m = serializers.IntegerField(allow_null=True)
    required_12m = serializers.IntegerField(allow_null=True)
    compliance_pct = serializers.IntegerField(allow_null=True, help_text=(
        "Completed ÷ required over the rolling 12 months (from the day the account got its tier, "
        "if later), capped at 100; null while nothing was required yet."))
    contacts = serializers.IntegerField(help_text="Active contacts at the level, now.")
    gap = serializers.BooleanField(allow_null=True)


class AccountCadenceSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    levels = AccountCadenceLevelSerializer(many=True)


def _level(entry: dict[str, Any]) -> dict[str, Any]:
    row: CadenceStatus | None = entry["row"]
    fields = ("tier", "required_per_year", "last_visit_on", "next_due_on", "state",
              "completed_12m", "required_12m", "compliance_pct")
    return {"level": entry["level"], "computed": row is not None,
            **{name: getattr(row, name) if row else None for name in fields},
            "contacts": entry["contacts"], "gap": row.is_gap if row else None}


class AccountCadenceViewSet(TenantViewSet):
    model = Account
    lookup_url_kwarg = "account_pk"
    filter_backends: list = []
    pagination_class = None
    serializer_class = AccountCadenceSerializer
    answers_one_object = True  # one body with the three levels (kam.api.schema)

    def scoped_queryset(self, actor: Actor) -> QuerySet[Account]:
        return account_list_queryset(actor=actor)

    @extend_schema(
        summary="An account's visit cadence per level",
        description=(
            "Leadership, technical and business: the visits a year the account's tier's service "
            "standard asks for, the last completed visit, the next due date, the state, the "
            "compliance over the rolling 12 months and the active contacts at the level. "
            "Computed nightly and right after one of the account's visits is reported, "
            "cancelled or rescheduled."),
        parameters=[OpenApiParameter("account_pk", OpenApiTypes.INT, OpenApiParameter.PATH,
                                     description="The account's id.")],
        responses={200: AccountCadenceSerializer},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        account = self.get_object()
        levels = [_level(entry) for entry in account_cadence(account=account)]
        return Response(AccountCadenceSerializer({"account": account.pk, "levels": levels}).data)


@extend_schema_view(list=extend_schema(
    summary="Visit coverage: every account and level",
    description=(
        "One row per account you may see and level (leadership, technical, business), as the "
        "nightly cadence run stored it. Filter by `tier`, `level`, `state` and `gap`, search "
        "by the account's name; "
        "cursor-paginated (follow `next`).")))
class CoverageViewSet(mixins.ListModelMixin, TenantViewSet):
    model = CadenceStatus
    serializer_class = CadenceRowSerializer
    filterset_class = CoverageFilter
    search_fields = ["account__name"]
    ordering_fields = ["id"]
    ordering = ["id"]

    def scoped_queryset(self, actor: Actor) -> QuerySet[CadenceStatus]:
        return cadence_visible_queryset(actor=actor)


routes.register(r"accounts/(?P<account_pk>[^/.]+)/cadence", AccountCadenceViewSet,
                basename="account-cadence")
routes.register("coverage", CoverageViewSet, basename="coverage")
