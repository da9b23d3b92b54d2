from django.contrib import admin
from django.urls import path

from calls.views import ClawOpsWebhookView, healthz
from integrations import voice_views

admin.site.site_header = "clawsite 통화 관리"
admin.site.site_title = "clawsite"
admin.site.index_title = "관리"

urlpatterns = [
    path("webhooks/clawops/", ClawOpsWebhookView.as_view(), name="clawops-webhook"),
    path("voice/reminders/<int:appointment_id>/<int:cycle>/", voice_views.reminder_script,
         name="voice-reminder"),
    path("voice/reminders/<int:appointment_id>/<int:cycle>/gather/",
         voice_views.reminder_answer, name="voice-reminder-gather"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
