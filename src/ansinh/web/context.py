from ansinh.core.models import Role
from ansinh.core.roles import roles_of


def shell(request):
    user = getattr(request, "user", None)
    roles = roles_of(user) if user is not None else set()
    labels = dict(Role.choices)
    return {"user_roles": sorted(roles), "user_role_labels": [labels[r] for r in sorted(roles) if r in labels]}
