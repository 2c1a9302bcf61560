"""The two ContextVars behind tenancy, in a module without models (the DB backend imports it).

``kam.tenancy`` is the API; read it there."""

from __future__ import annotations

import contextvars
from typing import Any

# Holds a kam.models.Tenant (typed Any here: importing models would be circular).
current_tenant: contextvars.ContextVar[Any] = contextvars.ContextVar("kam_current_tenant",
                                                                     default=None)
# Set only by kam.tenancy.system_read(): the reason for a cross-tenant read.
system_read: contextvars.ContextVar[str | None] = contextvars.ContextVar("kam_system_read",
                                                                        default=None)
