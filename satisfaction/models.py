"""The satisfaction app's models, one module per concept (satisfaction/<concept>/models.py),
gathered here: Django loads an app's models from ``<app>.models``."""

from __future__ import annotations

from satisfaction.requests.models import (
    OPEN_STATUSES,
    ActivityKind,
    Priority,
    RequestActivity,
    RequestChannel,
    RequestComment,
    RequestStatus,
    RequestType,
    ServiceRequest,
)
from satisfaction.sla.models import (
    ClockEvent,
    ClockEventKind,
    ClockState,
    Hours,
    Metric,
    SlaClock,
    SlaPolicy,
    SlaRule,
)

__all__ = [
    "OPEN_STATUSES", "ActivityKind", "ClockEvent", "ClockEventKind", "ClockState", "Hours",
    "Metric", "Priority", "RequestActivity", "RequestChannel", "RequestComment", "RequestStatus",
    "RequestType", "ServiceRequest", "SlaClock", "SlaPolicy", "SlaRule",
]
