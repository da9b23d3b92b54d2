from django.contrib import admin
from django.urls import include, path

from clawsite import health, metrics
from clawsite.machine_urls import urlpatterns as machine_urlpatterns

urlpatterns = [
    *machine_urlpatterns,
    path("api/", include("integrations.api.urls")),
    # Served first by clawsite.probes (any Host); named here so they can be reversed.
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
]
