"""API v1: care reminders (/api/v1/care-reminders/): list and read the reminders of the
accounts the caller may see, dismiss an open one. Importing this module registers the routes
(kam/urls.py imports the ``api`` module of every installed app)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from care.filters import CareReminderFilter
from care.models import CareReminder
from care.selectors import care_reminder_visible_queryset
from care.services import care_reminder_dismiss
from kam.api import JsonTypedSerializer, TenantViewSet, routes
from kam.roles import Actor


class CareReminderSerializer(JsonTypedSerializer):
    account_name = serializers.SerializerMethodField()
    contact_name = serializers.SerializerMethodField()
    contract_number = serializers.SerializerMethodField()
    festival_name = serializers.SerializerMethodField()
    owner_name = serializers.SerializerMethodField()

    class Meta:
        model = CareReminder
        fields = [
            "id", "account", "account_name", "contact", "contact_name", "contract",
            "contract_number", "occasion", "festival", "festival_name", "occurs_on", "year",
            "owner", "owner_name", "status", "follow_up", "closed_at", "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "occasion": {"help_text": "`birthday`, `anniversary` (a contract's), a Chinese "
                         "festival (`spring_festival`, `lantern_festival`, `dragon_boat`, "
                         "`mid_autumn`, `double_ninth`, `new_year`, `national_day`) or "
                         "`festival` (one of the company's own: `festival`)."},
            "year": {"help_text": "The occasion's year in its own calendar: the lunar year of a "
                     "lunar birthday or festival. One reminder per contact (or contract), "
                     "occasion and year."},
            "occurs_on": {"help_text": "The occasion's solar date."},
        }

    def get_account_name(self, obj: CareReminder) -> str:
        return obj.account.name

    def get_contact_name(self, obj: CareReminder) -> str | None:
        return obj.contact.name if obj.contact else None

    def get_contract_number(self, obj: CareReminder) -> str | None:
        return obj.contract.number if obj.contract else None

    def get_festival_name(self, obj: CareReminder) -> str | None:
        return obj.festival.name if obj.festival else None

    def get_owner_name(self, obj: CareReminder) -> str:
        return obj.owner.display_name


@extend_schema_view(
    list=extend_schema(summary="List care reminders", description="Cursor-paginated; the "
                       "reminders of the accounts the caller may see — birthdays (solar or "
                       "lunar), festivals and contract anniversaries, made each night a few "
                       "days ahead for the account's owner. `occurs_after` / `occurs_before`: "
                       "the occasion's date."),
    retrieve=extend_schema(summary="Get a care reminder"),
)
class CareReminderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = CareReminderSerializer
    filterset_class = CareReminderFilter
    ordering_fields = ["id", "occurs_on", "created_at"]
    ordering = ["occurs_on", "id"]
    model = CareReminder

    def scoped_queryset(self, actor: Actor) -> QuerySet[CareReminder]:
        return care_reminder_visible_queryset(actor=actor)

    @extend_schema(summary="Dismiss a care reminder", description="An open one: nothing to do "
                   "for it. A reminder dismissed or followed up already is a 400.",
                   request=None, responses={200: CareReminderSerializer})
    @action(detail=True, methods=["post"], url_path="dismiss", url_name="dismiss")
    def dismiss(self, request: Request, pk: str | None = None, format: str | None = None
                ) -> Response:
        reminder = care_reminder_dismiss(actor=self.actor, reminder=self.get_object())
        return Response(CareReminderSerializer(self.get_queryset().get(pk=reminder.pk)).data)


routes.register("care-reminders", CareReminderViewSet, basename="care-reminder")
