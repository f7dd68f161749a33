from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "diversion.resources"
    label = "resources"
