from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "ansinh.interop"
    label = "interop"
