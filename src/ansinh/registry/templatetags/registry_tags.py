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


@register.filter
def change_subject(change):
    """A history row's model and field in words (registry/history_words.py)."""
    from ansinh.registry.history_words import change_subject as words

    return words(getattr(change, "model", "") or "", getattr(change, "field", "") or "")


@register.filter
def source_words(source):
    """Where a change came from, in words (registry/history_words.py)."""
    from ansinh.registry.history_words import source_words as words

    return words(str(source or ""))


@register.filter
def object_words(text):
    """An audit entry's object: model labels ("registry.enrolment, registry.person") in words,
    anything else (a file name, a user) as written."""
    from ansinh.registry.history_words import MODEL_WORDS, change_subject

    text = str(text or "")
    parts = [t.strip().partition(" ") for t in text.split(",")]  # "registry.person 5": a model and its id
    if not all(label in MODEL_WORDS for label, _sp, _pk in parts):
        return text
    return ", ".join(f"{change_subject(label)} #{pk}" if pk else change_subject(label) for label, _sp, pk in parts)


@register.filter
def category_words(code):
    """A category code in words ("5.5c" → its Decree 20 label); an unknown code as written."""
    from django.utils.translation import gettext as _

    from ansinh.registry.categories import CATEGORY_LABELS

    code = str(code or "").strip()
    return _(CATEGORY_LABELS[code]) if code in CATEGORY_LABELS else code


@register.filter
def value_words(value):
    """A status value of a history row in words (registry/history_words.py); a month or a day stored
    ISO ("2026-11", "2026-11-05") as the pages write them (11/2026, 05/11/2026). Pages only: the data
    subject's export keeps ISO (files). A unit stored with its code reads as its name."""
    from ansinh.registry.history_words import value_words as words
    from ansinh.registry.models import month_display

    text = str(value if value is not None else "")
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return month_display(text)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return f"{text[8:]}/{text[5:7]}/{text[:4]}"
    # a unit as the writers store it ("05977 Phường Đông Kinh", the code kept for the record): its name
    m = _UNIT.fullmatch(text)
    if m:
        return m.group(1)
    return words(text)


_UNIT = re.compile(r"\d{2,5} ((?:Xã|Phường|Thị trấn|Đặc khu|Thị xã|Thành phố|Huyện|Quận|Tỉnh) .+)")
