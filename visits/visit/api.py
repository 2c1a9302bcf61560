"""API v1: visits (/api/v1/visits/), their report and cancellation, and the bulk upsert of an
integration by external id."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.account.models import Account
from accounts.transactions.api import BulkErrorSerializer, BulkResultSerializer
from accounts.transactions.services import BulkValidationError
from kam.api import (
    NOT_BLANK_TEXT,
    CreateMixin,
    DestroyMixin,
    JsonTypedSerializer,
    TenantViewSet,
    UpdateMixin,
    routes,
)
from kam.api.errors import printable
from kam.models import Membership
from kam.roles import Actor
from visits.followups.models import FollowUp
from visits.followups.services import MAX_COMMITMENTS
from visits.visit.filters import VisitFilter
from visits.visit.models import Sentiment, Visit, VisitContact
from visits.visit.selectors import visit_visible_queryset
from visits.visit.services import (
    BULK_MAX_ROWS,
    REPORT_FIELDS,
    visit_bulk_upsert,
    visit_cancel,
    visit_complete,
    visit_delete,
    visit_plan,
    visit_update,
)

MAX_ID = 2**63 - 1


class StrictIdField(serializers.IntegerField):
    """An id in a list: a JSON integer (DRF's IntegerField alone takes "5" and 5.0)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


def id_list(help_text: str, **kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=StrictIdField(), max_length=100, help_text=help_text,
                                 **kwargs)


def flat_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors (a list field's, a list of objects') as the API's flat shape:
    ``{"follow_ups.1.owner": ["..."]}`` — every value a list of messages, as the schema says."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            out.update(flat_errors(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        out = {}
        for index, item in enumerate(detail):
            if item:
                out.update(flat_errors(item, f"{prefix}.{index}"))
        return out
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(m) for m in messages]}


class FlatErrorsMixin:
    """A serializer with nested fields whose errors come out flat (``flat_errors``)."""

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)  # type: ignore[misc]
        except exceptions.ValidationError as exc:
            raise exceptions.ValidationError(flat_errors(exc.detail)) from exc


class CustomerAttendeeSerializer(serializers.ModelSerializer):
    contact_name = serializers.CharField(source="contact.name", read_only=True)

    class Meta:
        model = VisitContact
        fields = ["contact", "contact_name", "level"]
        read_only_fields = fields


class VisitSerializer(FlatErrorsMixin, JsonTypedSerializer):
    # Managers, not querysets: evaluated per request, so scoped to the request's tenant.
    # Another tenant's id is "does not exist" -> 400.
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects)
    account_name = serializers.SerializerMethodField()
    owner = serializers.PrimaryKeyRelatedField(
        queryset=Membership.objects, required=False,
        help_text="The member responsible. Left out: the caller (an API key: the account's "
        "owner); a member who may see the account.")
    owner_name = serializers.SerializerMethodField()
    attendees = id_list("Our attendees: ids of active members.", source="attendee_ids",
                        required=False)
    contacts = id_list("The customer's attendees: ids of contacts of the visit's account.",
                       source="contact_ids", required=False)
    # Read-only, yet "" until the report: declared, so the schema says so (a model field made
    # read-only loses its allow_blank, and the schema its blank choice).
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, allow_blank=True,
                                        read_only=True)
    customer_attendees = CustomerAttendeeSerializer(
        source="contact_rows", many=True, read_only=True,
        help_text="The customer's attendees with the level each held at the visit.")

    class Meta:
        model = Visit
        fields = [
            "id", "account", "account_name", "level", "channel", "planned_start",
            "duration_minutes", "location", "objective", "owner", "owner_name", "attendees",
            "contacts", "customer_attendees", "status", "reschedule_count", "cancel_reason",
            "cancelled_at", "missed_at", *REPORT_FIELDS, "completed_at", "checkin_latitude",
            "checkin_longitude", "checkin_accuracy_m", "checked_in_at", "external_id",
            "created_at", "updated_at",
        ]
        read_only_fields = [
            "id", "status", "reschedule_count", "cancel_reason", "cancelled_at", "missed_at",
            *REPORT_FIELDS, "completed_at", "checkin_latitude", "checkin_longitude",
            "checkin_accuracy_m", "checked_in_at", "created_at", "updated_at",
        ]
        # Uniqueness is a service rule (a field error on "external_id"), not a serializer one.
        validators: list = []

    def get_account_name(self, obj: Visit) -> str:
        return obj.account.name

    def get_owner_name(self, obj: Visit) -> str:
        return obj.owner.display_name


def _service_data(data: dict[str, Any]) -> dict[str, Any]:
    """The serializer's names for the services' (attendees and contacts: id lists)."""
    renamed = {"attendee_ids": "attendees", "contact_ids": "contacts"}
    return {renamed.get(key, key): value for key, value in data.items()}


class CommitmentSerializer(JsonTypedSerializer):
    """One of our commitments: it becomes a follow-up of the account, from this visit."""

    owner = serializers.PrimaryKeyRelatedField(queryset=Membership.objects,
                                               help_text="Who does it: a member who may see the "
                                               "account.")

    class Meta:
        model = FollowUp
        fields = ["title", "owner", "due_on"]
        validators: list = []


class VisitReportSerializer(FlatErrorsMixin, JsonTypedSerializer):
    """The report of a planned or missed visit (once). Its errors are flat:
    ``follow_ups.<index>.<field>`` for a commitment's."""

    follow_ups = serializers.ListField(
        child=CommitmentSerializer(), required=False, max_length=MAX_COMMITMENTS,
        help_text="Our commitments; each becomes an open follow-up with its owner and due date.")

    class Meta:
        model = Visit
        fields = [*REPORT_FIELDS, "follow_ups"]
        extra_kwargs = {"summary": {"required": True, "allow_blank": False},
                        "sentiment": {"required": True, "allow_blank": False}}
        validators: list = []


class VisitCancelSerializer(JsonTypedSerializer):
    reason = serializers.RegexField(NOT_BLANK_TEXT, max_length=1000,
                                    help_text="Why the visit is cancelled.")

    class Meta:
        model = Visit
        fields = ["reason"]


class VisitBulkRowSerializer(FlatErrorsMixin, JsonTypedSerializer):
    """One row of a bulk upsert: a visit's plan, by its external id. ``attendees`` and
    ``contacts`` left out keep the stored ones; ``owner``, ``channel``, ``duration_minutes`` and
    ``location`` left out keep the stored value or take the default of a new visit."""

    # kam.api.TenantAutoSchema: rows with other fields are rejected, so the schema says so.
    schema_additional_properties = False

    account = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    owner = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    attendees = id_list("Our attendees: ids of active members.", required=False)
    contacts = id_list("The customer's attendees: ids of contacts of the account.",
                       required=False)
    external_id = serializers.RegexField(NOT_BLANK_TEXT, max_length=100,
                                         help_text="Required, unique within the request.")

    class Meta:
        model = Visit
        fields = ["account", "level", "channel", "planned_start", "duration_minutes", "location",
                  "objective", "owner", "attendees", "contacts", "external_id"]
        validators: list = []


def parse_bulk_rows(rows: list[Any], row_serializer: type[serializers.Serializer]
                    ) -> tuple[list[dict[str, Any] | None], list[dict[str, list[str]]]]:
    """Each row through the row serializer (no query): its values, or None and its errors."""
    parsed: list[dict[str, Any] | None] = []
    errors: list[dict[str, list[str]]] = []
    for row in rows:
        if not isinstance(row, dict):
            parsed.append(None)
            errors.append({"non_field_errors": [_("Each row must be an object.")]})
            continue
        serializer = row_serializer(data=row)
        if serializer.is_valid():
            parsed.append(dict(serializer.validated_data))
            errors.append({})
        else:
            parsed.append(None)
            errors.append(flat_errors(serializer.errors))
    return parsed, errors


def bulk_response(request: Request, *, upsert: Any, row_serializer: type[serializers.Serializer],
                  not_a_list: str) -> Response:
    """The bulk endpoint of visits and follow-ups: a JSON list, parsed row by row, then the
    service's rules and write (all or nothing)."""
    rows = request.data
    if not isinstance(rows, list):
        return Response({"message": not_a_list, "errors": []}, status=status.HTTP_400_BAD_REQUEST)
    parsed, errors = parse_bulk_rows(rows, row_serializer) if len(rows) <= BULK_MAX_ROWS else (
        [None] * len(rows), [{}] * len(rows))
    try:
        result = upsert(rows=parsed, row_errors=errors)
    except BulkValidationError as exc:
        # The rows' errors echo their input: a lone surrogate written as \udfff (not a 500).
        return Response(printable({"message": exc.message, "errors": exc.rows}),
                        status=status.HTTP_400_BAD_REQUEST)
    return Response(result, status=status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(summary="List visits", description="Cursor-paginated; the visits of the "
                       "accounts the caller may see. `start_after`/`start_before` are the "
                       "company's days."),
    create=extend_schema(summary="Plan a visit", description="Its start may be in the past (a "
                         "visit logged after the fact): then report it."),
    retrieve=extend_schema(summary="Get a visit"),
    update=extend_schema(summary="Replace a visit", description="A new start of a planned or "
                         "missed visit is a reschedule (counted; a missed visit is planned "
                         "again)."),
    partial_update=extend_schema(summary="Update a visit"),
    destroy=extend_schema(summary="Delete a visit (its follow-ups stay)"),
)
class VisitViewSet(mixins.ListModelMixin, CreateMixin, mixins.RetrieveModelMixin,
                   UpdateMixin, DestroyMixin, TenantViewSet):
    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    search_fields = ["objective"]
    ordering_fields = ["id", "planned_start", "created_at", "updated_at"]
    ordering = ["-id"]
    model = Visit

    def scoped_queryset(self, actor: Actor) -> QuerySet[Visit]:
        # Attendees on both sides: two queries for a whole page.
        return visit_visible_queryset(actor=actor).prefetch_related(
            "attendee_rows", Prefetch("contact_rows",
                                      queryset=VisitContact.objects.select_related("contact")
                                      .order_by("id")))

    def create_object(self, data: dict[str, Any]) -> Visit:
        return self._fresh(visit_plan(actor=self.actor, data=_service_data(data)))

    def update_object(self, instance: Visit, data: dict[str, Any]) -> Visit:
        return self._fresh(visit_update(actor=self.actor, visit=instance,
                                        data=_service_data(data)))

    def delete_object(self, instance: Visit) -> None:
        visit_delete(actor=self.actor, visit=instance)

    def _fresh(self, visit: Visit) -> Visit:
        """The visit as the API shows it (its attendees as stored now)."""
        return self.get_queryset().get(pk=visit.pk)

    @extend_schema(summary="Report a visit (complete it)",
                   description="Once, for a planned or missed visit whose day has come: the "
                   "report, and our commitments, each of which becomes a follow-up in the same "
                   "transaction.", request=VisitReportSerializer,
                   responses={200: VisitSerializer})
    @action(detail=True, methods=["post"], url_path="report", url_name="report")
    def report(self, request: Request, pk: str | None = None, format: str | None = None
               ) -> Response:
        # ``format``: the router's ".json" suffix URL passes it (without it, a 500).
        visit = self.get_object()
        serializer = VisitReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        commitments = [dict(c) for c in data.pop("follow_ups", [])]
        visit_complete(actor=self.actor, visit=visit, report=data, commitments=commitments)
        return Response(VisitSerializer(self._fresh(visit)).data)

    @extend_schema(summary="Cancel a visit", description="A planned or missed visit, with the "
                   "reason.", request=VisitCancelSerializer, responses={200: VisitSerializer})
    @action(detail=True, methods=["post"], url_path="cancel", url_name="cancel")
    def cancel(self, request: Request, pk: str | None = None, format: str | None = None
               ) -> Response:
        visit = self.get_object()
        serializer = VisitCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visit_cancel(actor=self.actor, visit=visit, reason=serializer.validated_data["reason"])
        return Response(VisitSerializer(self._fresh(visit)).data)

    @extend_schema(
        summary="Insert or update visits by external_id",
        description=f"A JSON list of up to {BULK_MAX_ROWS:,} visits, each with its "
        "`external_id`. All rows are checked first, with the rules of a single write; any "
        "invalid row rejects the whole request (400 with errors per row index) and nothing is "
        "written. A new start of a planned or missed visit is a reschedule. Reports and "
        "cancellations have their own endpoints. Rows equal to what is stored count as "
        "unchanged.",
        request=VisitBulkRowSerializer(many=True),
        responses={200: BulkResultSerializer,
                   400: OpenApiResponse(BulkErrorSerializer, description="Invalid rows")})
    @action(detail=False, methods=["post"], url_path="bulk", url_name="bulk",
            filter_backends=[], pagination_class=None)
    def bulk(self, request: Request, format: str | None = None) -> Response:
        actor = self.actor
        return bulk_response(request, row_serializer=VisitBulkRowSerializer,
                             not_a_list=_("The body must be a JSON list of visits."),
                             upsert=lambda **kw: visit_bulk_upsert(actor=actor, **kw))


routes.register("visits", VisitViewSet, basename="visit")
