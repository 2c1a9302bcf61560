"""The care app's part of the route matrix (tests/route_matrix.py, the walker, explains the
columns and outcomes): every page and API operation of care reminders and festivals, what each
identity gets, the objects its URLs address, and the bodies of its writes.

Role rules behind the rows (kam/roles.py): reminders are seen with their account; dismissing one
or turning it into a follow-up is ``account.change`` on an account one sees (managers on the
accounts they own or are on the team of, admins; not executives, not read keys). The festival
list is the company's settings (``settings.manage``: admins). Another tenant's reminder or
festival is a 404.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from accounts.account.models import Account
from accounts.contacts.models import Contact
from care.models import CareReminder, Festival
from kam import clock
from kam.models import Membership, Tenant
from kam.tenancy import tenant_context
from tests.route_matrix import L, Op, Page, World

PARAMS: dict[str, str] = {
    "reminder_id": "care_reminder",
    "festival_id": "festival",
}
API_COLLECTIONS: dict[str, str] = {
    "care-reminders": "care_reminder",
}
# The care account's rows: the manager who is not on it must see none of them.
A1_KINDS = ("care_account", "care_contact", "care_reminder")


def build(tenant: Tenant, token: str, *, owner: Membership, teammate: Membership,
          target: Membership) -> dict[str, Any]:
    """One tenant's account with a contact whose birthday is in two days and its open reminder,
    and a festival of the company's own."""
    today = clock.today(tenant)
    with tenant_context(tenant):
        account = Account.objects.create(name=f"{token}1 Care Co", owner=owner,
                                         lifecycle_status="active", strategic_value=3)
        contact = Contact.objects.create(account=account, name=f"{token}1 Care Contact Li",
                                         birthday=date(1980, 1, 1))
        reminder = CareReminder.objects.create(account=account, contact=contact,
                                               occasion="birthday", owner=owner,
                                               occurs_on=today + timedelta(days=2),
                                               year=today.year)
        festival = Festival.objects.create(name=f"{token}1 Founders' Day", month=5, day=20)
    return {"care_account": account, "care_contact": contact, "care_reminder": reminder,
            "festival": festival}


def _follow_up_form(w: World) -> dict:
    return {"title": "Matrix birthday card", "owner": str(w.members["owner"].pk),
            "due_on": str(clock.today(w.tenant_a) + timedelta(days=2)), "recurrence": "none"}


def _festival_form(w: World) -> dict:
    return {"name": "Matrix festival", "calendar": "lunar", "month": "8", "day": "15",
            "lead_days": "5", "is_active": "on"}


# --- pages ----------------------------------------------------------------------------------------------
#                                          owner stranger admin exec read_key other_user other_key

PAGES: dict[str, Page] = {
    "care:reminder-list": Page({"GET": (200, 200, 200, 200, L, 200, L)}),
    # Asks first (GET), then dismisses and goes back (303).
    "care:reminder-dismiss": Page({"GET": (200, 404, 200, 403, L, 404, L),
                                   "POST": (303, 404, 303, 403, L, 404, L)}),
    "care:reminder-follow-up": Page({"GET": (200, 404, 200, 403, L, 404, L),
                                     "POST": (302, 404, 302, 403, L, 404, L)},
                                    body=_follow_up_form),
    # The 360° page's care section (htmx), of account A1.
    "care:account-care": Page({"GET": (200, 404, 200, 200, L, 404, L)}),
    "care:festival-list": Page({"GET": (403, 403, 200, 403, L, 200, L)}),
    "care:care-settings": Page({"GET": (403, 403, 200, 403, L, 200, L),
                                "POST": (403, 403, 302, 403, L, 302, L)},
                               body=lambda w: {"birthday_lead_days": "5",
                                               "anniversary_lead_days": "7"}),
    "care:festival-create": Page({"GET": (403, 403, 200, 403, L, 200, L),
                                  "POST": (403, 403, 302, 403, L, 302, L)}, body=_festival_form),
    "care:festival-edit": Page({"GET": (403, 403, 200, 403, L, 404, L),
                                "POST": (403, 403, 302, 403, L, 404, L)}, body=_festival_form),
    "care:festival-delete": Page({"GET": (403, 403, 200, 403, L, 404, L),
                                  "POST": (403, 403, 303, 403, L, 404, L)}),
}


# --- API operations (key: operationId) ------------------------------------------------------------------

#                                            owner stranger admin exec read_key other_user other_key
OPERATIONS: dict[str, Op] = {
    "care_reminders_list":          Op((200, 200, 200, 200, 200, 200, 200)),
    "care_reminders_retrieve":      Op((200, 404, 200, 200, 200, 404, 404)),
    "care_reminders_dismiss_create": Op((200, 404, 200, 403, 403, 404, 404), body=lambda w: {}),
}
