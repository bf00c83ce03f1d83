from django.apps import AppConfig


class PayrollConfig(AppConfig):
    name = "ansinh.payroll"
    label = "payroll"
