"""Pages of the bulk import: upload, column mapping with a preview, progress and result, recent list.

The rules live in accounts.imports; these views parse forms and render. Every page needs
``Perm.ACCOUNT_CREATE`` (executives get 403) and an import of another tenant — or, for a manager,
another member's import — is a 404.
"""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.imports import (
    IMPORT_MAX_BYTES,
    ImportFileError,
    field_choices,
    import_create,
    import_failed_sample,
    import_get,
    import_preview,
    import_start,
    import_visible_queryset,
)
from accounts.models import ImportJob, ImportKind, ImportMode, ImportStatus
from kam.decorators import tenant_page
from kam.pagination import KeysetError, keyset_page
from kam.roles import Perm

PAGE_SIZE = 25


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What to import"), choices=ImportKind.choices)
    file = forms.FileField(label=gettext_lazy("File"), help_text=gettext_lazy(
        "CSV (UTF-8 or GB18030, any common delimiter) or Excel (.xlsx); the first row holds the "
        "column names."))
    mode = forms.ChoiceField(label=gettext_lazy("When some rows fail"), choices=ImportMode.choices,
                             initial=ImportMode.VALID_ONLY, widget=forms.RadioSelect)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError(_("The file is larger than %(mb)d MB.")
                                  % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)})
        return upload


class ImportMappingForm(forms.Form):
    """One select per target field, pre-filled with the stored (suggested) mapping."""

    def __init__(self, *args, job: ImportJob, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        columns = [("", _("— not imported —")), *((c, c) for c in job.columns)]
        for name, label, required in field_choices(kind=job.kind):
            self.fields[name] = forms.ChoiceField(
                label=label, required=False, choices=columns, initial=job.mapping.get(name, ""))
            self.fields[name].import_required = required
        self.fields["mode"] = forms.ChoiceField(
            label=_("When some rows fail"), choices=ImportMode.choices, initial=job.mode,
            widget=forms.RadioSelect)

    def target_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name != "mode"]


def _get_job(request: HttpRequest, job_id: int) -> ImportJob:
    try:
        return import_get(actor=request.actor, job_id=job_id)
    except ImportJob.DoesNotExist as exc:
        raise Http404 from exc


@tenant_page(Perm.ACCOUNT_CREATE)
def import_list(request: HttpRequest) -> HttpResponse:
    # Newest first through the ascending keyset helper: order by the negated id.
    qs = (import_visible_queryset(actor=request.actor).select_related("created_by__user")
          .annotate(neg_id=-F("id")))
    try:
        page = keyset_page(qs, order=("neg_id",), cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    except KeysetError:
        page = keyset_page(qs, order=("neg_id",), cursor=None, size=PAGE_SIZE)
    return render(request, "accounts/import_list.html", {"page": page})


@tenant_page(Perm.ACCOUNT_CREATE)
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None,
                            initial={"kind": request.GET.get("kind", ImportKind.ACCOUNTS)})
    if request.method == "POST":
        if form.is_valid():
            try:
                job = import_create(actor=request.actor, kind=form.cleaned_data["kind"],
                                    mode=form.cleaned_data["mode"],
                                    upload=form.cleaned_data["file"])
            except ImportFileError as exc:
                form.add_error("file", str(exc))
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("import-mapping", job_id=job.pk)
        return render(request, "accounts/import_upload.html", {"form": form}, status=400)
    return render(request, "accounts/import_upload.html", {"form": form})


@tenant_page(Perm.ACCOUNT_CREATE)
def import_mapping(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _get_job(request, job_id)
    if job.status != ImportStatus.UPLOADED:
        return redirect("import-detail", job_id=job.pk)
    form = ImportMappingForm(request.POST or None, job=job)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            mapping = {k: v for k, v in form.cleaned_data.items() if k != "mode" and v}
            try:
                import_start(actor=request.actor, job=job, mapping=mapping,
                             mode=form.cleaned_data["mode"])
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for name, errors in exc.message_dict.items():
                        for message in errors:
                            form.add_error(name if name in form.fields else None, message)
                else:
                    form.add_error(None, exc)
            else:
                return redirect("import-detail", job_id=job.pk)
    try:
        preview, preview_error = import_preview(job=job), ""
    except ImportFileError as exc:
        preview, preview_error = [], str(exc)
    return render(request, "accounts/import_mapping.html", {
        "job": job, "form": form, "preview": preview, "preview_error": preview_error,
    }, status=status)


def _result_context(job: ImportJob) -> dict:
    return {"job": job, "failed_sample": import_failed_sample(job=job) if not job.is_running else []}


@tenant_page(Perm.ACCOUNT_CREATE)
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _get_job(request, job_id)
    if job.status == ImportStatus.UPLOADED:
        return redirect("import-mapping", job_id=job.pk)
    return render(request, "accounts/import_detail.html", _result_context(job))


@tenant_page(Perm.ACCOUNT_CREATE)
def import_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The htmx partial polled every second while the import runs."""
    job = _get_job(request, job_id)
    return render(request, "accounts/import_progress.html", _result_context(job))


@tenant_page(Perm.ACCOUNT_CREATE)
def import_report(request: HttpRequest, job_id: int) -> FileResponse:
    job = _get_job(request, job_id)
    if not job.report:
        raise Http404
    stem = Path(job.original_name).stem or "import"
    return FileResponse(job.report.storage.open(job.report.name, "rb"), as_attachment=True,
                        filename=f"{stem}-failed-rows.csv", content_type="text/csv; charset=utf-8")
