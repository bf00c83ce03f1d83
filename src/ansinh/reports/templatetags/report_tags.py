"""A report cell as the page shows it: counts and amounts grouped (intcomma, the `vi` format),
shares with one decimal; the column's label translated."""
from __future__ import annotations

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag
def report_cell(row: dict, column) -> str:
    v = row.get(column.key, "") if row else ""
    if v is None or v == "":
        return ""
    if column.kind == "pct" and isinstance(v, int | float):
        return floatformat(v, 1)
    if column.kind in ("int", "amount") and isinstance(v, int | float):
        return intcomma(int(v))
    return gettext(v) if isinstance(v, str) and v else str(v)


@register.filter
def words(text: str) -> str:
    """A label kept as its Vietnamese msgid (gettext_noop), translated for the page."""
    return gettext(text) if text else ""
