from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "연동 작업"

    def ready(self) -> None:
        from integrations import checks  # noqa: F401  (registers the system checks)
