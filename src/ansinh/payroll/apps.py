from django.apps import AppConfig


class PayrollConfig(AppConfig):
    name = "ansinh.payroll"
    label = "payroll"

    def ready(self) -> None:
        from ansinh.payroll import campaigns, generate  # noqa: F401 - register the "payroll.generate" and
        # "payroll.campaign_generate" job kinds
