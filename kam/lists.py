"""Page helpers every list and detail page uses: keyset pages, lookups through the visible
queryset (another tenant's row, or one the actor may not see, is a 404), the 303 after a POST.

Keyset (cursor) pagination: the cost of page 1000 is the cost of page 1.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render

from kam import visibility

M = TypeVar("M", bound=Model)
PAGE_SIZE = 25


class KeysetError(ValueError):
    """The cursor was tampered with or belongs to another ordering."""


@dataclass
class KeysetPage:
    items: list[Any]
    total: int
    offset: int
    next_cursor: str | None

    @property
    def first_index(self) -> int:
        return self.offset + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return self.offset + len(self.items)

    @property
    def has_previous(self) -> bool:
        return self.offset > 0


def _encode(key: Any, offset: int) -> str:
    # Only the last row's primary key and the offset: the sort values (a contact's name, …) are
    # looked up again on the server, so no personal value ever travels in a "next page" URL.
    raw = json.dumps({"k": key, "n": offset}, default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        key, offset = data["k"], int(data["n"])
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise KeysetError("bad cursor") from exc
    if isinstance(key, (list, dict, bool)) or key is None or offset < 0:
        raise KeysetError("bad cursor")
    return key, offset


def _after_values(qs: QuerySet, order: tuple[str, ...], key: Any) -> list[Any]:
    """The sort values of the row ``key`` (the previous page's last row), read from the list's own
    queryset: one query by primary key. A tampered key, or a row that has gone (deleted, or no
    longer matching the filters, or of another tenant) is a KeysetError."""
    try:
        key = qs.model._meta.pk.to_python(key)
    except (DjangoValidationError, TypeError, ValueError) as exc:
        raise KeysetError("bad cursor") from exc
    if key is None:
        raise KeysetError("bad cursor")
    names = [field.lstrip("-") for field in order]
    try:
        found = list(qs.order_by().filter(pk=key).values_list(*names)[:1])
    except (DjangoValidationError, TypeError, ValueError, OverflowError) as exc:
        raise KeysetError("bad cursor") from exc
    if not found or any(value is None for value in found[0]):
        raise KeysetError("bad cursor")
    return list(found[0])


def keyset_page(qs: QuerySet, *, order: tuple[str, ...], cursor: str | None, size: int
                ) -> KeysetPage:
    """One page after ``cursor`` in ``order`` (last field unique; a leading "-" sorts that field
    descending, e.g. ``("-date", "-id")``). Two queries on the first page, three after it (the
    cursor holds only the last row's primary key; its sort values are read back by that key).

    The cursor is opaque to the user and carries no value of the row but its id, so sorting by a
    person's name or email never puts them in a URL."""
    total = qs.count()
    offset = 0
    qs = qs.order_by(*order)
    if cursor:
        key, offset = _decode(cursor)
        values = _after_values(qs, order, key)
        after = Q()
        for i, field in enumerate(order):
            name, op = (field[1:], "lt") if field.startswith("-") else (field, "gt")
            step = Q(**{f"{name}__{op}": values[i]})
            for j in range(i):
                step &= Q(**{order[j].lstrip("-"): values[j]})
            after |= step
        qs = qs.filter(after)
    rows = list(qs[: size + 1])
    items = rows[:size]
    next_cursor = None
    if len(rows) > size:
        next_cursor = _encode(items[-1].pk, offset + size)
    return KeysetPage(items=items, total=total, offset=offset, next_cursor=next_cursor)


def page_of(request: HttpRequest, qs: QuerySet, *, order: tuple[str, ...],
            size: int = PAGE_SIZE) -> KeysetPage:
    """The page of ``qs`` after the request's ``cursor``; a tampered cursor (or one of a row that
    has gone) restarts at the first page instead of failing."""
    visibility.check(qs)
    try:
        return keyset_page(qs, order=order, cursor=request.GET.get("cursor") or None, size=size)
    except KeysetError:
        return keyset_page(qs, order=order, cursor=None, size=size)


def filtered_page(request: HttpRequest, filterset: Any, *, order: tuple[str, ...],
                  size: int = PAGE_SIZE) -> dict[str, Any]:
    """A list page's rows: the filterset's queryset (none when a filter is invalid), one keyset page
    of it, and the query string without the cursor (for the pager and the export links)."""
    qs = filterset.qs if filterset.is_bound else filterset.queryset
    if filterset.is_bound and not filterset.is_valid():
        qs = qs.none()
    query = request.GET.copy()
    query.pop("cursor", None)
    return {
        "page": page_of(request, qs, order=order, size=size),
        "base_query": query.urlencode(),
        "filtered": any(v for k, v in request.GET.items() if k != "cursor"),
    }


def get_or_404(queryset: QuerySet[M], **lookup: Any) -> M:
    """One row of ``queryset`` — a visible queryset (``accounts.account.selectors``), so a row of
    another tenant or one the actor may not see is a 404 like a missing one."""
    visibility.check(queryset)
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist as exc:  # type: ignore[attr-defined]  # on every concrete model
        raise Http404 from exc


def see_other(url: str) -> HttpResponseRedirect:
    """303 See Other: after a POST, the browser GETs ``url`` (a reload does not resubmit)."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def form_page(request: HttpRequest, form: Any, *, template: str, save: Callable[[dict[str, Any]], M],
              done: Callable[[M], str], message: Callable[[M], str],
              check: Callable[[dict[str, Any]], object] | None = None,
              context: dict[str, Any] | None = None) -> HttpResponse:
    """The create / edit page of every form that feeds a service: GET shows the form; a POST
    whose fields parse goes to ``save`` (the service, with the form's cleaned values); its
    ``ValidationError`` goes back on the form, all fields at once, as a 400; success is the
    ``message`` and a redirect to ``done(obj)``.

    A POST with fields that do not parse never reaches ``save``: ``check`` (the service's
    validate-only twin, which writes nothing) judges the fields that did, so the page shows the
    rules' errors of those fields in the same answer instead of on the next submit."""
    context = {"form": form, **(context or {})}
    if request.method != "POST":
        return render(request, template, context)
    if form.is_valid():
        try:
            obj = save(form.data_for_service())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, message(obj))
            return redirect(done(obj))
    elif check is not None:
        rule_errors(form, check)
    return render(request, template, context, status=400)


def rule_errors(form: Any, check: Callable[[dict[str, Any]], object]) -> None:
    """Run ``check`` (a service's validate-only twin) on the parsed fields of a form that has
    errors, and add the rules' errors of the fields that parsed (``ServiceErrors.add_rule_errors``)."""
    try:
        check(form.data_for_service())
    except ValidationError as exc:
        form.add_rule_errors(exc)
