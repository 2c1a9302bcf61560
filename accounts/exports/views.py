from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.exports.files import stream_csv, xlsx_response
from accounts.exports.selectors import EXPORTS, ExportFilterError, export_queryset, export_rows
from kam import clock
from kam.decorators import tenant_page
from kam.filter_tokens import FILTER_PARAM, filter_token_load, filter_token_store
from kam.lists import see_other

FORMATS = ("csv", "xlsx")
# The header row: "labels" in the user's language (the default), or "keys", the field names
# integrations rely on (the same in every language and release).
HEADERS = ("labels", "keys")


@tenant_page()
def export_view(request: HttpRequest, kind: str) -> HttpResponse:
    fmt = request.GET.get("format", "csv")
    header = request.GET.get("header", "labels")
    params = request.GET.copy()
    for ignored in ("format", "header", "cursor"):
        params.pop(ignored, None)
    # Filters that may hold personal data (the contact search) come as the list page's opaque
    # token (kam.filter_tokens), never as text in the URL.
    personal = getattr(EXPORTS[kind].filterset, "personal_params", ())
    legacy = any(params.get(name, "").strip() for name in personal)
    token = params.pop(FILTER_PARAM, [""])[-1]
    errors: dict[str, list[str]] = {}
    if token and not legacy:
        saved = filter_token_load(request, list_name=kind, token=token)
        if saved is None:
            # Never the unfiltered rows instead: that would be a bigger file than the user asked.
            errors["search"] = [_("This search has expired. Search again on the list page, "
                                  "then export.")]
        else:
            for name, value in saved.items():
                params[name] = value
    if fmt not in FORMATS:
        errors["format"] = [_("Choose CSV or Excel (xlsx).")]
    if header not in HEADERS:
        errors["header"] = [_("Choose labels (column names in your language) or keys (field "
                              "names that stay the same, for integrations).")]
    if not errors:
        try:
            spec, qs = export_queryset(kind=kind, actor=request.actor, params=params,
                                       request=request)
        except ExportFilterError as exc:
            errors = exc.errors
    if errors:
        return render(request, "accounts/export_error.html", {"errors": errors}, status=400)
    if legacy:
        # An old link with the search term in it: the term moves into a token (303), so the
        # download's own URL does not carry it.
        query = request.GET.copy()
        query.pop(FILTER_PARAM, None)
        saved = {}
        for name in personal:
            if value := query.pop(name, [""])[-1].strip():
                saved[name] = value
        query[FILTER_PARAM] = filter_token_store(request, list_name=kind, params=saved)
        return see_other(f"{request.path}?{query.urlencode()}")
    stamp = clock.today(request.actor.tenant).isoformat()
    filename = f"kam-{kind}-{request.tenant.slug}-{stamp}"
    rows = export_rows(spec, qs, keys=header == "keys")
    return stream_csv(rows, filename) if fmt == "csv" else xlsx_response(rows, filename)
