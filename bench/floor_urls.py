"""The floor app's views (bench/floor_settings.py): a signed body stored with one INSERT."""

from __future__ import annotations

from urllib.parse import parse_qsl

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from calls.signatures import verify_x_signature

# Created by bench/intake.py next to the app's tables.
TABLE = "bench_floor_delivery"
CREATE_TABLE = (f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, "
                "received_at timestamptz NOT NULL, body bytea NOT NULL)")


@csrf_exempt
def floor(request: HttpRequest) -> HttpResponse:
    body = request.body
    fields = dict(parse_qsl(body.decode(), keep_blank_values=True))
    url = settings.SIGNED_BASE_URL + request.get_full_path()
    signature = request.META.get("HTTP_X_SIGNATURE", "")
    if not verify_x_signature(url, fields, signature, [settings.SIGNING_KEY]):
        return JsonResponse({"error": "signature does not match"}, status=401)
    with connection.cursor() as cursor:  # autocommit: committed when execute returns
        cursor.execute(f"INSERT INTO {TABLE} (received_at, body) VALUES (%s, %s) RETURNING id",
                       [timezone.now(), body])
        stored = cursor.fetchone()[0]
    return JsonResponse({"stored": stored})


def ready(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    path("webhooks/clawops/", floor),  # the intake's path: the signatures cover it
    path("bench/ready/", ready),
]
