"""Customer care (客户关怀): the festivals a company greets its non-Chinese-language accounts on,
and the reminders the nightly job makes for account owners — a contact's birthday, a festival, a
contract's anniversary — each open until dismissed or turned into a follow-up.

Chinese-language accounts are greeted on the Chinese festivals (``CHINESE_FESTIVALS``, fixed);
the others on their company's ``Festival`` list (seeded with New Year's Day and Christmas)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.audit import audited
from kam.tenancy import TenantForeignKeyField, TenantOwned

# Days before the occasion a reminder comes by default (the company's CareSettings change them;
# Spring Festival and the other Chinese festivals: CHINESE_FESTIVALS).
BIRTHDAY_LEAD_DAYS = 3
ANNIVERSARY_LEAD_DAYS = 3
MAX_LEAD_DAYS = 60


class DateCalendar(models.TextChoices):
    SOLAR = "solar", _("Solar calendar")
    LUNAR = "lunar", _("Lunar calendar")


class Occasion(models.TextChoices):
    BIRTHDAY = "birthday", _("Birthday")
    ANNIVERSARY = "anniversary", _("Contract anniversary")
    SPRING_FESTIVAL = "spring_festival", _("Spring Festival")
    LANTERN_FESTIVAL = "lantern_festival", _("Lantern Festival")
    DRAGON_BOAT = "dragon_boat", _("Dragon Boat Festival")
    MID_AUTUMN = "mid_autumn", _("Mid-Autumn Festival")
    DOUBLE_NINTH = "double_ninth", _("Double Ninth Festival")
    NEW_YEAR = "new_year", _("New Year's Day")
    NATIONAL_DAY = "national_day", _("National Day")
    FESTIVAL = "festival", _("Festival")  # one of the company's own (Festival)


@dataclass(frozen=True)
class ChineseFestival:
    occasion: str
    calendar: str
    month: int
    day: int
    lead_days: int


# The festivals of Chinese-language accounts: 春节, 元宵, 端午, 中秋, 重阳 by the lunar calendar,
# 元旦 and 国庆 by the solar one.
CHINESE_FESTIVALS = (
    ChineseFestival(Occasion.SPRING_FESTIVAL, DateCalendar.LUNAR, 1, 1, 10),
    ChineseFestival(Occasion.LANTERN_FESTIVAL, DateCalendar.LUNAR, 1, 15, 3),
    ChineseFestival(Occasion.DRAGON_BOAT, DateCalendar.LUNAR, 5, 5, 3),
    ChineseFestival(Occasion.MID_AUTUMN, DateCalendar.LUNAR, 8, 15, 3),
    ChineseFestival(Occasion.DOUBLE_NINTH, DateCalendar.LUNAR, 9, 9, 3),
    ChineseFestival(Occasion.NEW_YEAR, DateCalendar.SOLAR, 1, 1, 3),
    ChineseFestival(Occasion.NATIONAL_DAY, DateCalendar.SOLAR, 10, 1, 3),
)


class ReminderStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("care reminder status", "Open")
    DISMISSED = "dismissed", pgettext_lazy("care reminder status", "Dismissed")
    FOLLOWED_UP = "followed_up", pgettext_lazy("care reminder status", "Followed up")


@audited(model_name="CareSettingsEvent", exclude=("updated_at",))
class CareSettings(TenantOwned):
    """How many days ahead birthdays and contract anniversaries are reminded of. One row per
    company, written on the first change (until then ``care.selectors.care_settings`` gives the
    defaults: 3 days each)."""

    birthday_lead_days = models.PositiveSmallIntegerField(
        _("birthdays: days ahead"), default=BIRTHDAY_LEAD_DAYS,
        validators=[MaxValueValidator(MAX_LEAD_DAYS)])
    anniversary_lead_days = models.PositiveSmallIntegerField(
        _("contract anniversaries: days ahead"), default=ANNIVERSARY_LEAD_DAYS,
        validators=[MaxValueValidator(MAX_LEAD_DAYS)])
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("customer care settings")
        verbose_name_plural = _("customer care settings")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="caresettings_tenant_uniq"),
            models.CheckConstraint(condition=Q(birthday_lead_days__lte=MAX_LEAD_DAYS,
                                               anniversary_lead_days__lte=MAX_LEAD_DAYS),
                                   name="caresettings_lead_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.birthday_lead_days}/{self.anniversary_lead_days}"


@audited(model_name="FestivalEvent", exclude=("updated_at",))
class Festival(TenantOwned):
    """A festival the company greets its accounts of other languages on: a month and day of the
    solar or the lunar calendar, with its own lead time."""

    name = models.CharField(_("name"), max_length=100)
    calendar = models.CharField(_("calendar"), max_length=5, choices=DateCalendar.choices,
                                default=DateCalendar.SOLAR)
    month = models.PositiveSmallIntegerField(
        _("month"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    day = models.PositiveSmallIntegerField(
        _("day"), validators=[MinValueValidator(1), MaxValueValidator(31)])
    lead_days = models.PositiveSmallIntegerField(
        _("days ahead"), default=3, validators=[MaxValueValidator(MAX_LEAD_DAYS)],
        help_text=_("How many days before the festival its reminders come."))
    is_active = models.BooleanField(_("on"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("festival")
        verbose_name_plural = _("festivals")
        ordering = ["month", "day", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="festival_tenant_name_uniq",
                                    violation_error_message=_(
                                        "Your company already has a festival of this name.")),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12, day__gte=1,
                                               day__lte=31, lead_days__lte=MAX_LEAD_DAYS),
                                   name="festival_date_in_range"),
        ]

    def __str__(self) -> str:
        return self.name


@audited(model_name="CareReminderEvent", exclude=("updated_at",), indexes=[
    models.Index(fields=["tenant", "account", "pgh_created_at", "pgh_id"],
                 name="carereminderevent_history_idx")])
class CareReminder(TenantOwned):
    """An occasion to care for a customer — a contact's birthday or a festival, a contract's
    anniversary — for the account's owner, made by the nightly job a few days ahead. One per
    contact (or contract), occasion (festival) and year of the occasion's own calendar."""

    account = TenantForeignKeyField("accounts.Account", on_delete=models.CASCADE,
                                    related_name="care_reminders", verbose_name=_("account"))
    contact = TenantForeignKeyField("accounts.Contact", null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="care_reminders",
                                    verbose_name=_("contact"))
    contract = TenantForeignKeyField("accounts.Contract", null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="care_reminders",
                                     verbose_name=_("contract"))
    occasion = models.CharField(_("occasion"), max_length=20, choices=Occasion.choices)
    festival = TenantForeignKeyField(Festival, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="reminders", verbose_name=_("festival"))
    occurs_on = models.DateField(_("date"))
    # The year of the occasion in its own calendar (the lunar year of a lunar one).
    year = models.PositiveSmallIntegerField(_("year"))
    owner = TenantForeignKeyField("kam.Membership", on_delete=models.PROTECT,
                                  related_name="care_reminders", verbose_name=_("owner"))
    status = models.CharField(_("status"), max_length=12, choices=ReminderStatus.choices,
                              default=ReminderStatus.OPEN)
    follow_up = TenantForeignKeyField("visits.FollowUp", null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+",
                                      verbose_name=_("follow-up"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = TenantForeignKeyField("kam.Membership", null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+",
                                      verbose_name=_("closed by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("care reminder")
        verbose_name_plural = _("care reminders")
        ordering = ["occurs_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "contact", "occasion", "festival", "year"],
                                    condition=Q(contact__isnull=False), nulls_distinct=False,
                                    name="carereminder_contact_uniq"),
            models.UniqueConstraint(fields=["tenant", "contract", "occasion", "year"],
                                    condition=Q(contract__isnull=False),
                                    name="carereminder_contract_uniq"),
            models.CheckConstraint(condition=Q(contact__isnull=False, contract__isnull=True)
                                   | Q(contact__isnull=True, contract__isnull=False),
                                   name="carereminder_contact_or_contract"),
            models.CheckConstraint(condition=Q(occasion="festival", festival__isnull=False)
                                   | (~Q(occasion="festival") & Q(festival__isnull=True)),
                                   name="carereminder_festival_named"),
            models.CheckConstraint(condition=Q(status="open") | Q(closed_at__isnull=False),
                                   name="carereminder_closed_has_time"),
        ]
        indexes = [
            # One member's (the list's "mine", my day) and every one's, by date.
            models.Index(fields=["tenant", "owner", "occurs_on", "id"],
                         name="carereminder_owner_idx"),
            models.Index(fields=["tenant", "occurs_on", "id"], name="carereminder_date_idx"),
            models.Index(fields=["tenant", "account", "occurs_on", "id"],
                         name="carereminder_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occasion_label} {self.occurs_on}"

    @property
    def occasion_label(self) -> str | Promise:
        if self.occasion == Occasion.FESTIVAL and self.festival is not None:
            return self.festival.name
        if self.occasion == Occasion.BIRTHDAY and self.contact and self.contact.birthday_is_lunar:
            return _("Birthday (lunar)")
        return self.get_occasion_display()

    @property
    def person(self) -> str:
        """Whom it is about: the contact's name, or the contract's number."""
        if self.contact is not None:
            return self.contact.name
        return self.contract.number if self.contract is not None else ""

    @property
    def is_open(self) -> bool:
        return self.status == ReminderStatus.OPEN
