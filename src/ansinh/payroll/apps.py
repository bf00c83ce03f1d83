from django.apps import AppConfig


class PayrollConfig(AppConfig):
    name = "ansinh.payroll"
    label = "payroll"

    def ready(self) -> None:
        from ansinh.payroll import campaigns, followup, generate  # noqa: F401 - register the "payroll.generate"
        # and "payroll.campaign_generate" job kinds, and the campaign and follow-up line fillers (generate.FILLERS)
