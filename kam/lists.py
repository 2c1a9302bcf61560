"""Page helpers every list and detail page uses: keyset pages, lookups through the visible
queryset (another tenant's row, or one the actor may not see, is a 404), the 303 after a POST.

Keyset (cursor) pagination: the cost of page 1000 is the cost of page 1.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import BooleanField, F, Func, Model, Q, QuerySet, Value
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
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
    previous_cursor: str | None = None

    @property
    def first_index(self) -> int:
        return self.offset + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return self.offset + len(self.items)

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None


def _order_tag(order: tuple[str, ...]) -> str:
    return ",".join(order)


def _encode(key: Any, offset: int, order: tuple[str, ...], *, backwards: bool = False) -> str:
    # Only a row's primary key, the offset, the ordering's field names and the direction: the
    # sort values (a contact's name, …) are looked up again on the server, so no personal value
    # ever travels in a page URL.
    data = {"k": key, "n": offset, "o": _order_tag(order)}
    if backwards:
        data["b"] = 1
    raw = json.dumps(data, default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, order: tuple[str, ...]) -> tuple[Any, int, bool]:
    """(row key, offset, backwards) of a cursor made for ``order``; a KeysetError otherwise."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        key, offset, tag, backwards = data["k"], int(data["n"]), data["o"], data.get("b", 0)
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise KeysetError("bad cursor") from exc
    if isinstance(key, (list, dict, bool)) or key is None or offset < 0:
        raise KeysetError("bad cursor")
    if tag != _order_tag(order) or backwards not in (0, 1):
        raise KeysetError("a cursor of another ordering")
    return key, offset, bool(backwards)


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


def reversed_order(order: tuple[str, ...]) -> tuple[str, ...]:
    """``order`` the other way round: ("name", "id") ↔ ("-name", "-id")."""
    return tuple(field[1:] if field.startswith("-") else f"-{field}" for field in order)


class _RowAfter(Func):
    """``(a, b, c) > (x, y, z)`` (``<`` descending): the rows after a keyset cursor as one row
    comparison, which PostgreSQL uses as the start of an index scan on (tenant, a, b, c) — under
    row-level security too, as its operators are LEAKPROOF where the columns' are (text, dates,
    integers; not numeric) — so page 1000 costs what page 1 costs, forwards and backwards."""

    output_field = BooleanField()

    def __init__(self, names: list[str], values: list[Any], *, descending: bool) -> None:
        super().__init__(*(F(name) for name in names), *(Value(v) for v in values))
        self.op = "<" if descending else ">"

    def as_sql(self, compiler: Any, connection: Any, function: str | None = None,
               template: str | None = None, arg_joiner: str | None = None,
               **extra: Any) -> tuple[str, list[Any]]:
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        half = len(parts) // 2
        return f"({', '.join(parts[:half])}) {self.op} ({', '.join(parts[half:])})", params


def _after(order: tuple[str, ...], values: list[Any]) -> Q:
    """The rows after ``values`` in ``order``. All fields one way (every order of the lists): one
    row comparison. Mixed directions: (a > x) OR (a = x AND b < y) …, ANDed with the first
    field's bound alone (a ≥ x), which PostgreSQL can start an index scan from."""
    names = [field.lstrip("-") for field in order]
    descending = {field.startswith("-") for field in order}
    if len(descending) == 1:
        return Q(_RowAfter(names, values, descending=descending.pop()))
    after = Q()
    for i, field in enumerate(order):
        name, op = (field[1:], "lt") if field.startswith("-") else (field, "gt")
        step = Q(**{f"{name}__{op}": values[i]})
        for j in range(i):
            step &= Q(**{names[j]: values[j]})
        after |= step
    first, op = (names[0], "lte") if order[0].startswith("-") else (names[0], "gte")
    return Q(**{f"{first}__{op}": values[0]}) & after


def keyset_page(qs: QuerySet, *, order: tuple[str, ...], cursor: str | None, size: int
                ) -> KeysetPage:
    """One page after (or, for a "previous page" cursor, before) ``cursor`` in ``order`` (last
    field unique; a leading "-" sorts that field descending, e.g. ``("-date", "-id")``). Two
    queries on the first page, three after it, either way (the cursor holds only a row's primary
    key; its sort values are read back by that key). A previous page is the same walk in the
    reversed order, read backwards.

    The cursor is opaque to the user and carries no value of the row but its id, so sorting by a
    person's name or email never puts them in a URL."""
    total = qs.count()
    offset, backwards, walk = 0, False, order
    if cursor:
        key, offset, backwards = _decode(cursor, order)
        values = _after_values(qs, order, key)
        walk = reversed_order(order) if backwards else order
        qs = qs.filter(_after(walk, values))
    rows = list(qs.order_by(*walk)[: size + 1])
    more = len(rows) > size
    items = rows[:size]
    if backwards:
        if not items:  # nothing before the cursor's row: a crafted cursor
            raise KeysetError("no rows before the cursor")
        items.reverse()
        if not more:  # the first page (rows may have gone since the cursor was made)
            offset = 0
        has_previous, has_next = more, True  # the cursor's own row comes after these
    else:
        has_previous, has_next = offset > 0, more
    return KeysetPage(
        items=items, total=total, offset=offset,
        next_cursor=_encode(items[-1].pk, offset + len(items), order) if has_next else None,
        previous_cursor=(_encode(items[0].pk, max(offset - size, 0), order, backwards=True)
                         if has_previous and items else None))


def page_of(request: HttpRequest, qs: QuerySet, *, order: tuple[str, ...],
            size: int = PAGE_SIZE) -> KeysetPage:
    """The page of ``qs`` after the request's ``cursor``; a tampered cursor (or one of a row that
    has gone, or of another ordering) restarts at the first page instead of failing."""
    visibility.check(qs)
    try:
        return keyset_page(qs, order=order, cursor=request.GET.get("cursor") or None, size=size)
    except KeysetError:
        return keyset_page(qs, order=order, cursor=None, size=size)


# --- sortable lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SortOptions:
    """The columns a list may be sorted by, by clicking their header: ``?sort=<key>`` ascending,
    ``?sort=-<key>`` descending. ``columns`` maps a key to its order fields, ascending, the last
    one unique (the keyset needs a total order; each field non-null), e.g.
    ``{"name": ("name", "id")}``; descending reverses every field. ``default`` is the order of
    a list without ``?sort=`` (e.g. "-date"); ``descending_first`` names the columns whose first
    click sorts high to low (amounts, dates). A ``?sort=`` not offered here is ignored — the
    default order, like a tampered cursor, rather than an error page."""

    columns: Mapping[str, tuple[str, ...]]
    default: str
    descending_first: frozenset[str] = frozenset()

    def resolve(self, value: str | None) -> tuple[str, bool]:
        """(column, descending) of a ``?sort=`` value, the default for anything not offered."""
        for candidate in (value or "", self.default):
            key = candidate.removeprefix("-")
            if key in self.columns:
                return key, candidate.startswith("-")
        raise ValueError(f"the default sort {self.default!r} is not a column")

    def order(self, key: str, descending: bool) -> tuple[str, ...]:
        fields = self.columns[key]
        return reversed_order(fields) if descending else fields


@dataclass
class ListSort:
    """A request's sort of a list: what the page is ordered by, and the header links."""

    options: SortOptions
    key: str
    descending: bool
    query: QueryDict  # the page's query string without cursor and sort (filters)

    @property
    def order(self) -> tuple[str, ...]:
        return self.options.order(self.key, self.descending)

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    def state(self, key: str) -> str:
        """aria-sort of a column's header: "ascending", "descending" or "none"."""
        if key != self.key:
            return "none"
        return "descending" if self.descending else "ascending"

    def link(self, key: str) -> str:
        """The query string a click on ``key``'s header asks for: the same filters, that column
        (the other way round when it is the current one), from the first page."""
        if key == self.key:
            descending = not self.descending
        else:
            descending = key in self.options.descending_first
        query = self.query.copy()
        query["sort"] = f"-{key}" if descending else key
        return query.urlencode()


def list_sort(request: HttpRequest, options: SortOptions) -> ListSort:
    key, descending = options.resolve(request.GET.get("sort"))
    query = request.GET.copy()
    for name in ("cursor", "sort"):
        query.pop(name, None)
    return ListSort(options=options, key=key, descending=descending, query=query)


def filtered_page(request: HttpRequest, filterset: Any, *, sort: SortOptions,
                  size: int = PAGE_SIZE) -> dict[str, Any]:
    """A list page's rows: the filterset's queryset (none when a filter is invalid), one keyset page
    of it in the order the request asks for (``sort``), the query string without the cursor (for
    the pager and the export links) and the sort (for the column headers)."""
    qs = filterset.qs if filterset.is_bound else filterset.queryset
    if filterset.is_bound and not filterset.is_valid():
        qs = qs.none()
    sorting = list_sort(request, sort)
    query = request.GET.copy()
    query.pop("cursor", None)
    return {
        "page": page_of(request, qs, order=sorting.order, size=size),
        "sort": sorting,
        "base_query": query.urlencode(),
        "filtered": any(v for k, v in request.GET.items() if k not in ("cursor", "sort")),
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
