from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "ansinh.reports"
    label = "reports"

    def ready(self) -> None:
        from ansinh.reports import jobs  # noqa: F401 - registers the job kind
