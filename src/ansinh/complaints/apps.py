from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "ansinh.complaints"
    label = "complaints"
