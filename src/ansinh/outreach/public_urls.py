"""Public pages (no log-in): the published directives ("Văn bản chỉ đạo điều hành").

Mounted by the project urls at "public/directives/" (the login middleware lets /public/ through):
    path("public/directives/", include("ansinh.outreach.public_urls")),
"""
from django.urls import path

from ansinh.outreach import views

app_name = "outreach_public"
urlpatterns = [
    path("", views.public_list, name="list"),
    path("<int:pk>/", views.public_detail, name="detail"),
    path("<int:pk>/file.<str:fmt>", views.public_file, name="file"),
    path("attachments/<int:pk>/", views.public_attachment, name="attachment"),
]
