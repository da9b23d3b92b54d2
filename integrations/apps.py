from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Follow-up work")

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from integrations import checks  # noqa: F401  (registers the system checks)
        from integrations.jobs import readiness

        # A django-q worker process gets ready for jobs as it starts (readiness.py).
        post_spawn.connect(readiness.prepare_worker, dispatch_uid="integrations.readiness")

        # Each workflow keeps its admin screens beside it; importing them registers them.
        # (The app has no admin.py for autodiscovery to find: this is the one list.)
        from integrations.api import admin as api_admin  # noqa: F401
        from integrations.audit import admin as audit_admin  # noqa: F401
        from integrations.callbacks import admin as callbacks_admin  # noqa: F401
        from integrations.clinics import admin as clinics_admin  # noqa: F401
        from integrations.clinics import admin_replies  # noqa: F401
        from integrations.jobs import admin as jobs_admin  # noqa: F401
        from integrations.orders import admin as orders_admin  # noqa: F401
        from integrations.reconciliation import admin as reconciliation_admin  # noqa: F401
