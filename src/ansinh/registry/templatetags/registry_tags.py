"""Template filters of the registry pages."""
from __future__ import annotations

import re

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()

_CODE = re.compile(r"\b\d{5,}\b")


@register.filter(needs_autoescape=True)
def mark_codes(text, autoescape=True):
    """A stored message with the identifiers it quotes (ID, CMND, phone, account numbers: runs of
    five or more digits) marked ``data-code``: shown as written, never read as an amount."""
    esc = conditional_escape if autoescape else (lambda s: s)
    out, last = [], 0
    text = str(text or "")
    for m in _CODE.finditer(text):
        out.append(esc(text[last:m.start()]))
        out.append(f'<span data-code>{m.group(0)}</span>')
        last = m.end()
    out.append(esc(text[last:]))
    return mark_safe("".join(str(x) for x in out))
