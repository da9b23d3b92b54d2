"""The endpoints ClawOps and the shop call: webhooks and VoiceML.

Their callers send no cookies, no CSRF token and no language preference, and read only the
status and the body. clawsite/machine_routes.py answers these URLs without the admin's
middleware; clawsite/urls.py serves them too, so that ``reverse()`` knows their names. The
probes (``/healthz``, ``/metrics``) have their own middleware, clawsite/probes.py.
"""

from django.urls import path

from calls.views import clawops_webhook
from integrations.callbacks import views as callback_views
from integrations.clinics import views as reminder_views
from integrations.orders.views import OrderWebhookView

urlpatterns = [
    path("webhooks/clawops/", clawops_webhook, name="clawops-webhook"),
    path("webhooks/orders/", OrderWebhookView.as_view(), name="order-webhook"),
    path("voice/reminders/<int:appointment_id>/<int:cycle>/", reminder_views.reminder_script,
         name="voice-reminder"),
    path("voice/reminders/<int:appointment_id>/<int:cycle>/gather/",
         reminder_views.reminder_answer, name="voice-reminder-gather"),
    path("voice/callbacks/<int:pk>/", callback_views.callback_script, name="voice-callback"),
    path("voice/callbacks/<int:pk>/done/", callback_views.callback_done,
         name="voice-callback-done"),
]
