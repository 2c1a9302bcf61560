"""A member's personal calendar feed (kam.feed): the link's secret, kept as a hash like an API
key's, and which of the optional sources it carries."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.tenancy import TenantOneToOneField, TenantOwned


class CalendarFeed(TenantOwned):
    """A member's feed link. No row: no feed. A new link replaces the row's secret (the old link
    stops working at once); turning the feed off deletes the row."""

    membership = TenantOneToOneField("kam.Membership", on_delete=models.CASCADE, primary_key=True,
                                     related_name="calendar_feed")
    prefix = models.CharField(max_length=8, editable=False)  # looked up across companies (indexed)
    hashed_token = models.CharField(max_length=64, editable=False)
    # The optional sources the member wants in it (kam.feed.FeedSource.optional), by key.
    optional = models.JSONField(_("also in the feed"), default=list, blank=True)
    created_at = models.DateTimeField(_("link created"))
    last_fetched_at = models.DateTimeField(_("last read by a calendar"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        indexes = [models.Index(fields=["prefix"], name="calendarfeed_prefix_idx")]

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.prefix}"
