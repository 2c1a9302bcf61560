from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from kam.middleware import KamRequest


def tenant_page(perm: str | None = None) -> Callable:
    """A page for a logged-in member of a tenant, optionally with a permission from kam.roles."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @functools.wraps(view)
        def wrapper(request: KamRequest, *args, **kwargs) -> HttpResponse:
            if request.actor is None:
                return render(request, "no_tenant.html", status=403)
            if perm is not None and not request.actor.can(perm):
                raise PermissionDenied(_("Your role does not allow this."))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
