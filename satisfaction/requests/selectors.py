"""Reads of service requests: the ones an actor may see (exactly when they may see the account)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.account.selectors import visible_via_account
from kam.roles import Actor
from satisfaction.requests.models import ServiceRequest


def request_visible_queryset(*, actor: Actor) -> QuerySet[ServiceRequest]:
    """The requests of accounts the actor may see. One query."""
    return visible_via_account(ServiceRequest.objects.all(), actor=actor)
