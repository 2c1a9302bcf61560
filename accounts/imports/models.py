"""An import job (ImportJob): one upload of accounts, contacts or transactions, from mapping to the
final counts."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.tenancy import TenantForeignKeyField, TenantOwned


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
    # "created"/"updated" are also the date columns of other models (创建时间): these count rows.
    created_count = models.PositiveIntegerField(pgettext_lazy("import rows", "created"), default=0)
    updated_count = models.PositiveIntegerField(pgettext_lazy("import rows", "updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    error_message = models.TextField(_("error"), blank=True)
    # The language of whoever started the import: its messages and failed-rows file are written in
    # it (empty: the tenant's default language).
    language = models.CharField(_("language"), max_length=10, blank=True)
    report = models.FileField(_("failed rows"), upload_to=import_report_to, max_length=255,
                              blank=True)
    created_by = TenantForeignKeyField("kam.Membership", null=True, blank=True,
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
