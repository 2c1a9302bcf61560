"""Reads of contacts: those of the accounts the actor may see, and an account's relationship map
(its contacts by level and buying role, and the gaps)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import CharField, F, Func, Q, QuerySet, Value
from django.utils.translation import gettext as _

from accounts.account.selectors import visible_via_account
from accounts.contacts.models import BuyingRole, Contact, ContactLevel
from kam.roles import Actor


def contact_visible_queryset(*, actor: Actor) -> QuerySet[Contact]:
    """Contacts of the accounts the actor can see, with their account, in one query."""
    return visible_via_account(Contact.objects.select_related("account"), actor=actor)


# A search that reads like a phone number: digits, with the separators people type between them.
_PHONE_LIKE = re.compile(r"\+?[\d\s\-()（）]+")
_MIN_PHONE_DIGITS = 3


def contact_search(queryset: QuerySet[Contact], text: str) -> QuerySet[Contact]:
    """The contacts of ``queryset`` that the search ``text`` finds — the contact list's search and
    the API's ``?search=``, one rule. Every word must be in the name, the email or the phone
    (case-insensitively); text that reads like a phone number is one term, matched on the digits,
    so "13800138000", "138-0013-8000" and "0013 8000" all find "138 0013 8000". One query, as
    without a search (a condition of the list's own statement)."""
    text = text.strip()
    if not text:
        return queryset
    digits = re.sub(r"\D", "", text)
    if _PHONE_LIKE.fullmatch(text) and len(digits) >= _MIN_PHONE_DIGITS:
        phone_digits = Func(F("phone"), Value(r"\D"), Value(""), Value("g"),
                            function="regexp_replace", output_field=CharField())
        return queryset.alias(phone_digits=phone_digits).filter(
            Q(phone_digits__contains=digits) | Q(name__icontains=text))
    for word in text.split():
        queryset = queryset.filter(Q(name__icontains=word) | Q(email__icontains=word)
                                   | Q(phone__icontains=word))
    return queryset


def contacts_by_name() -> QuerySet[Contact]:
    """Contacts, active and former, by name: the 360° page prefetches an account's through it
    (``accounts.profile.selectors.profile_prefetch``)."""
    return Contact.objects.order_by("name", "id")


# --- the relationship map -------------------------------------------------------------------------


@dataclass
class LevelGroup:
    level: str
    label: str
    contacts: list[Contact] = field(default_factory=list)

    @property
    def is_gap(self) -> bool:
        return not self.contacts

    def _with_role(self, role: str) -> list[Contact]:
        return [c for c in self.contacts if c.buying_role == role]

    @property
    def decision_makers(self) -> list[Contact]:
        return self._with_role(BuyingRole.DECISION_MAKER)

    @property
    def influencers(self) -> list[Contact]:
        return self._with_role(BuyingRole.INFLUENCER)

    @property
    def champions(self) -> list[Contact]:
        return self._with_role(BuyingRole.CHAMPION)


@dataclass(frozen=True)
class Gap:
    code: str  # "level:<level>" or "no_decision_maker"
    message: str


@dataclass
class RelationshipMap:
    levels: list[LevelGroup]
    former: list[Contact]

    def _active_with_role(self, role: str) -> list[Contact]:
        return [c for group in self.levels for c in group.contacts if c.buying_role == role]

    @property
    def decision_makers(self) -> list[Contact]:
        return self._active_with_role(BuyingRole.DECISION_MAKER)

    @property
    def influencers(self) -> list[Contact]:
        return self._active_with_role(BuyingRole.INFLUENCER)

    @property
    def champions(self) -> list[Contact]:
        return self._active_with_role(BuyingRole.CHAMPION)

    @property
    def active_count(self) -> int:
        return sum(len(group.contacts) for group in self.levels)

    @property
    def gaps(self) -> list[Gap]:
        """Where the relationship is thin: a level nobody active covers, no decision maker known."""
        gaps = [Gap(f"level:{group.level}",
                    _("No active contact at the %(level)s level.") % {"level": group.label.lower()})
                for group in self.levels if group.is_gap]
        if not self.decision_makers:
            gaps.append(Gap("no_decision_maker", _("No decision maker is known.")))
        return gaps


def relationship_map(contacts: Iterable[Contact]) -> RelationshipMap:
    """Group contacts by level (leadership, technical, business); former contacts apart. No query.

    Within a level, decision makers come first, then by relationship strength (closest first).
    """
    groups = {level: LevelGroup(level=level, label=str(label))
              for level, label in ContactLevel.choices}
    former: list[Contact] = []
    for contact in contacts:
        if not contact.is_active:
            former.append(contact)
        elif contact.level in groups:
            groups[contact.level].contacts.append(contact)
    role_rank: dict[str, int] = {BuyingRole.DECISION_MAKER: 0, BuyingRole.CHAMPION: 1,
                                 BuyingRole.INFLUENCER: 2}
    for group in groups.values():
        group.contacts.sort(key=lambda c: (role_rank.get(c.buying_role, 9),
                                           -c.relationship_strength, c.name))
    former.sort(key=lambda c: (c.left_on or datetime.date.min, c.name), reverse=True)
    return RelationshipMap(levels=list(groups.values()), former=former)
