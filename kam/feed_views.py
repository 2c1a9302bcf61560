"""The member's calendar feed: its settings page (create a link, choose the optional sources, a
new link, turn it off — each asking first where it breaks a calendar's subscription) and the feed
itself, read by calendars with no session: the link is the credential."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam import clock, feed
from kam.decorators import tenant_page
from kam.feed_models import CalendarFeed
from kam.middleware import KamRequest
from kam.tenancy import tenant_context


class FeedOptionsForm(forms.Form):
    optional = forms.MultipleChoiceField(
        label=gettext_lazy("Also in the feed"), required=False,
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["optional"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(s.key, s.label) for s in feed.optional_sources()]


def _page(request: KamRequest, *, form: FeedOptionsForm | None = None, link: str = "",
          status: int = 200) -> HttpResponse:
    current = CalendarFeed.objects.filter(membership=request.membership).first()
    if form is None:
        form = FeedOptionsForm(initial={"optional": current.optional if current else []})
    return render(request, "kam/calendar_feed.html", {
        "feed": current, "form": form, "link": link,
        "sources": [s for s in feed.feed_sources() if not s.optional],
        "has_optional": bool(feed.optional_sources()),
    }, status=status)


@require_GET
@tenant_page()
def feed_settings(request: KamRequest) -> HttpResponse:
    return _page(request)


@require_http_methods(["GET", "POST"])
@tenant_page()
def feed_link(request: KamRequest) -> HttpResponse:
    """A new link (the first, or one replacing the old: asked first, its calendars stop
    updating). The link is shown once, on the page this POST answers."""
    assert request.membership is not None  # tenant_page
    existing = CalendarFeed.objects.filter(membership=request.membership).exists()
    if request.method == "GET":
        if not existing:
            return redirect("kam:feed-settings")
        return render(request, "kam/calendar_feed_confirm.html", {"action": "new"})
    form = FeedOptionsForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    _feed, raw = feed.feed_link_create(membership=request.membership,
                                       optional=form.cleaned_data["optional"])
    return _page(request, link=request.build_absolute_uri(reverse("kam:feed", args=[raw])))


@require_POST
@tenant_page()
def feed_options(request: KamRequest) -> HttpResponse:
    assert request.membership is not None
    form = FeedOptionsForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    if feed.feed_options_save(membership=request.membership,
                              optional=form.cleaned_data["optional"]) is None:
        raise Http404  # no feed to change
    messages.success(request, _("Saved. Calendars show the change at their next update."))
    return redirect("kam:feed-settings")


@require_http_methods(["GET", "POST"])
@tenant_page()
def feed_off(request: KamRequest) -> HttpResponse:
    assert request.membership is not None
    if not CalendarFeed.objects.filter(membership=request.membership).exists():
        return redirect("kam:feed-settings")
    if request.method == "GET":
        return render(request, "kam/calendar_feed_confirm.html", {"action": "off"})
    feed.feed_link_delete(membership=request.membership)
    messages.success(request, _("Your calendar feed is off: its link no longer works."))
    return redirect("kam:feed-settings")


@require_GET
@never_cache
def feed_file(request: HttpRequest, token: str) -> HttpResponse:
    """The feed (text/calendar) for the link's member, read as that member today; a 404 for an
    unknown or replaced link, an inactive member or company."""
    found = feed.feed_authenticate(raw=token)
    if found is None:
        raise Http404
    tenant = found.tenant
    with tenant_context(tenant), translation.override(tenant.default_language):
        clock.activate(tenant)
        name = _("KAM · %(company)s") % {"company": tenant.name}
        body = feed.feed_calendar(feed=found, name=name)
        feed.feed_touch(feed=found)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="kam.ics"'
    return response
