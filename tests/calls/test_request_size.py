"""The one body-size rule (calls/request_size.py) every endpoint with a body applies."""

from django.test import RequestFactory

from calls.request_size import body_too_large

LIMIT = 256 * 1024


def request_with(body: bytes, declared: str | None):
    request = RequestFactory().post("/webhooks/clawops/", data=body,
                                    content_type="application/octet-stream")
    if declared is None:
        del request.META["CONTENT_LENGTH"]
    else:
        request.META["CONTENT_LENGTH"] = declared
    return request


def test_a_body_at_the_limit_is_accepted(settings):
    settings.WEBHOOK_MAX_BODY_BYTES = LIMIT
    assert not body_too_large(request_with(b"x" * LIMIT, str(LIMIT)))


def test_a_body_announced_over_the_limit_is_refused_without_being_read(settings):
    settings.WEBHOOK_MAX_BODY_BYTES = LIMIT
    request = request_with(b"x", str(LIMIT + 1))

    assert body_too_large(request)
    assert not hasattr(request, "_body")  # never read


def test_a_body_over_the_limit_is_refused_when_it_declares_no_length(settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 10
    # No Content-Length (chunked) or too small a one: what arrives counts.
    assert body_too_large(request_with(b"x" * 11, None))
