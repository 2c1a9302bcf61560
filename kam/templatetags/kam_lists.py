"""The column header of a sortable list (``kam.lists.SortOptions``)::

    {% load kam_lists %}
    {% sort_header "name" _("Name") %}
    {% sort_header "amount" _("Amount") "kam-num" %}

A link that sorts the list by that column (the other way round when it is the current one), the
page's filters kept, from the first page; the current column carries ``aria-sort`` and an arrow.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

register = template.Library()

ARROWS = {"ascending": "▲", "descending": "▼"}


@register.simple_tag(takes_context=True)
def sort_header(context: dict[str, Any], key: str, label: str, css_class: str = "") -> str:
    sort = context["sort"]
    state = sort.state(key)
    classes = " ".join(c for c in ("kam-sortable", css_class) if c)
    if state == "none":
        return format_html('<th scope="col" class="{}"><a href="?{}">{}</a></th>',
                           classes, sort.link(key), label)
    return format_html('<th scope="col" class="{}" aria-sort="{}"><a href="?{}">{} '
                       '<span aria-hidden="true">{}</span></a></th>',
                       classes, state, sort.link(key), label, ARROWS[state])
