"""API v1: follow-ups (/api/v1/follow-ups/): CRUD, done / cancel / reopen, and the bulk upsert
of an integration by external id."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.account.models import Account
from accounts.transactions.api import BulkErrorSerializer, BulkResultSerializer
from kam.api import (
    NOT_BLANK_TEXT,
    CreateMixin,
    DestroyMixin,
    JsonTypedSerializer,
    TenantViewSet,
    UpdateMixin,
    routes,
)
from kam.models import Membership
from kam.roles import Actor
from visits.followups.filters import FollowUpFilter
from visits.followups.models import FollowUp
from visits.followups.selectors import follow_up_visible_queryset
from visits.followups.services import (
    BULK_MAX_ROWS,
    FOLLOW_UP_EDITABLE_FIELDS,
    MAX_DUE_IN_WORKING_DAYS,
    due_on_in_working_days,
    follow_up_bulk_upsert,
    follow_up_cancel,
    follow_up_create,
    follow_up_delete,
    follow_up_done,
    follow_up_reopen,
    follow_up_update,
)
from visits.visit.api import MAX_ID, bulk_response

RECURRENCE_HELP = ("`none`, or `from_due` / `from_done` with `recurrence_interval` (1–365) and "
                   "`recurrence_unit`: when one is done, the next is due that long after its due "
                   "date or after the day it was done (months: the same day of the month, or the "
                   "month's last).")


class FollowUpSerializer(JsonTypedSerializer):
    # Managers, not querysets: evaluated per request, so scoped to the request's tenant.
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects)
    account_name = serializers.SerializerMethodField()
    owner = serializers.PrimaryKeyRelatedField(
        queryset=Membership.objects, required=False,
        help_text="Who does it. Left out: the caller (an API key: the account's owner); a member "
        "who may see the account.")
    owner_name = serializers.SerializerMethodField()
    due_on = serializers.DateField(
        required=False, help_text="The due date. Required when creating or replacing, unless "
        "`due_in_working_days` is given instead.")
    due_in_working_days = serializers.IntegerField(
        write_only=True, required=False, min_value=0, max_value=MAX_DUE_IN_WORKING_DAYS,
        help_text="Instead of `due_on`: due this many working days after today (0: today), on "
        "the company's working calendar (weekends, public holidays and make-up working days, "
        "its own days off). Stored, and returned, as `due_on`.")

    class Meta:
        model = FollowUp
        fields = [
            "id", "account", "account_name", "owner", "owner_name", "title", "notes", "due_on",
            "due_in_working_days",
            "status", "source", "visit", "source_ref", "recurrence", "recurrence_interval",
            "recurrence_unit", "previous", "done_at", "cancelled_at", "cancel_reason",
            "overdue_since", "escalated_on", "external_id", "created_at", "updated_at",
        ]
        read_only_fields = [
            "id", "status", "source", "visit", "source_ref", "previous", "done_at",
            "cancelled_at", "cancel_reason", "overdue_since", "escalated_on", "created_at",
            "updated_at",
        ]
        extra_kwargs = {"recurrence": {"help_text": RECURRENCE_HELP}}
        validators: list = []

    def get_account_name(self, obj: FollowUp) -> str:
        return obj.account.name

    def get_owner_name(self, obj: FollowUp) -> str:
        return obj.owner.display_name

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """``due_in_working_days`` becomes ``due_on``; one of them when creating or replacing."""
        working_days = attrs.pop("due_in_working_days", None)
        if working_days is not None and "due_on" in attrs:
            raise serializers.ValidationError({"due_in_working_days": [
                _("Give either the due date or the working days until it, not both.")]})
        if working_days is not None:
            attrs["due_on"] = due_on_in_working_days(working_days)
        elif "due_on" not in attrs and not self.partial:
            raise serializers.ValidationError({"due_on": [
                _("Give the due date, or the working days until it.")]})
        return attrs


class FollowUpCancelSerializer(JsonTypedSerializer):
    reason = serializers.RegexField(NOT_BLANK_TEXT, max_length=1000,
                                    help_text="Why it is no longer needed.")

    class Meta:
        model = FollowUp
        fields = ["reason"]


class FollowUpBulkRowSerializer(JsonTypedSerializer):
    """One row of a bulk upsert, by its external id. New follow-ups are open and entered by hand;
    a stored one keeps its status. ``owner``, ``notes`` and the recurrence left out keep the
    stored value or take the default of a new follow-up."""

    schema_additional_properties = False

    account = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    owner = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    external_id = serializers.RegexField(NOT_BLANK_TEXT, max_length=100,
                                         help_text="Required, unique within the request.")

    class Meta:
        model = FollowUp
        fields = [f for f in FOLLOW_UP_EDITABLE_FIELDS]
        extra_kwargs = {"recurrence": {"help_text": RECURRENCE_HELP}}
        validators: list = []


class FollowUpDoneSerializer(serializers.Serializer):
    follow_up = FollowUpSerializer(help_text="The follow-up, done.")
    next = FollowUpSerializer(allow_null=True, help_text="A recurring one's next, open; else null.")


@extend_schema_view(
    list=extend_schema(summary="List follow-ups", description="Cursor-paginated; the follow-ups "
                       "of the accounts the caller may see. `overdue`: open and due before "
                       "today (the company's)."),
    create=extend_schema(summary="Create a follow-up (entered by hand)"),
    retrieve=extend_schema(summary="Get a follow-up"),
    update=extend_schema(summary="Replace a follow-up"),
    partial_update=extend_schema(summary="Update a follow-up"),
    destroy=extend_schema(summary="Delete a follow-up"),
)
class FollowUpViewSet(mixins.ListModelMixin, CreateMixin, mixins.RetrieveModelMixin,
                      UpdateMixin, DestroyMixin, TenantViewSet):
    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilter
    search_fields = ["title"]
    ordering_fields = ["id", "due_on", "created_at", "updated_at"]
    ordering = ["-id"]
    model = FollowUp

    def scoped_queryset(self, actor: Actor) -> QuerySet[FollowUp]:
        return follow_up_visible_queryset(actor=actor)

    def create_object(self, data: dict[str, Any]) -> FollowUp:
        return follow_up_create(actor=self.actor, data=data)

    def update_object(self, instance: FollowUp, data: dict[str, Any]) -> FollowUp:
        return follow_up_update(actor=self.actor, follow_up=instance, data=data)

    def delete_object(self, instance: FollowUp) -> None:
        follow_up_delete(actor=self.actor, follow_up=instance)

    def _show(self, follow_up: FollowUp | None) -> Any:
        return None if follow_up is None else FollowUpSerializer(
            self.get_queryset().get(pk=follow_up.pk)).data

    @extend_schema(summary="Mark a follow-up done", description="An open one. A recurring one "
                   "is followed by the next, returned as `next`.", request=None,
                   responses={200: FollowUpDoneSerializer})
    @action(detail=True, methods=["post"], url_path="done", url_name="done")
    def done(self, request: Request, pk: str | None = None, format: str | None = None
             ) -> Response:
        done, following = follow_up_done(actor=self.actor, follow_up=self.get_object())
        return Response({"follow_up": self._show(done), "next": self._show(following)})

    @extend_schema(summary="Cancel a follow-up", description="An open one, with the reason.",
                   request=FollowUpCancelSerializer, responses={200: FollowUpSerializer})
    @action(detail=True, methods=["post"], url_path="cancel", url_name="cancel")
    def cancel(self, request: Request, pk: str | None = None, format: str | None = None
               ) -> Response:
        follow_up = self.get_object()
        serializer = FollowUpCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        follow_up_cancel(actor=self.actor, follow_up=follow_up,
                         reason=serializer.validated_data["reason"])
        return Response(self._show(follow_up))

    @extend_schema(summary="Reopen a follow-up", description="One done or cancelled.",
                   request=None, responses={200: FollowUpSerializer})
    @action(detail=True, methods=["post"], url_path="reopen", url_name="reopen")
    def reopen(self, request: Request, pk: str | None = None, format: str | None = None
               ) -> Response:
        follow_up = follow_up_reopen(actor=self.actor, follow_up=self.get_object())
        return Response(self._show(follow_up))

    @extend_schema(
        summary="Insert or update follow-ups by external_id",
        description=f"A JSON list of up to {BULK_MAX_ROWS:,} follow-ups, each with its "
        "`external_id`. All rows are checked first, with the rules of a single write; any "
        "invalid row rejects the whole request (400 with errors per row index) and nothing is "
        "written. Done, cancel and reopen have their own endpoints. Rows equal to what is "
        "stored count as unchanged.",
        request=FollowUpBulkRowSerializer(many=True),
        responses={200: BulkResultSerializer,
                   400: OpenApiResponse(BulkErrorSerializer, description="Invalid rows")})
    @action(detail=False, methods=["post"], url_path="bulk", url_name="bulk",
            filter_backends=[], pagination_class=None)
    def bulk(self, request: Request, format: str | None = None) -> Response:
        actor = self.actor
        return bulk_response(request, row_serializer=FollowUpBulkRowSerializer,
                             not_a_list=_("The body must be a JSON list of follow-ups."),
                             upsert=lambda **kw: follow_up_bulk_upsert(actor=actor, **kw))


routes.register("follow-ups", FollowUpViewSet, basename="follow-up")
