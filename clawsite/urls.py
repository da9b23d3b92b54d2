from django.contrib import admin
from django.urls import path

from clawsite.machine_urls import urlpatterns as machine_urlpatterns

admin.site.site_header = "clawsite 통화 관리"
admin.site.site_title = "clawsite"
admin.site.index_title = "관리"

urlpatterns = [
    *machine_urlpatterns,
    path("admin/", admin.site.urls),
]
