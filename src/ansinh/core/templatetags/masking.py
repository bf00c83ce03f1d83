"""{% whole_or_masked value "id" %} (kinds: id, account, phone) and {% history_value change.field
change.old %}: identifiers as the signed-in user may see them (ansinh.core.masking)."""
from __future__ import annotations

from django import template

from ansinh.core import masking

register = template.Library()


def _show(context):
    request = context.get("request")
    cached = getattr(request, "_ansinh_show", None)
    if cached is None:
        cached = masking.for_user(getattr(request, "user", None))
        if request is not None:
            request._ansinh_show = cached
    return cached


@register.simple_tag(takes_context=True)
def whole_or_masked(context, value, kind: str) -> str:
    return _show(context)(value, kind)


@register.simple_tag(takes_context=True)
def text_masked(context, text) -> str:
    """A message with the long numbers in it masked for the roles that see them masked."""
    from ansinh.core.roles import OPERATOR, roles_of

    request = context.get("request")
    user = getattr(request, "user", None)
    return masking.text_masked(text, roles_of(user), operator=user is OPERATOR)


@register.simple_tag(takes_context=True)
def history_value(context, field: str, value) -> str:
    return masking.change_value(field, value, _show(context))


def _roles(context):
    from ansinh.core.roles import OPERATOR, roles_of

    user = getattr(context.get("request"), "user", None)
    return roles_of(user), user is OPERATOR


@register.simple_tag(takes_context=True)
def cell_masked(context, value) -> str:
    """A raw cell of an imported sheet, masked for the roles that see identifiers masked."""
    roles, operator = _roles(context)
    return masking.cell_masked(value, roles, operator=operator)


@register.simple_tag(takes_context=True)
def category_for_role(context, code) -> str:
    """A category code, or masking.PROTECTED for HIV and disability when the user does not handle them."""
    roles, operator = _roles(context)
    return masking.category_shown(code, roles, operator=operator)
