"""Sections other apps add to the account 360° page, each loaded right after the page (htmx) from
a URL of its own, so the page's own queries stay fixed however many apps plug in (the timeline's
reason too: accounts.profile.views).

An app registers a section once, from its ``AppConfig.ready()``::

    register_profile_section(ProfileSection(key="visits", title=_("Visits and follow-ups"),
                                            url_name="visits:account-visits"))

``url_name`` takes the account's id and answers with the section's inside (an HTML fragment); the
page draws the section's frame and title, in the order of ``order`` (then registration)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_SECTIONS: list[ProfileSection] = []


@dataclass(frozen=True)
class ProfileSection:
    key: str  # the section's id on the page (#visits)
    title: Any  # a (lazy) translated string
    url_name: str  # reversed with the account's id
    order: int = 100


def register_profile_section(section: ProfileSection) -> ProfileSection:
    """Add a section (idempotent by key: a twice-run ``ready()`` adds it once)."""
    if all(known.key != section.key for known in _SECTIONS):
        _SECTIONS.append(section)
    return section


def profile_sections() -> list[ProfileSection]:
    return sorted(_SECTIONS, key=lambda s: s.order)
