from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "ansinh.registry"
    label = "registry"
    verbose_name = "Danh sách đối tượng"

    def ready(self) -> None:
        from ansinh.registry import jobs  # noqa: F401 - registers its job kinds (for the worker process)
