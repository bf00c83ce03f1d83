from django.urls import include, path

from ansinh.api import api
from ansinh.core.health import healthz
from ansinh.interop.api import api as g2p_api

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/g2p/", g2p_api.urls),  # the machine API (ansinh.interop), before the session API
    path("api/", api.urls),
    path("public/directives/", include("ansinh.outreach.public_urls")),
    path("public/feedback/", include("ansinh.complaints.public_urls")),
    path("registry/", include("ansinh.registry.urls")),
    path("matching/", include("ansinh.matching.urls")),
    path("accounts/", include("ansinh.accounts.urls")),
    path("payroll/", include("ansinh.payroll.urls")),
    path("outreach/", include("ansinh.outreach.urls")),
    path("reports/", include("ansinh.reports.urls")),
    path("complaints/", include("ansinh.complaints.urls")),
    path("audit/", include("ansinh.audit.urls")),
    path("interop/", include("ansinh.interop.urls")),
    path("", include("ansinh.web.urls")),
]
