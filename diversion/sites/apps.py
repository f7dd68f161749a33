from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "diversion.sites"
    label = "sites"
    verbose_name = "Sites (programs)"
