from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "diversion.platform"
    label = "platform"
    verbose_name = "Platform (jobs, retention, servers, demo)"

    def ready(self):
        from diversion.platform import checks  # noqa: F401  (registers the start-up checks)
