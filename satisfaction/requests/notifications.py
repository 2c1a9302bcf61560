"""What service requests tell people (kam.notify): the assignee of a request given to them, and
the SLA steps of a clock found by the minute sweep (satisfaction.sla.sweep) — the warning to the
assignee, the breach to the assignee and the account's owner, the escalation to the executives.
The events' data hold ids, codes and names; these renderers write them in the reader's language."""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from kam.models import Membership
from kam.notify import notify, register_event_kind
from satisfaction.requests.models import ServiceRequest
from satisfaction.sla.models import Metric

REQUEST_ASSIGNED = "satisfaction.request_assigned"
SLA_WARNING = "satisfaction.sla_warning"
SLA_BREACHED = "satisfaction.sla_breached"
SLA_ESCALATED = "satisfaction.sla_escalated"


def _names(data: dict[str, Any]) -> dict[str, str]:
    names = {"subject": data["subject"], "account": data["account_name"]}
    if "metric" in data:
        names["metric"] = str(Metric(data["metric"]).label)
    return names


def _url(data: dict[str, Any]) -> str:
    # The request's own page arrives with the request pages; until then, its account's.
    return reverse("accounts:account-detail", args=[data["account_id"]])


def _subject(data: dict[str, Any]) -> str:
    return f"satisfaction.servicerequest:{data['request_id']}"


def notify_assigned(*, request: ServiceRequest, by: Membership | None,
                    at: datetime.datetime) -> None:
    """Tell a request's new assignee (not when they assigned it to themselves)."""
    if request.assignee_id is None or (by is not None and by.pk == request.assignee_id):
        return
    notify(kind=REQUEST_ASSIGNED, key=f"satisfaction.assigned:{request.pk}:{at.isoformat()}",
           recipients=[Membership(pk=request.assignee_id)], occurred_at=at,
           data={"request_id": request.pk, "subject": request.subject,
                 "account_id": request.account_id, "account_name": request.account.name})


def register() -> None:
    register_event_kind(
        REQUEST_ASSIGNED, subject=_subject, url=_url,
        title=lambda d: _("Request assigned to you: %(subject)s (%(account)s)") % _names(d))
    register_event_kind(
        SLA_WARNING, subject=_subject, url=_url,
        title=lambda d: _("%(metric)s due soon: %(subject)s (%(account)s)") % _names(d),
        body=lambda d: _("Most of the time allowed is used up: act before the deadline."))
    register_event_kind(
        SLA_BREACHED, subject=_subject, url=_url,
        title=lambda d: _("%(metric)s overdue: %(subject)s (%(account)s)") % _names(d))
    register_event_kind(
        SLA_ESCALATED, subject=_subject, url=_url,
        title=lambda d: _("Escalated, %(metric)s still overdue: %(subject)s (%(account)s)")
        % _names(d))

