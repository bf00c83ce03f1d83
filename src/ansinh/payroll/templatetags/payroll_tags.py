"""Words for codes on the payroll pages: categories (the mapping lives in ansinh.payroll.selectors;
users by name: web_tags.person_name)."""
from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def category_label(code) -> str:
    from ansinh.payroll.selectors import category_label as label

    return label(code)


@register.filter
def reason_label(code) -> str:
    from ansinh.payroll.reasons import reason_label as label

    return label(code)
