"""Derived account figures, kept by set-based SQL (accounts.figures.sql)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.tenancy import TenantOneToOneField, TenantOwned


class AccountFigures(TenantOwned):
    """Derived figures per account, kept by set-based SQL (accounts.figures), never per page view.

    Not audited: derived data, rewritten nightly by a set-based job and recomputable at any time
    from the (audited) transactions; auditing it would only multiply rows.
    """

    account = TenantOneToOneField("accounts.Account", on_delete=models.CASCADE, primary_key=True,
                                   related_name="figures")
    revenue_12m = models.DecimalField(_("revenue, last 12 months"), max_digits=18,
                                      decimal_places=2, default=0)
    margin_12m = models.DecimalField(_("gross margin, last 12 months"), max_digits=18,
                                     decimal_places=2, default=0)
    revenue_prev_12m = models.DecimalField(_("revenue, the 12 months before"), max_digits=18,
                                           decimal_places=2, default=0)
    order_count_12m = models.PositiveIntegerField(_("orders, last 12 months"), default=0)
    order_count = models.PositiveIntegerField(_("orders, all time"), default=0)
    last_order_date = models.DateField(_("last order"), null=True, blank=True)
    avg_order_interval_days = models.DecimalField(_("average days between orders"), max_digits=8,
                                                  decimal_places=1, null=True, blank=True)
    revenue_growth = models.DecimalField(_("revenue growth"), max_digits=10, decimal_places=4,
                                         null=True, blank=True,
                                         help_text=_("Last 12 months vs the 12 months before."))
    revenue_share = models.DecimalField(_("share of revenue"), max_digits=7, decimal_places=6,
                                        default=0)
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True)

    class Meta:
        verbose_name = _("account figures")
        verbose_name_plural = _("account figures")
