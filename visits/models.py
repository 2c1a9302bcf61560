"""The visits app's models, one module per concept (visits/<concept>/models.py), gathered here:
Django loads an app's models from ``<app>.models``. Import them from their concept's module."""

from __future__ import annotations

from visits.followups.models import (
    FollowUp,
    FollowUpSource,
    FollowUpStatus,
    Recurrence,
    RecurrenceUnit,
)
from visits.visit.models import (
    Sentiment,
    Visit,
    VisitAttendee,
    VisitChannel,
    VisitContact,
    VisitLevel,
    VisitStatus,
)

__all__ = [
    "FollowUp", "FollowUpSource", "FollowUpStatus", "Recurrence", "RecurrenceUnit", "Sentiment",
    "Visit", "VisitAttendee", "VisitChannel", "VisitContact", "VisitLevel", "VisitStatus",
]
from visits.cadence.models import CadenceState, CadenceStatus  # noqa: F401 (cadence)
