from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "ansinh.matching"
    label = "matching"
