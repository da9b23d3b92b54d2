from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = "통화 기록"

    def ready(self) -> None:
        from calls import checks  # noqa: F401  (registers the system checks)
