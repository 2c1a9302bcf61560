"""The rules of a service request, one set for every channel (pages, API, upsert), checked on
the request as it would be saved: ``request_errors`` returns every error at once, by field.

* account — one the actor may see ("does not exist" otherwise, as for another company's);
* requester — a contact of that account; assignee — an active member who may see it (the owner
  rule of visits and follow-ups); visit — one of that account's;
* received at — not in the future (a helpdesk's time may be earlier than ours, never later);
* external ID — unique in the company."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from accounts.account.selectors import account_visible_queryset
from accounts.contacts.models import Contact
from kam.roles import Actor
from satisfaction.requests.models import ServiceRequest
from visits.visit.models import Visit
from visits.visit.rules import members_who_see, owner_errors

Errors = dict[str, list[str]]

# Clocks of our servers and a helpdesk's differ by a little: "received" may be this far ahead.
FUTURE_SLACK = datetime.timedelta(minutes=5)


def request_errors(*, actor: Actor, request: ServiceRequest, now: datetime.datetime) -> Errors:
    """Every rule broken by ``request`` (unsaved or changed), by field. At most five queries."""
    errors: Errors = {}
    account_owner: int | None = None
    if request.account_id is None:
        errors["account"] = [_("This field is required.")]
    else:
        found = account_visible_queryset(actor=actor).filter(pk=request.account_id).values_list(
            "pk", "owner_id").first()
        if found is None:
            errors["account"] = [_("This account does not exist.")]
        else:
            account_owner = found[1]
    account_ok = "account" not in errors
    if request.requester_id is not None and account_ok and not Contact.objects.filter(
            pk=request.requester_id, account_id=request.account_id).exists():
        errors["requester"] = [_("The person who raised it must be one of this account's "
                                 "contacts.")]
    if request.assignee_id is not None and account_ok:
        roles, seeing = members_who_see(account_owners={request.account_id: account_owner},
                                        member_ids={request.assignee_id})
        wrong = owner_errors(owner_id=request.assignee_id, account_id=request.account_id,
                             roles=roles, seeing=seeing)
        if wrong:
            errors["assignee"] = [_("The assignee must be an active member who can see this "
                                    "account: its owner, a member of its team, an administrator "
                                    "or an executive.")]
    if request.visit_id is not None and account_ok and not Visit.objects.filter(
            pk=request.visit_id, account_id=request.account_id).exists():
        errors["visit"] = [_("The visit must be one of this account's.")]
    if request.received_at is not None and request.received_at > now + FUTURE_SLACK:
        errors["received_at"] = [_("A request cannot be received in the future.")]
    if request.external_id and ServiceRequest.objects.filter(
            external_id=request.external_id).exclude(pk=request.pk).exists():
        errors["external_id"] = [_("Another request already has this external ID.")]
    return errors
