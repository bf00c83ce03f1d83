from django.apps import AppConfig


class UnitsConfig(AppConfig):
    name = "ansinh.units"
    label = "units"
    verbose_name = "Đơn vị hành chính"
