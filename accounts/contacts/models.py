"""Contacts (联系人): the people at the customer, their level and role in buying decisions."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.audit import audited
from kam.models import NAME_COLLATION
from kam.tenancy import TenantForeignKeyField, TenantOwned


class ContactLevel(models.TextChoices):
    LEADERSHIP = "leadership", _("Leadership")
    TECHNICAL = "technical", _("Technical")
    BUSINESS = "business", _("Business")


class BuyingRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", pgettext_lazy("buying role", "User")  # 使用者, not a login
    GATEKEEPER = "gatekeeper", _("Gatekeeper")
    CHAMPION = "champion", _("Champion")


phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 ()\-]{4,23}[0-9]$",
    _("Enter a phone number of digits, spaces, dashes or brackets, e.g. 138 0013 8000 or "
      "+86 21 5888 0000."),
)


@audited(model_name="ContactEvent", exclude=("updated_at",), indexes=[
    models.Index(fields=["tenant", "account", "pgh_created_at", "pgh_id"],
                 name="contactevent_history_idx")])
class Contact(TenantOwned):
    """A person at the customer, with their level and role in buying decisions."""

    account = TenantForeignKeyField("accounts.Account", on_delete=models.CASCADE, related_name="contacts",
                                verbose_name=_("account"))
    name = models.CharField(_("name"), max_length=100, db_collation=NAME_COLLATION)  # pinyin order
    title = models.CharField(_("job title"), max_length=100, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=12, choices=ContactLevel.choices,
                             default=ContactLevel.BUSINESS)
    buying_role = models.CharField(_("buying role"), max_length=16, choices=BuyingRole.choices,
                                   blank=True)
    relationship_strength = models.PositiveSmallIntegerField(
        _("relationship strength"), default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)], help_text=_("1 (cold) to 5 (close)."))
    phone = models.CharField(_("phone"), max_length=25, blank=True, validators=[phone_validator])
    email = models.EmailField(_("email"), blank=True)
    wechat_id = models.CharField(_("WeChat ID"), max_length=50, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    birthday_is_lunar = models.BooleanField(
        _("lunar birthday"), default=False,
        help_text=_("The birthday's month and day are in the Chinese lunar calendar."))
    birthday_lunar_leap = models.BooleanField(
        _("in a leap month"), default=False,
        help_text=_("A lunar birthday in a leap month. In years without that leap month "
                    "it falls in the ordinary month."))
    care_opt_out = models.BooleanField(
        _("no care reminders"), default=False,
        help_text=_("No birthday or festival reminders for this contact."))
    is_active = models.BooleanField(_("still at the account"), default=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account", "email"], condition=~Q(email=""),
                                    name="contact_tenant_account_email_uniq"),
            models.UniqueConstraint(fields=["tenant", "external_id"], condition=~Q(external_id=""),
                                    name="contact_tenant_external_id_uniq"),
            models.CheckConstraint(condition=Q(relationship_strength__gte=1,
                                               relationship_strength__lte=5),
                                   name="contact_strength_1_5"),
            models.CheckConstraint(condition=Q(is_active=True) | Q(left_on__isnull=False),
                                   name="contact_left_has_date"),
        ]
        indexes = [
            models.Index(fields=["tenant", "account", "level"], name="contact_account_level_idx"),
            # The list's orders (kam.lists keyset): by name, and by relationship strength.
            models.Index(fields=["tenant", "name", "id"], name="contact_tenant_name_idx"),
            models.Index(fields=["tenant", "relationship_strength", "name", "id"],
                         name="contact_tenant_strength_idx"),
        ]

    def __str__(self) -> str:
        return self.name
