"""Public pages (no log-in): feedback about a posted list (the QR code of its PDF) and the status
of a case by its tracking code. Mounted at "public/feedback/" (the login middleware lets /public/ through)."""
from django.urls import path

from ansinh.complaints import views

app_name = "complaints_public"
urlpatterns = [
    path("status/", views.public_status, name="status"),
    path("<str:token>/", views.public_posting, name="posting"),
]
