"""My day (``/``): the home page of everyone in a company — a manager's own day, an executive's or an
administrator's portfolio (the whole company, or one member's with the team filter).

kam names no app: the page is a registry of sections other apps add from their
``AppConfig.ready()``, like the 360° page's (accounts.profile.sections)::

    register_my_day_section(MyDaySection(key="visits", title=_("Visits this week"),
                                         template="visits/_my_day_visits.html",
                                         load=my_day_visits, order=10))

``load(scope)`` returns the section's context and costs a fixed number of queries (one, as a
rule: the section shows its first rows and links to its full list), so the page's query count is
the sum of its sections' whatever the portfolio's size. Sections render inline — the page is the
product's first screen and is measured whole (bench/load.py)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from kam.roles import Actor

ROWS_SHOWN = 10  # per section: its first rows, then a link to its list
SESSION_PREVIOUS_LOGIN = "kam_previous_login"  # set at login (kam.apps): "since your last login"


@dataclass(frozen=True)
class MyDayScope:
    """Whose day a page shows. ``member_id``: the member (a manager: always themselves; an
    executive or admin: the one chosen in the team filter), or None for every account the actor
    may see. ``since``: the viewer's previous login (None on a first login)."""

    actor: Actor
    today: datetime.date
    now: datetime.datetime
    member_id: int | None
    since: datetime.datetime | None

    @property
    def week_end(self) -> datetime.date:
        """The Sunday ending today's week (today's week runs Monday to Sunday)."""
        return self.today + datetime.timedelta(days=6 - self.today.weekday())

    def owned(self, qs: QuerySet, *, owner_field: str = "owner") -> QuerySet:
        """``qs`` narrowed to the member's rows (theirs by ``owner_field``) when the scope names one."""
        if self.member_id is None:
            return qs
        return qs.filter(**{f"{owner_field}_id": self.member_id})


@dataclass(frozen=True)
class MyDaySection:
    key: str  # the section's id on the page (#my-day-visits)
    title: Any  # a (lazy) translated string
    template: str  # renders the section's inside with its context
    load: Callable[[MyDayScope], dict[str, Any]]
    order: int = 100


_SECTIONS: list[MyDaySection] = []


def register_my_day_section(section: MyDaySection) -> MyDaySection:
    """Add a section (idempotent by key: a twice-run ``ready()`` adds it once)."""
    if all(known.key != section.key for known in _SECTIONS):
        _SECTIONS.append(section)
    return section


def my_day_sections() -> list[MyDaySection]:
    return sorted(_SECTIONS, key=lambda s: s.order)


def my_day(scope: MyDayScope) -> list[tuple[MyDaySection, dict[str, Any]]]:
    """Every section with its context for ``scope``, in page order."""
    return [(section, section.load(scope)) for section in my_day_sections()]
