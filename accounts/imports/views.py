"""Pages of the bulk import: upload, column mapping with a preview, progress and result, recent list.

The rules live in accounts.imports; these views parse forms and render. Every page needs
``Perm.ACCOUNT_CREATE`` (executives get 403) and an import of another tenant — or, for a manager,
another member's import — is a 404.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation

from accounts.exports.files import stream_csv, xlsx_response
from accounts.imports.files import ImportFileError, import_preview
from accounts.imports.forms import ImportMappingForm, ImportUploadForm
from accounts.imports.models import ImportJob, ImportKind, ImportStatus
from accounts.imports.selectors import (
    import_failed_sample,
    import_visible_queryset,
    import_waiting_for_queue,
)
from accounts.imports.services import (
    import_create,
    import_file_check,
    import_mapping_check,
    import_start,
)
from accounts.imports.specs import template_headers
from kam.decorators import tenant_page
from kam.lists import get_or_404, page_of, rule_errors
from kam.roles import Perm

PAGE_SIZE = 25


def _get_job(request: HttpRequest, job_id: int) -> ImportJob:
    return get_or_404(import_visible_queryset(actor=request.actor).select_related(
        "created_by__user"), pk=job_id)


@tenant_page(Perm.ACCOUNT_CREATE)
def import_list(request: HttpRequest) -> HttpResponse:
    # Newest first through the ascending keyset helper: order by the negated id.
    qs = (import_visible_queryset(actor=request.actor).select_related("created_by__user")
          .annotate(neg_id=-F("id")))
    page = page_of(request, qs, order=("neg_id",), size=PAGE_SIZE)
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
                return redirect("accounts:import-mapping", job_id=job.pk)
        elif form.cleaned_data.get("file") is not None:
            try:  # the file's own checks, beside the other fields' errors
                import_file_check(upload=form.cleaned_data["file"])
            except ImportFileError as exc:
                form.add_error("file", str(exc))
        return render(request, "accounts/import_upload.html", {"form": form, "kinds": ImportKind.choices},
                      status=400)
    return render(request, "accounts/import_upload.html", {"form": form, "kinds": ImportKind.choices})


TEMPLATE_FORMATS = ("csv", "xlsx")


@tenant_page(Perm.ACCOUNT_CREATE)
def import_template(request: HttpRequest, kind: str, file_format: str) -> HttpResponse:
    """An empty file to fill and upload: the header row of ``kind`` in the user's language, as
    CSV or Excel. Uploaded as it is (with rows), its columns are mapped without a change."""
    if kind not in ImportKind.values or file_format not in TEMPLATE_FORMATS:
        raise Http404
    rows = [template_headers(kind=kind)]
    filename = f"kam-{kind}-import-template"
    if file_format == "xlsx":
        return xlsx_response(rows, filename)
    return stream_csv(rows, filename)


@tenant_page(Perm.ACCOUNT_CREATE)
def import_mapping(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _get_job(request, job_id)
    if job.status != ImportStatus.UPLOADED:
        return redirect("accounts:import-detail", job_id=job.pk)
    form = ImportMappingForm(request.POST or None, job=job)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            mapping = {k: v for k, v in form.cleaned_data.items() if k != "mode" and v}
            try:
                import_start(actor=request.actor, job=job, mapping=mapping,
                             mode=form.cleaned_data["mode"], language=translation.get_language())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                return redirect("accounts:import-detail", job_id=job.pk)
        else:
            rule_errors(form, lambda data: import_mapping_check(
                actor=request.actor, job=job, mode=data.pop("mode"), mapping=data))
    try:
        preview, preview_error = import_preview(job=job), ""
    except ImportFileError as exc:
        preview, preview_error = [], str(exc)
    return render(request, "accounts/import_mapping.html", {
        "job": job, "form": form, "preview": preview, "preview_error": preview_error,
    }, status=status)


def _result_context(job: ImportJob) -> dict:
    return {"job": job, "failed_sample": import_failed_sample(job=job) if not job.is_running else [],
            "waiting_for_queue": import_waiting_for_queue(job=job)}


@tenant_page(Perm.ACCOUNT_CREATE)
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _get_job(request, job_id)
    if job.status == ImportStatus.UPLOADED:
        return redirect("accounts:import-mapping", job_id=job.pk)
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
