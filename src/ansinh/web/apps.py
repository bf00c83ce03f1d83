from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ansinh.web"
    label = "web"

    def ready(self):
        from ansinh.web import auth  # noqa: F401 - connects the log-in log's signal receivers
