from django.urls import include, path

from ansinh.api import api
from ansinh.core.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("public/directives/", include("ansinh.outreach.public_urls")),
    path("registry/", include("ansinh.registry.urls")),
    path("matching/", include("ansinh.matching.urls")),
    path("accounts/", include("ansinh.accounts.urls")),
    path("payroll/", include("ansinh.payroll.urls")),
    path("outreach/", include("ansinh.outreach.urls")),
    path("audit/", include("ansinh.audit.urls")),
    path("", include("ansinh.web.urls")),
]
