"""The API's addresses, its OpenAPI document and its browsable docs (included under /api/)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularSwaggerView

from integrations.api import schema, views

urlpatterns = [
    path("v1/appointments/", views.AppointmentList.as_view(), name="api-appointments"),
    path("v1/appointments/<str:external_id>/", views.AppointmentDetail.as_view(),
         name="api-appointment"),
    path("v1/calls/", views.CallList.as_view(), name="api-calls"),
    path("v1/calls/<str:call_id>/", views.CallDetail.as_view(), name="api-call"),
    path("schema/", schema.SchemaView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
