"""What an import tells the member who started it (kam.notify): that it finished, was rejected
or failed. The event's data holds the file's name, the outcome and the counts; these renderers
write them in the reader's language."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.imports.models import ImportStatus
from kam import l10n
from kam.notify import register_event_kind

IMPORT_FINISHED = "accounts.import_finished"


def import_finished_title(data: dict[str, Any]) -> str:
    names = {"file": data["file"]}
    if data["status"] == ImportStatus.DONE:
        return _("Import of “%(file)s” finished") % names
    if data["status"] == ImportStatus.REJECTED:
        return _("Import of “%(file)s” rejected") % names
    return _("Import of “%(file)s” failed") % names


def import_finished_body(data: dict[str, Any]) -> str:
    if data["status"] == ImportStatus.DONE:
        return _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(failed)s "
                 "failed.") % {name: l10n.count(data[name])
                               for name in ("created", "updated", "unchanged", "failed")}
    if data["status"] == ImportStatus.REJECTED:
        return ngettext("%(n)s row failed, so nothing was imported.",
                        "%(n)s rows failed, so nothing was imported.", data["failed"]) % {
            "n": l10n.count(data["failed"])}
    return _("Nothing was imported. The import's page says why.")


def import_finished_url(data: dict[str, Any]) -> str:
    return reverse("accounts:import-detail", args=[data["job_id"]])


def import_finished_subject(data: dict[str, Any]) -> str:
    return f"accounts.importjob:{data['job_id']}"


def register() -> None:
    register_event_kind(IMPORT_FINISHED, title=import_finished_title, body=import_finished_body,
                        url=import_finished_url, subject=import_finished_subject)
