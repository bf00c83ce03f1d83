from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "ansinh.outreach"
    label = "outreach"
