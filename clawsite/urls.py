from django.contrib import admin
from django.urls import include, path

from calls.views import ClawOpsWebhookView
from clawsite import health, metrics
from clawsite.staff_login import StaffLoginForm, two_factor_setup
from integrations.callbacks import views as callback_views
from integrations.clinics import views as reminder_views
from integrations.orders.views import OrderWebhookView

admin.site.login_form = StaffLoginForm

urlpatterns = [
    path("webhooks/clawops/", ClawOpsWebhookView.as_view(), name="clawops-webhook"),
    path("webhooks/orders/", OrderWebhookView.as_view(), name="order-webhook"),
    path("voice/reminders/<int:appointment_id>/<int:cycle>/", reminder_views.reminder_script,
         name="voice-reminder"),
    path("voice/reminders/<int:appointment_id>/<int:cycle>/gather/",
         reminder_views.reminder_answer, name="voice-reminder-gather"),
    path("voice/callbacks/<int:pk>/", callback_views.callback_script, name="voice-callback"),
    path("voice/callbacks/<int:pk>/done/", callback_views.callback_done,
         name="voice-callback-done"),
    path("api/", include("integrations.api.urls")),
    # Served first by clawsite.probes (any Host); named here so they can be reversed.
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("admin/two-factor/", two_factor_setup, name="two-factor-setup"),
    path("admin/", admin.site.urls),
]
