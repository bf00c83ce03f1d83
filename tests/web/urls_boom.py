"""A URL configuration with a view that fails, for the 500 page test."""
from django.urls import include, path


def boom(request):
    raise RuntimeError("no person with ID number 079123456789 at " + request.get_full_path())


urlpatterns = [
    path("boom/", boom),
    path("", include("ansinh.urls")),
]
