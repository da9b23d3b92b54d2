"""How a stored delivery's body is shown to staff: a bounded preview that any bytes survive
(invalid UTF-8, NUL, lone surrogates, JSON nested thousands deep, 256 KiB of text), and
the raw bytes as a download for what the preview leaves out."""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from calls.bounds import MAX_JSON_DEPTH, json_depth, visible
from calls.decoding import form_fields
from calls.models import WebhookDelivery

# What a page shows of a body at most; the rest is in the download.
PREVIEW_CHARACTERS = 16_000


def bounded(text: str) -> str:
    text = visible(text)
    if len(text) <= PREVIEW_CHARACTERS:
        return text
    return text[:PREVIEW_CHARACTERS] + "\n…"


def fields_text(body: bytes, *, is_form: bool) -> str:
    """The body read as fields, or "-" when it cannot be (the raw body is shown anyway)."""
    if is_form:
        return bounded("\n".join(f"{name} = {value}" for name, value in form_fields(body).items()))
    if json_depth(body) > MAX_JSON_DEPTH:
        return "-"
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or a number too long
        return "-"
    return bounded(json.dumps(data, ensure_ascii=False, indent=2))


def body_preview(delivery: WebhookDelivery) -> SafeString:
    raw = bytes(delivery.body)
    preview = format_html('<pre class="cs-pre">{}</pre>',
                          bounded(raw.decode("utf-8", errors="replace")))
    url = reverse("admin:calls_webhookdelivery_body", args=[delivery.pk])
    label = _("Download the raw body (%(size)s bytes)") % {"size": f"{len(raw):,}"}
    return format_html('{}<p><a href="{}">{}</a></p>', preview, url, label)


def body_download(delivery: WebhookDelivery) -> HttpResponse:
    response = HttpResponse(bytes(delivery.body), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="delivery-{delivery.pk}.body"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
