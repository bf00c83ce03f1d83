"""The project's URLs plus the public outreach pages at /public/directives/ (until the lead mounts them)."""
from django.urls import include, path

from ansinh.urls import urlpatterns as _base

_mounted = any(str(getattr(p, "pattern", "")) == "public/directives/" for p in _base)
urlpatterns = list(_base) if _mounted else [path("public/directives/", include("ansinh.outreach.public_urls")),
                                            *_base]
