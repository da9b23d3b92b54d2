from django.contrib import admin
from django.urls import path

from calls.views import ClawOpsWebhookView, healthz

admin.site.site_header = "clawsite 통화 관리"
admin.site.site_title = "clawsite"
admin.site.index_title = "관리"

urlpatterns = [
    path("webhooks/clawops/", ClawOpsWebhookView.as_view(), name="clawops-webhook"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
