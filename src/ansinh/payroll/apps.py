from django.apps import AppConfig


class PayrollConfig(AppConfig):
    name = "ansinh.payroll"
    label = "payroll"

    def ready(self) -> None:
        from ansinh.payroll import generate  # noqa: F401 - registers the "payroll.generate" job kind
