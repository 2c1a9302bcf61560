"""The API's routes: every app registers its own viewsets here, kam/urls.py mounts them.

``kam`` imports no app: an app's ``api`` module calls ``register(prefix, viewset, basename)``
when it is imported, and ``urlpatterns()`` imports the ``api`` module of every installed app
(``autodiscover_modules``) before it builds the router. URL names live in the ``api`` namespace:
``reverse("api:account-list")``.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver
from django.utils.module_loading import autodiscover_modules
from rest_framework.routers import DefaultRouter

_ROUTES: list[tuple[str, type, str]] = []


def register(prefix: str, viewset: type, *, basename: str) -> None:
    """Route ``viewset`` under ``/api/v1/<prefix>/`` (idempotent: a module imported twice
    registers once; the same prefix or basename for another viewset is an error)."""
    for known_prefix, known, known_basename in _ROUTES:
        if (known_prefix, known, known_basename) == (prefix, viewset, basename):
            return
        if known_prefix == prefix or known_basename == basename:
            raise ValueError(f"API route {prefix!r} / {basename!r} is registered twice")
    _ROUTES.append((prefix, viewset, basename))


def registered() -> list[tuple[str, type, str]]:
    return list(_ROUTES)


def urlpatterns() -> list[URLPattern | URLResolver]:
    """The router's URL patterns for every registered viewset (in registration order)."""
    autodiscover_modules("api")
    router: Any = DefaultRouter()
    for prefix, viewset, basename in _ROUTES:
        router.register(prefix, viewset, basename=basename)
    return list(router.urls)
