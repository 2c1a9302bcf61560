"""API v1: an account's change history, read-only — ``GET /api/v1/accounts/{account_pk}/history/``.

Nested under the account (rather than ``/audit-events/?account=``) because the history *is* a view
of one account: the account is looked up through the actor's visible accounts like any account
endpoint, so another tenant's account is a 404. Who may read it: ``can_read_history`` —
administrators' and executives' sessions and every API key (``read`` scope and up) on every account
they see; a manager on the accounts they own (one they only are on the team of: 403; one they do
not see: 404, like any account). Keyset pagination: ``next`` carries an opaque ``cursor``;
``page_size`` up to 200.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from accounts.account.models import Account
from accounts.account.selectors import account_list_queryset
from accounts.history.selectors import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    HistoryCursorError,
    HistoryEntry,
    account_history_page,
    can_read_history,
)
from kam.api import TenantViewSet, routes
from kam.api.pagination import invalid_cursor, parse_page_size
from kam.roles import Actor, Perm


class HistoryActorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["user", "api_key", "job", "command", "system"],
                                   help_text="Who made the change.")
    id = serializers.IntegerField(allow_null=True,
                                  help_text="Membership id or API key id.")
    name = serializers.CharField(allow_null=True,
                                 help_text="Username, key name, job or command.")


@extend_schema_field(OpenApiTypes.ANY)
class AnyValueField(serializers.Field):
    def to_representation(self, value: Any) -> Any:
        return value


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = AnyValueField(allow_null=True, help_text="null when not set before.")
    new = AnyValueField(allow_null=True)


class HistoryEventSerializer(serializers.Serializer):
    id = serializers.CharField(source="event_id")
    time = serializers.SerializerMethodField(
        help_text="When, in the tenant's time zone.")
    object_type = serializers.ChoiceField(
        source="kind", choices=["account", "contact", "team", "contract", "transaction"])
    object_id = serializers.IntegerField()
    object = serializers.CharField(source="object_label")
    action = serializers.ChoiceField(choices=["created", "changed", "deleted", "erased"])
    actor = HistoryActorSerializer()
    changes = HistoryChangeSerializer(many=True)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_time(self, entry: HistoryEntry) -> str:
        return entry.when.isoformat()


@extend_schema_serializer(many=False)  # the list action answers one page object, not a list of them
class HistoryPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True,
                                    help_text="Always null: start again from the first page.")
    results = HistoryEventSerializer(many=True)


class AccountHistoryViewSet(TenantViewSet):
    model = Account
    lookup_url_kwarg = "account_pk"
    filter_backends: list = []
    pagination_class = None
    serializer_class = HistoryEventSerializer
    extra_query_parameters = ("cursor", "page_size")  # read by list (its own keyset)

    def scoped_queryset(self, actor: Actor):
        return account_list_queryset(actor=actor)

    @extend_schema(
        summary="An account's change history",
        description=(
            "Every change of the account and of its contacts, team, contracts and transactions, "
            "newest first, with who made it (user, API key, job or command), when, and the changed "
            "fields old → new. Administrators, executives and API keys; managers of the accounts "
            "they own (another account they see: 403). "
            "Keyset-paginated: follow `next`."),
        parameters=[
            OpenApiParameter("account_pk", OpenApiTypes.INT, OpenApiParameter.PATH,
                             description="The account's id."),
            OpenApiParameter("cursor", OpenApiTypes.STR, OpenApiParameter.QUERY,
                             description="From the `next` link of the previous page."),
            OpenApiParameter("page_size", {"type": "integer", "minimum": 1,
                                           "maximum": MAX_PAGE_SIZE}, OpenApiParameter.QUERY,
                             description=f"1–{MAX_PAGE_SIZE}, default {DEFAULT_PAGE_SIZE}."),
        ],
        responses={200: HistoryPageSerializer},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not self.actor.can(Perm.AUDIT_READ_OWN):
            raise PermissionDenied(_("Your role may not read the change history."))
        # The same rules as every list's (kam.api.pagination): an empty or malformed page_size
        # and a cursor that came from no ``next`` link (an empty one too) are 400s.
        size = parse_page_size(request.query_params.get("page_size"), default=DEFAULT_PAGE_SIZE,
                               maximum=MAX_PAGE_SIZE)
        cursor = request.query_params.get("cursor")
        if cursor is not None and not 0 < len(cursor) <= 500:
            raise invalid_cursor()
        account = self.get_object()
        if not can_read_history(actor=self.actor, account=account):
            raise PermissionDenied(_("You may read the change history of the accounts you own."))
        try:
            page = account_history_page(account=account, cursor=cursor, size=size)
        except HistoryCursorError as exc:
            raise invalid_cursor() from exc
        next_url = (replace_query_param(request.build_absolute_uri(), "cursor", page.next_cursor)
                    if page.next_cursor else None)
        return Response({"next": next_url, "previous": None,
                         "results": HistoryEventSerializer(page.entries, many=True).data})


routes.register(r"accounts/(?P<account_pk>[^/.]+)/history", AccountHistoryViewSet,
                basename="account-history")
