from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "diversion.reports"
    label = "reports"
