"""The visits app's part of the route matrix (tests/route_matrix.py, the walker, explains the
columns and outcomes): every page and API operation of visits and follow-ups, what each identity
gets, the objects its URLs address, and the bodies of its writes.

Role rules behind the rows (kam/roles.py ``account.change`` on an account one sees): managers plan,
report and follow up on the accounts they own or are on the team of; executives read everything
and change nothing; admins do everything; read keys read, write keys write. Another tenant's
visit or follow-up is a 404; a body naming tenant A's account is a 400 for tenant B (it "does not
exist"), as for the stranger, who does not see the account.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from accounts.account.models import Account
from accounts.contacts.models import Contact
from kam import clock
from kam.models import Membership, Tenant
from kam.tenancy import tenant_context
from tests.route_matrix import L, Op, Page, World
from visits.followups.models import FollowUp
from visits.visit.models import Visit, VisitContact

PARAMS: dict[str, str] = {
    "visit_id": "visit",
    "follow_up_id": "follow_up",
}
API_COLLECTIONS: dict[str, str] = {
    "visits": "visit",
    "follow-ups": "follow_up",
}
# The visits account's rows: the manager who is not on it must see none of them.
A1_KINDS = ("visits_account", "visit", "visit_contact", "follow_up", "follow_up_done")


def build(tenant: Tenant, token: str, *, owner: Membership, teammate: Membership,
          target: Membership) -> dict[str, Any]:
    """One tenant's account with a visit whose day has come (reportable), an attending contact,
    an open follow-up and a done one."""
    today = clock.today(tenant)
    with tenant_context(tenant):
        account = Account.objects.create(name=f"{token}1 Visits Co", owner=owner,
                                         lifecycle_status="active", strategic_value=3)
        contact = Contact.objects.create(account=account, name=f"{token}1 Visit Contact Wang",
                                         level="leadership")
        start = clock.make_local(datetime.combine(today, datetime.min.time()), tenant)
        visit = Visit.objects.create(account=account, owner=owner, level="leadership",
                                     planned_start=start - timedelta(days=1),
                                     objective=f"{token}1 quarterly review",
                                     external_id=f"{token}1-visit")
        visit_contact = VisitContact.objects.create(visit=visit, contact=contact,
                                                    level="leadership")
        follow_up = FollowUp.objects.create(account=account, owner=owner,
                                            title=f"{token}1 send the quote",
                                            due_on=today + timedelta(days=3), visit=visit,
                                            source="visit")
        follow_up_done = FollowUp.objects.create(
            account=account, owner=owner, title=f"{token}1 sent the contract",
            due_on=today - timedelta(days=3), status="done", done_at=clock.now(), done_by=owner)
    return {"visits_account": account, "visit": visit, "visit_contact": visit_contact,
            "visit_contact_person": contact, "follow_up": follow_up,
            "follow_up_done": follow_up_done}


def _day(w: World, days: int) -> date:
    return clock.today(w.tenant_a) + timedelta(days=days)


# --- form bodies --------------------------------------------------------------------------------------


def _visit_form(w: World) -> dict:
    # Tenant A's visits account: a 400 for whoever cannot see it.
    return {"account": str(w.a["visits_account"].pk), "level": "technical", "channel": "phone",
            "planned_start": f"{_day(w, 7)}T10:00", "duration_minutes": "45",
            "objective": "Matrix visit", "owner": str(w.members["owner"].pk),
            "contacts": [str(w.a["visit_contact_person"].pk)]}


def _report_form(w: World) -> dict:
    return {"summary": "Matrix report", "sentiment": "neutral",
            "follow_ups-TOTAL_FORMS": "1", "follow_ups-INITIAL_FORMS": "0",
            "follow_ups-0-title": "Matrix promise", "follow_ups-0-owner": str(w.members["owner"].pk),
            "follow_ups-0-due_on": str(_day(w, 5))}


def _follow_up_form(w: World) -> dict:
    return {"account": str(w.a["visits_account"].pk), "owner": str(w.members["owner"].pk),
            "title": "Matrix follow-up", "due_on": str(_day(w, 9)), "recurrence": "none"}


# --- pages ----------------------------------------------------------------------------------------------
#                                          owner stranger admin exec read_key other_user other_key

PAGES: dict[str, Page] = {
    "visits:visit-list": Page({"GET": (200, 200, 200, 200, L, 200, L)}),
    "visits:visit-create": Page({"GET": (200, 200, 200, 403, L, 200, L),
                                 "POST": (302, 400, 302, 403, L, 400, L)}, body=_visit_form),
    # The plan form's contacts (htmx): none without an account one sees.
    "visits:visit-contact-choices": Page({"GET": (200, 200, 200, 200, L, 200, L)}),
    "visits:visit-detail": Page({"GET": (200, 404, 200, 200, L, 404, L)}),
    "visits:visit-edit": Page({"GET": (200, 404, 200, 403, L, 404, L),
                               "POST": (302, 404, 302, 403, L, 404, L)}, body=_visit_form),
    "visits:visit-report": Page({"GET": (200, 404, 200, 403, L, 404, L),
                                 "POST": (302, 404, 302, 403, L, 404, L)}, body=_report_form),
    "visits:visit-reschedule": Page({"GET": (200, 404, 200, 403, L, 404, L),
                                     "POST": (302, 404, 302, 403, L, 404, L)},
                                    body=lambda w: {"planned_start": f"{_day(w, 2)}T09:30",
                                                    "duration_minutes": "60"}),
    "visits:visit-cancel": Page({"GET": (200, 404, 200, 403, L, 404, L),
                                 "POST": (302, 404, 302, 403, L, 404, L)},
                                body=lambda w: {"reason": "Matrix reason"}),
    "visits:visit-check-in": Page({"GET": (200, 404, 200, 403, L, 404, L),
                                   "POST": (302, 404, 302, 403, L, 404, L)},
                                  body=lambda w: {"latitude": "31.2304", "longitude": "121.4737",
                                                  "accuracy": "20"}),
    # The 360° page's visits section (htmx), of account A1.
    "visits:account-visits": Page({"GET": (200, 404, 200, 200, L, 404, L)}),
    # Cadence: the 360° page's section (htmx) of account A1, and coverage over what one sees.
    "visits:account-cadence": Page({"GET": (200, 404, 200, 200, L, 404, L)}),
    "visits:coverage": Page({"GET": (200, 200, 200, 200, L, 200, L)}),

    "visits:follow-up-list": Page({"GET": (200, 200, 200, 200, L, 200, L)}),
    "visits:follow-up-create": Page({"GET": (200, 200, 200, 403, L, 200, L),
                                     "POST": (302, 400, 302, 403, L, 400, L)},
                                    body=_follow_up_form),
    "visits:follow-up-edit": Page({"GET": (200, 404, 200, 403, L, 404, L),
                                   "POST": (302, 404, 302, 403, L, 404, L)},
                                  body=_follow_up_form),
    # Each asks first (GET), then does it and goes back (303).
    "visits:follow-up-done": Page({"GET": (200, 404, 200, 403, L, 404, L),
                                   "POST": (303, 404, 303, 403, L, 404, L)}),
    "visits:follow-up-cancel": Page({"GET": (200, 404, 200, 403, L, 404, L),
                                     "POST": (303, 404, 303, 403, L, 404, L)},
                                    body=lambda w: {"reason": "Matrix reason"}),
    "visits:follow-up-reopen": Page({"GET": (200, 404, 200, 403, L, 404, L),
                                     "POST": (303, 404, 303, 403, L, 404, L)},
                                    params={"follow_up_id": "follow_up_done"}),
}


# --- API operations (key: operationId) ------------------------------------------------------------------


def _visit_json(w: World, **extra: Any) -> dict:
    return {"account": w.a["visits_account"].pk, "level": "business",
            "planned_start": f"{_day(w, 8)}T10:00:00", "objective": "Matrix API visit",
            "contacts": [w.a["visit_contact_person"].pk], **extra}


def _follow_up_json(w: World, **extra: Any) -> dict:
    return {"account": w.a["visits_account"].pk, "title": "Matrix API follow-up",
            "due_on": str(_day(w, 4)), **extra}


#                                            owner stranger admin exec read_key other_user other_key
OPERATIONS: dict[str, Op] = {
    "visits_list":              Op((200, 200, 200, 200, 200, 200, 200)),
    "visits_create":            Op((201, 400, 201, 403, 403, 400, 400), body=_visit_json),
    "visits_retrieve":          Op((200, 404, 200, 200, 200, 404, 404)),
    "visits_update":            Op((200, 404, 200, 403, 403, 404, 404), body=_visit_json),
    "visits_partial_update":    Op((200, 404, 200, 403, 403, 404, 404),
                                   body=lambda w: {"location": "Matrix room"}),
    "visits_destroy":           Op((204, 404, 204, 403, 403, 404, 404)),
    "visits_report_create":     Op((200, 404, 200, 403, 403, 404, 404),
                                   body=lambda w: {"summary": "Matrix", "sentiment": "positive",
                                                   "follow_ups": [{
                                                       "title": "Matrix promise",
                                                       "owner": w.members["owner"].pk,
                                                       "due_on": str(_day(w, 6))}]}),
    "visits_cancel_create":     Op((200, 404, 200, 403, 403, 404, 404),
                                   body=lambda w: {"reason": "Matrix"}),
    "visits_bulk_create":       Op((200, 400, 200, 403, 403, 400, 400),
                                   body=lambda w: [_visit_json(w, external_id="MATRIX-V-1")]),

    "follow_ups_list":          Op((200, 200, 200, 200, 200, 200, 200)),
    "follow_ups_create":        Op((201, 400, 201, 403, 403, 400, 400), body=_follow_up_json),
    "follow_ups_retrieve":      Op((200, 404, 200, 200, 200, 404, 404)),
    "follow_ups_update":        Op((200, 404, 200, 403, 403, 404, 404), body=_follow_up_json),
    "follow_ups_partial_update": Op((200, 404, 200, 403, 403, 404, 404),
                                    body=lambda w: {"notes": "matrix"}),
    "follow_ups_destroy":       Op((204, 404, 204, 403, 403, 404, 404)),
    "follow_ups_done_create":   Op((200, 404, 200, 403, 403, 404, 404), body=lambda w: {}),
    "follow_ups_cancel_create": Op((200, 404, 200, 403, 403, 404, 404),
                                   body=lambda w: {"reason": "Matrix"}),
    "follow_ups_reopen_create": Op((200, 404, 200, 403, 403, 404, 404), body=lambda w: {},
                                   params={"id": "follow_up_done"}),
    "follow_ups_bulk_create":   Op((200, 400, 200, 403, 403, 400, 400),
                                   body=lambda w: [_follow_up_json(w, external_id="MATRIX-F-1")]),

    # Cadence, read-only: an account's levels (a 404 for whoever does not see it), coverage rows.
    "accounts_cadence_retrieve": Op((200, 404, 200, 200, 200, 404, 404)),
    "coverage_list":            Op((200, 200, 200, 200, 200, 200, 200)),
}
