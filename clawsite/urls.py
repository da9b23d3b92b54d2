from django.contrib import admin
from django.urls import include, path

from clawsite import health, metrics
from clawsite.machine_urls import urlpatterns as machine_urlpatterns
from clawsite.staff_login import StaffLoginForm, two_factor_setup

admin.site.login_form = StaffLoginForm

urlpatterns = [
    *machine_urlpatterns,
    path("api/", include("integrations.api.urls")),
    # Served first by clawsite.probes (any Host); named here so they can be reversed.
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("admin/two-factor/", two_factor_setup, name="two-factor-setup"),
    path("admin/", admin.site.urls),
]
