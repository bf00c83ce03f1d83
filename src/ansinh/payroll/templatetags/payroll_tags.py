"""Words for codes on the payroll pages: categories and users (the mappings live in
ansinh.payroll.selectors and ansinh.core.selectors)."""
from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def category_label(code) -> str:
    from ansinh.payroll.selectors import category_label as label

    return label(code)


@register.filter
def user_name(user) -> str:
    from ansinh.core.selectors import display_name

    return display_name(user)
