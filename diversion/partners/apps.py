from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "diversion.partners"
    label = "partners"
