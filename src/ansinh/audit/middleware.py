"""Names the screen of every audit entry a request writes: the view's URL name (or the API path)."""
from __future__ import annotations

from ansinh.audit.services import reset_source, set_source


class AuditSourceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_source(f"web {request.method} {request.path_info}"[:120])
        try:
            return self.get_response(request)
        finally:
            reset_source(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and match.view_name and not request.path_info.startswith("/api/"):
            set_source(f"web {match.view_name}")
