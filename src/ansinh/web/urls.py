from django.contrib.auth import views as auth_views
from django.urls import include, path

from ansinh.web import twofactor, views

units_patterns = ([
    path("", views.units_browse, name="browse"),
    path("<int:pk>/", views.unit_detail, name="detail"),
], "units")

jobs_patterns = ([
    path("", views.jobs_list, name="list"),
    path("<uuid:pk>/", views.job_detail, name="detail"),
], "jobs")

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("totp/", twofactor.totp, name="totp"),
    path("totp/recovery/", twofactor.recovery, name="totp_recovery"),
    path("units/", include(units_patterns)),
    path("jobs/", include(jobs_patterns)),
]
