from django.urls import path

from ansinh.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("file.<str:fmt>", views.report_file, name="file"),
    path("kept/<int:pk>/", views.kept_file, name="kept"),
]
