"""The one door to the ClawOps REST API: the SDK client built from settings, with its
errors mapped to OutboundError (contract §7.2). Nothing else imports the SDK's client.

The SDK retries POSTs by default and waits up to 600 s (contract §7.1): a timed-out
``calls.create`` could then place a second call. Here every client has ``max_retries=0``
and a short timeout; the ledger decides about retries, and a create whose answer never
came is reported as *unknown*, never resent blindly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from clawops import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    ClawOps,
    ClawOpsError,
    RateLimitError,
)
from clawops.pagination import SyncPage
from clawops.types import Call, Message, PhoneNumber, SummaryStatus, TranscriptStatus
from clawops.types.webhook_log import WebhookLog
from django.conf import settings

from calls.bounds import CALL_ID_SHAPE
from integrations.outbound.http import OutboundError, parse_retry_after

# Codes that no retry can fix, whatever the HTTP status says (contract §7.2).
PERMANENT_CODES = {"recipient_blocked", "invalid_phone", "INVALID_PHONE_NUMBER",
                   "UNSUPPORTED_COUNTRY", "from_not_registered", "body_too_long"}


def client() -> ClawOps:
    return ClawOps(
        api_key=settings.CLAWOPS_API_KEY,
        account_id=settings.CLAWOPS_ACCOUNT_ID,
        base_url=settings.CLAWOPS_BASE_URL,
        timeout=httpx.Timeout(settings.OUTBOUND_TIMEOUT_SECONDS, connect=5),
        max_retries=0,
    )


def url_safe_call_id(call_id: str) -> str:
    """The SDK puts a call id in the URL path as it is: anything but the documented shape
    (a slash, dots, "%", "?") could reach another endpoint."""
    if not CALL_ID_SHAPE.fullmatch(call_id):
        raise OutboundError(f"ClawOps: {call_id[:70]!r} is not a ClawOps call id", permanent=True)
    return call_id


def get_transcript(call_id: str) -> TranscriptStatus:
    call_id = url_safe_call_id(call_id)
    with _mapped_errors(creates=False):
        return client().calls.get_transcript(call_id)


def get_summary(call_id: str) -> SummaryStatus:
    call_id = url_safe_call_id(call_id)
    with _mapped_errors(creates=False):
        return client().calls.get_summary(call_id)


def create_call(**params: object) -> Call:
    """``calls.create`` once: a timeout is reported as unknown, never retried here."""
    with _mapped_errors(creates=True):
        return client().calls.create(**params)


def send_message(**params: object) -> Message:
    """``messages.create`` once: a timeout is reported as unknown, never retried here."""
    with _mapped_errors(creates=True):
        return client().messages.create(**params)


def list_numbers() -> list[PhoneNumber]:
    """Every number of the account with its routing and status callback (one page)."""
    with _mapped_errors(creates=False):
        return client().numbers.list()


def update_number(number: str, **params: object) -> PhoneNumber:
    """``numbers.update``: a partial PUT that only sends the fields given, so it is safe
    to repeat (a settings change, not a creation)."""
    with _mapped_errors(creates=False):
        return client().numbers.update(number, **params)


def list_calls(page: int, page_size: int = 100) -> SyncPage[Call]:
    """One page of the account's calls, newest first (0-based pages, at most 100 each)."""
    with _mapped_errors(creates=False):
        return client().calls.list(page=page, page_size=page_size)


def list_messages(page: int, page_size: int = 100) -> SyncPage[Message]:
    """One page of the account's messages, newest first."""
    with _mapped_errors(creates=False):
        return client().messages.list(page=page, page_size=page_size)


def list_webhook_logs(webhook_id: str, page: int, page_size: int = 100) -> SyncPage[WebhookLog]:
    """One page of an account webhook's delivery log."""
    with _mapped_errors(creates=False):
        return client().webhook_logs.list(webhook_id, page=page, page_size=page_size)


@contextmanager
def _mapped_errors(*, creates: bool) -> Iterator[None]:
    try:
        yield
    except APITimeoutError:
        # For a create, the call or message may exist although the answer never came.
        raise OutboundError("ClawOps API: no answer within the timeout",
                            permanent=False, unknown=creates) from None
    except APIConnectionError as exc:
        raise OutboundError(f"ClawOps API: could not connect ({exc.message})",
                            permanent=False) from None
    except RateLimitError as exc:
        raise OutboundError(_describe(exc), permanent=False,
                            retry_after=parse_retry_after(exc.response.headers.get("Retry-After"))
                            ) from None
    except APIStatusError as exc:
        transient = (exc.status_code >= 500 or exc.status_code == 408) and (
            exc.code not in PERMANENT_CODES)
        # A create that failed behind ClawOps' gateway (500, 502, 504) may have been
        # carried out; 503 says it was not (the service refused it).
        unknown = creates and transient and exc.status_code not in (408, 503)
        raise OutboundError(_describe(exc), permanent=not transient, unknown=unknown) from None
    except APIResponseValidationError as exc:
        # ClawOps answered 2xx with something the SDK could not read: for a create, the
        # call or message exists.
        raise OutboundError(f"ClawOps API: unreadable answer: {exc}", permanent=True,
                            unknown=creates) from None
    except ClawOpsError as exc:
        # Configuration errors: retrying the same call won't help.
        raise OutboundError(f"ClawOps API: {type(exc).__name__}: {exc}", permanent=True) from None


def _describe(exc: APIStatusError) -> str:
    code = f" {exc.code}" if exc.code else ""
    return f"ClawOps API answered {exc.status_code}{code}: {str(exc.message)[:200]}"
