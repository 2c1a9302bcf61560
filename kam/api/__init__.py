"""API v1 plumbing, in one package: the tenant viewset base (``base``), JSON errors (``errors``,
also Django's error views under /api/), strict input (``input``: typed bodies and filters, known
parameters, strict ordering), the JSON parser with its depth cap (``parsers``), the schema's error
responses (``schema``), cursor pagination (``pagination``) and the routes apps register
(``routes``). The names apps use are importable from
here; they load on first use (DRF's settings import ``kam.api.pagination`` while DRF itself is
still loading, so this package must not import DRF's views eagerly)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ loads them
    from kam.api import routes as routes
    from kam.api.base import CreateMixin as CreateMixin
    from kam.api.base import DestroyMixin as DestroyMixin
    from kam.api.base import TenantViewSet as TenantViewSet
    from kam.api.base import UpdateMixin as UpdateMixin
    from kam.api.errors import exception_handler as exception_handler
    from kam.api.errors import not_found as not_found
    from kam.api.input import NOT_BLANK_TEXT as NOT_BLANK_TEXT
    from kam.api.input import ApiFilterBackend as ApiFilterBackend
    from kam.api.input import JsonTypedSerializer as JsonTypedSerializer
    from kam.api.input import decimal_pattern as decimal_pattern
    from kam.api.pagination import TenantCursorPagination as TenantCursorPagination
    from kam.api.schema import TenantAutoSchema as TenantAutoSchema

_NAMES = {
    "TenantViewSet": "kam.api.base",
    "CreateMixin": "kam.api.base",
    "UpdateMixin": "kam.api.base",
    "DestroyMixin": "kam.api.base",
    "exception_handler": "kam.api.errors",
    "not_found": "kam.api.errors",
    "NOT_BLANK_TEXT": "kam.api.input",
    "ApiFilterBackend": "kam.api.input",
    "JsonTypedSerializer": "kam.api.input",
    "decimal_pattern": "kam.api.input",
    "TenantCursorPagination": "kam.api.pagination",
    "TenantAutoSchema": "kam.api.schema",
    "routes": "kam.api.routes",
}
__all__ = sorted(_NAMES)


def __getattr__(name: str) -> Any:
    if name not in _NAMES:
        raise AttributeError(f"module 'kam.api' has no attribute {name!r}")
    module = importlib.import_module(_NAMES[name])
    return module if name == "routes" else getattr(module, name)
