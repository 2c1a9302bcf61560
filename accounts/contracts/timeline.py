"""The 360° page's timeline source for contracts: start, end and the renewal notice window."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.profile.timeline import TimelineEntry
from kam import clock

if TYPE_CHECKING:
    from accounts.account.models import Account
    from kam.roles import Actor


def contracts_source(*, actor: Actor, account: Account, since: datetime.date | None,
                     until: datetime.date | None) -> list[TimelineEntry]:
    """Contract start, end and — for active contracts — the start of the renewal notice window.

    One query, or none on the 360° page, which has fetched the account's contracts already
    (``account.contracts.all()``, ``accounts.profile.selectors.profile_prefetch``); the notice
    start is ``end_date - renewal_notice_days`` as in accounts.contracts.selectors. Future dates
    are included: a contract that ends next quarter belongs on the timeline.
    """
    from accounts.contracts.models import ContractStatus

    # end_date is the latest of the three dates, so these bounds lose nothing.
    contracts = [c for c in account.contracts.all()
                 if (since is None or c.end_date >= since) and (until is None or c.start_date <= until)]
    today = clock.today(actor.tenant)
    url = (reverse("accounts:contract-list") + "?" + urlencode({"account": account.pk}))
    entries = []
    for contract in contracts:
        data = {"contract_id": contract.pk}
        names = {"number": contract.number}
        detail = f"{contract.title} · {contract.get_status_display()}"
        started = contract.start_date <= today
        entries.append(TimelineEntry(
            when=contract.start_date, kind="contract-start",
            title=(_("Contract %(number)s started") if started
                   else _("Contract %(number)s starts")) % names,
            detail=detail, url=url, data=data,
        ))
        ended = contract.end_date < today
        entries.append(TimelineEntry(
            when=contract.end_date, kind="contract-end",
            title=(_("Contract %(number)s ended") if ended else _("Contract %(number)s ends")) % names,
            detail=detail, url=url, data=data,
        ))
        if contract.status == ContractStatus.ACTIVE:
            notice = contract.end_date - datetime.timedelta(days=contract.renewal_notice_days)
            entries.append(TimelineEntry(
                when=notice, kind="contract-renewal",
                title=(_("Renewal notice period of contract %(number)s began") if notice <= today
                       else _("Renewal notice period of contract %(number)s begins")) % names,
                detail=detail, url=url, data=data,
            ))
    return entries
