from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = _("Call log")

    def ready(self) -> None:
        from calls import checks  # noqa: F401  (registers the system checks)
