from ansinh.core.models import Role
from ansinh.core.roles import is_staff_user, roles_of


def shell(request):
    user = getattr(request, "user", None)
    roles = roles_of(user) if user is not None else set()
    labels = dict(Role.choices)
    staff = bool(user is not None and user.is_authenticated and is_staff_user(user))
    menu = []
    if user is not None and user.is_authenticated:
        from ansinh.web.menu import menu_for

        match = getattr(request, "resolver_match", None)
        # The menu shows only the pages ansinh.core.roles.may_open lets this user open (the role
        # middleware refuses the rest with the same rule).
        menu = menu_for(user, match.view_name if match else "")
    # The URL names of the menu's pages this user may open: other templates show a link to one of
    # them only when it is here ({% if "registry:import" in open_views %}).
    open_views = frozenset(link.view for group in menu for link in group.links)
    from django.utils.formats import get_format

    # Charts format their numbers in the browser with the page's separators (60.723, 71,4%).
    separators = {"decimal": get_format("DECIMAL_SEPARATOR"), "thousand": get_format("THOUSAND_SEPARATOR")}
    return {"number_separators": separators, "user_roles": sorted(roles), "user_role_labels": [labels[r] for r in sorted(roles) if r in labels],
            "staff_menu": staff, "menu": menu, "open_views": open_views}
