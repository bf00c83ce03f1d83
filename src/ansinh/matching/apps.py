from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "ansinh.matching"
    label = "matching"

    def ready(self) -> None:
        from ansinh.matching import services  # noqa: F401 - registers its job kinds (for the worker process)
