from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.exports import ExportFilterError, export_queryset, export_rows, stream_csv, xlsx_response
from kam.decorators import tenant_page

FORMATS = ("csv", "xlsx")


@tenant_page()
def export_view(request: HttpRequest, kind: str) -> HttpResponse:
    fmt = request.GET.get("format", "csv")
    params = request.GET.copy()
    for ignored in ("format", "cursor"):
        params.pop(ignored, None)
    errors: dict[str, list[str]] = {}
    if fmt not in FORMATS:
        errors["format"] = [_("Choose CSV or Excel (xlsx).")]
    else:
        try:
            spec, qs = export_queryset(kind=kind, actor=request.actor, params=params,
                                       request=request)
        except ExportFilterError as exc:
            errors = exc.errors
    if errors:
        return render(request, "accounts/export_error.html", {"errors": errors}, status=400)
    stamp = timezone.localdate().isoformat()
    filename = f"kam-{kind}-{request.tenant.slug}-{stamp}"
    rows = export_rows(spec, qs)
    return stream_csv(rows, filename) if fmt == "csv" else xlsx_response(rows, filename)
