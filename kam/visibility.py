"""Row visibility beyond the tenant: which of its rows an actor may see, marked on the queryset.

Some tenant rows are visible per actor, not per tenant (an account manager sees the accounts they
own or are on the team of, and every row that hangs off those accounts). The app that knows the
rule builds the queryset and marks it (``mark``); the shared seams — ``kam.api.TenantViewSet``,
whose ``get_queryset`` every API read and write goes through, and the page helpers of
``kam.lists`` — refuse (``check``) a queryset of a model that needs a rule but carries no mark, so
an endpoint or page that forgot the rule fails loudly instead of showing a colleague's accounts.

``kam`` imports no app: apps say which models need a rule with ``require(predicate)`` and register
the selector that applies it per model with ``register_selector(model, selector)``; tests walk
the registry (tests/accounts/test_visibility.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import QuerySet

Q_ = TypeVar("Q_", bound=QuerySet)
_ATTR = "kam_visibility"
_PREDICATES: list[Callable[[type[models.Model]], bool]] = []
_SELECTORS: dict[type[models.Model], Callable[..., QuerySet]] = {}


class UnscopedQuerysetError(ImproperlyConfigured):
    """A page or endpoint lists rows that need a visibility rule without applying it."""


def mark(qs: Q_, rule: str) -> Q_:
    """Record on the queryset that ``rule`` was applied. The mark lives on the query, which
    Django copies on every clone, so it survives filter(), select_related(), values() …"""
    setattr(qs.query, _ATTR, rule)
    return qs


def rule_of(qs: QuerySet) -> str | None:
    return getattr(qs.query, _ATTR, None)


def require(predicate: Callable[[type[models.Model]], bool]) -> None:
    """Models for which ``predicate`` is true need a visibility rule (idempotent)."""
    if predicate not in _PREDICATES:
        _PREDICATES.append(predicate)


def needs_rule(model: type[models.Model]) -> bool:
    return any(predicate(model) for predicate in _PREDICATES)


def check(qs: Q_) -> Q_:
    """``qs`` itself, if its model needs no rule or the rule was applied; else an error."""
    if rule_of(qs) is None and needs_rule(qs.model):
        raise UnscopedQuerysetError(
            f"{qs.model.__name__} rows are visible per actor: build the queryset with the "
            "app's visibility selector (accounts.account.selectors.visible_via_account)")
    return qs


def register_selector(model: type[models.Model], selector: Callable[..., QuerySet]) -> None:
    """``selector(actor=…)`` returns the model's rows the actor may see (marked)."""
    _SELECTORS[model] = selector


def selectors() -> dict[type[models.Model], Callable[..., Any]]:
    return dict(_SELECTORS)
