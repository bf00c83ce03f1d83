from ansinh.core.models import Role
from ansinh.core.roles import is_staff_user, roles_of


def shell(request):
    user = getattr(request, "user", None)
    roles = roles_of(user) if user is not None else set()
    labels = dict(Role.choices)
    # An outreach unit's menu shows only what it may open (the role middleware refuses the rest).
    staff = bool(user is not None and user.is_authenticated and is_staff_user(user))
    return {"user_roles": sorted(roles), "user_role_labels": [labels[r] for r in sorted(roles) if r in labels],
            "staff_menu": staff}
