from django.urls import path

from ansinh.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.log, name="log"),
    path("persons/<int:pk>/", views.person, name="person"),
    path("persons/<int:pk>/data/", views.subject_export, name="subject_export"),
]
