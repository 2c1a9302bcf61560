from django.apps import AppConfig


class SatisfactionConfig(AppConfig):
    name = "satisfaction"
