from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_uscc
from kam.audit import audited
from kam.tenancy import TenantOwned


class Industry(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    AUTOMOTIVE = "automotive", _("Automotive")
    ELECTRONICS = "electronics", _("Electronics & semiconductors")
    MACHINERY = "machinery", _("Machinery & equipment")
    ENERGY = "energy", _("Energy & utilities")
    CHEMICALS = "chemicals", _("Chemicals & materials")
    CONSTRUCTION = "construction", _("Construction & real estate")
    HEALTHCARE = "healthcare", _("Healthcare & pharmaceuticals")
    RETAIL = "retail", _("Retail & consumer goods")
    FOOD = "food", _("Food & agriculture")
    LOGISTICS = "logistics", _("Logistics & transport")
    TELECOM = "telecom", _("IT & telecommunications")
    FINANCE = "finance", _("Finance & insurance")
    PUBLIC = "public", _("Government & public sector")
    EDUCATION = "education", _("Education")
    OTHER = "other", _("Other")


class RevenueBand(models.TextChoices):
    UNDER_10M = "lt10m", _("Under 10 million")
    FROM_10M = "10m-100m", _("10–100 million")
    FROM_100M = "100m-1b", _("100 million – 1 billion")
    FROM_1B = "1b-10b", _("1–10 billion")
    OVER_10B = "gt10b", _("Over 10 billion")


class DevelopmentStage(models.TextChoices):
    GROWTH = "growth", _("Growth")
    MATURE = "mature", _("Mature")
    DECLINING = "declining", _("Declining")


class LifecycleStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    AT_RISK = "at_risk", _("At risk")
    CHURNED = "churned", _("Churned")


class CreditRating(models.TextChoices):
    A = "A", _("A – excellent")
    B = "B", _("B – good")
    C = "C", _("C – watch")
    D = "D", _("D – poor")


# Audited (kam.audit): every create/update/delete is copied by triggers into <model>event tables.
@audited(model_name="AccountEvent", exclude=("updated_at",), indexes=[
    models.Index(fields=["tenant", "pgh_obj", "pgh_created_at", "pgh_id"],
                 name="accountevent_history_idx")])
class Account(TenantOwned):
    """A customer company: the heart of the 客户档案."""

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    unified_social_credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[validate_uscc],
        help_text=_("18 characters, checked against GB 32100-2015."),
    )
    industry = models.CharField(_("industry"), max_length=30, choices=Industry.choices,
                                blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    employee_count = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    annual_revenue_band = models.CharField(_("annual revenue"), max_length=10,
                                           choices=RevenueBand.choices, blank=True)
    business_scope = models.TextField(_("business scope"), blank=True)
    development_stage = models.CharField(_("development stage"), max_length=10,
                                         choices=DevelopmentStage.choices, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="children", verbose_name=_("parent account"))
    owner = models.ForeignKey("kam.Membership", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="owned_accounts", verbose_name=_("owner"))
    lifecycle_status = models.CharField(_("lifecycle status"), max_length=10,
                                        choices=LifecycleStatus.choices,
                                        default=LifecycleStatus.ACTIVE)
    strategic_value = models.PositiveSmallIntegerField(
        _("strategic value"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (low) to 5 (high)."),
    )
    credit_rating = models.CharField(_("credit rating"), max_length=1,
                                     choices=CreditRating.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    external_id = models.CharField(_("external ID"), max_length=100, blank=True,
                                   help_text=_("The account's id in your ERP, for sync."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "id"], name="account_tenant_id_uniq"),
            models.UniqueConstraint(
                fields=["tenant", "unified_social_credit_code"],
                condition=~Q(unified_social_credit_code=""),
                name="account_tenant_uscc_uniq",
                violation_error_message=_(
                    "Another account already has this unified social credit code."),
            ),
            models.UniqueConstraint(
                fields=["tenant", "external_id"], condition=~Q(external_id=""),
                name="account_tenant_external_id_uniq",
                violation_error_message=_("Another account already has this external ID."),
            ),
            models.CheckConstraint(
                condition=Q(strategic_value__gte=1, strategic_value__lte=5),
                name="account_strategic_value_1_5",
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")),
                                   name="account_not_own_parent"),
        ]
        indexes = [
            models.Index(fields=["tenant", "name"], name="account_tenant_name_idx"),
            models.Index(fields=["tenant", "owner"], name="account_tenant_owner_idx"),
            models.Index(fields=["tenant", "parent"], name="account_tenant_parent_idx"),
        ]

    def __str__(self) -> str:
        return self.name


# --- the rest of the profile (客户档案) ------------------------------------------------------------


class ContactLevel(models.TextChoices):
    LEADERSHIP = "leadership", _("Leadership")
    TECHNICAL = "technical", _("Technical")
    BUSINESS = "business", _("Business")


class BuyingRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    INFLUENCER = "influencer", _("Influencer")
    USER = "user", _("User")
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

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts",
                                verbose_name=_("account"))
    name = models.CharField(_("name"), max_length=100)
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
            models.UniqueConstraint(fields=["tenant", "id"], name="contact_tenant_id_uniq"),
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
        indexes = [models.Index(fields=["tenant", "account", "level"], name="contact_account_level_idx")]

    def __str__(self) -> str:
        return self.name


class TeamRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    SALES = "sales", _("Sales")
    TECHNICAL_SUPPORT = "technical_support", _("Technical support")
    SERVICE = "service", _("Service")
    EXECUTIVE_SPONSOR = "executive_sponsor", _("Executive sponsor")


@audited(model_name="AccountTeamMemberEvent", indexes=[
    models.Index(fields=["tenant", "account", "pgh_created_at", "pgh_id"],
                 name="teamevent_history_idx")])
class AccountTeamMember(TenantOwned):
    """交叉工作组: a member of the tenant working on an account, in a team role."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="team",
                                verbose_name=_("account"))
    membership = models.ForeignKey("kam.Membership", on_delete=models.CASCADE,
                                   related_name="account_teams", verbose_name=_("member"))
    team_role = models.CharField(_("team role"), max_length=20, choices=TeamRole.choices)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("account team member")
        verbose_name_plural = _("account team")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "id"], name="team_tenant_id_uniq"),
            models.UniqueConstraint(fields=["tenant", "account", "membership"],
                                    name="team_tenant_account_member_uniq"),
        ]
        indexes = [models.Index(fields=["tenant", "membership"], name="team_member_idx")]

    def __str__(self) -> str:
        return f"{self.membership} ({self.get_team_role_display()})"


@audited(model_name="TransactionEvent", exclude=("updated_at",), indexes=[
    models.Index(fields=["tenant", "account", "pgh_created_at", "pgh_id"],
                 name="transactionevent_history_idx")])
class Transaction(TenantOwned):
    """交易记录: an order or a refund, in the tenant's currency."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="transactions",
                                verbose_name=_("account"))
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    gross_margin = models.DecimalField(_("gross margin"), max_digits=16, decimal_places=2,
                                       null=True, blank=True)
    product_line = models.CharField(_("product line"), max_length=100, blank=True)
    refund_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="refunds", verbose_name=_("refund of"))
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "id"], name="transaction_tenant_id_uniq"),
            models.UniqueConstraint(fields=["tenant", "external_id"], condition=~Q(external_id=""),
                                    name="transaction_tenant_external_id_uniq"),
            models.CheckConstraint(condition=Q(amount__gte=0) | Q(refund_of__isnull=False),
                                   name="transaction_negative_only_refund"),
        ]
        indexes = [
            models.Index(fields=["tenant", "account", "date"], name="transaction_account_date_idx"),
            models.Index(fields=["tenant", "date"], name="transaction_tenant_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.amount}"


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


@audited(model_name="ContractEvent", exclude=("updated_at",), indexes=[
    models.Index(fields=["tenant", "account", "pgh_created_at", "pgh_id"],
                 name="contractevent_history_idx")])
class Contract(TenantOwned):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contracts",
                                verbose_name=_("account"))
    number = models.CharField(_("contract number"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2,
                                validators=[MinValueValidator(0)])
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    status = models.CharField(_("status"), max_length=12, choices=ContractStatus.choices,
                              default=ContractStatus.DRAFT)
    renewal_notice_days = models.PositiveSmallIntegerField(_("renewal notice (days)"), default=60)
    notes = models.TextField(_("notes"), blank=True)
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["end_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "id"], name="contract_tenant_id_uniq"),
            models.UniqueConstraint(fields=["tenant", "number"], name="contract_tenant_number_uniq"),
            models.UniqueConstraint(fields=["tenant", "external_id"], condition=~Q(external_id=""),
                                    name="contract_tenant_external_id_uniq"),
            models.CheckConstraint(condition=Q(end_date__gt=models.F("start_date")),
                                   name="contract_end_after_start"),
            models.CheckConstraint(condition=Q(value__gte=0), name="contract_value_not_negative"),
        ]
        indexes = [models.Index(fields=["tenant", "status", "end_date"], name="contract_renewal_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class AccountFigures(TenantOwned):
    """Derived figures per account, kept by set-based SQL (accounts.figures), never per page view.

    Not audited: derived data, rewritten nightly by a set-based job and recomputable at any time
    from the (audited) transactions; auditing it would only multiply rows.
    """

    account = models.OneToOneField(Account, on_delete=models.CASCADE, primary_key=True,
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
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account"], name="figures_tenant_account_uniq"),
        ]


# --- bulk import (issue 3) -------------------------------------------------------------------------


class ImportKind(models.TextChoices):
    ACCOUNTS = "accounts", _("Accounts")
    CONTACTS = "contacts", _("Contacts")
    TRANSACTIONS = "transactions", _("Transactions")


class ImportMode(models.TextChoices):
    VALID_ONLY = "valid_only", _("Import the valid rows, list the failed ones")
    ALL_OR_NOTHING = "all_or_nothing", _("Import nothing if any row fails")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    MAPPED = "mapped", _("Queued")
    VALIDATING = "validating", _("Validating")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    REJECTED = "rejected", _("Rejected")


class ImportFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel (xlsx)")


def import_upload_to(instance: ImportJob, filename: str) -> str:
    # The user's file name is kept in original_name; the stored name is ours (no path tricks).
    import uuid

    ext = "xlsx" if instance.file_format == ImportFormat.XLSX else "csv"
    return f"imports/{instance.tenant_id}/{uuid.uuid4().hex}.{ext}"


def import_report_to(instance: ImportJob, filename: str) -> str:
    import uuid

    return f"imports/{instance.tenant_id}/{uuid.uuid4().hex}-failed.csv"


class ImportJob(TenantOwned):
    """One upload of accounts, contacts or transactions, from mapping to the final counts.

    Not audited: progress bookkeeping, written many times per second while a file runs; the rows
    an import writes are audited (with the job as actor) in their own tables.
    """

    kind = models.CharField(_("kind"), max_length=12, choices=ImportKind.choices)
    original_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to=import_upload_to, max_length=255)
    file_format = models.CharField(_("format"), max_length=4, choices=ImportFormat.choices)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    mapping = models.JSONField(_("mapping"), default=dict, blank=True,
                               help_text=_("Target field → source column."))
    mode = models.CharField(_("mode"), max_length=16, choices=ImportMode.choices,
                            default=ImportMode.VALID_ONLY)
    status = models.CharField(_("status"), max_length=12, choices=ImportStatus.choices,
                              default=ImportStatus.UPLOADED)
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    error_message = models.TextField(_("error"), blank=True)
    report = models.FileField(_("failed rows"), upload_to=import_report_to, max_length=255,
                              blank=True)
    created_by = models.ForeignKey("kam.Membership", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="imports",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "id"], name="importjob_tenant_id_uniq"),
        ]
        indexes = [models.Index(fields=["tenant", "created_by", "id"],
                                name="importjob_tenant_creator_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.MAPPED, ImportStatus.VALIDATING,
                               ImportStatus.IMPORTING)

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))


# --- tiering and service standards (issue 5) -------------------------------------------------------

from accounts.tier_models import (  # noqa: E402,F401  (models of this app, kept in their own file)
    AccountTier,
    Criterion,
    ServiceStandard,
    Tier,
    TierChange,
    TierChangeSource,
    TierPolicy,
)
