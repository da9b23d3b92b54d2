from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with clawsite's site (dashboard.site.StaffAdminSite) as admin.site:
    the start page at /admin/ and plain titles on every page."""

    default = False  # named in INSTALLED_APPS; "dashboard" alone is DashboardConfig
    default_site = "dashboard.site.StaffAdminSite"
    verbose_name = _("Administration")


class DashboardConfig(AppConfig):
    """The start page's own templates and static files."""

    default = True
    name = "dashboard"
    verbose_name = _("Start page")
