from django.apps import AppConfig


class TextsConfig(AppConfig):
    name = "diversion.texts"
    label = "texts"
    verbose_name = "Texts to participants"
