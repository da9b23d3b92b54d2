"""The one door to the ClawOps REST API: the SDK client built from settings, with its
errors mapped to OutboundError (contract §7.2). Nothing else imports the SDK's client.

The SDK retries POSTs by default and waits up to 600 s (contract §7.1): a timed-out
``calls.create`` could then place a second call. Here the client has ``max_retries=0`` and a
short timeout; the ledger decides about retries. A create whose request left and whose answer
never came is reported as *unknown*, never resent blindly; one that never left (no
connection within the timeout) is simply retried.

``place_call`` and ``send_sms`` are the only ways a job calls or texts anyone: they mark the
job as sending just before the request leaves (from then on a dead worker leaves doubt), and
every call reports its progress to our webhook with the same events. One client per process
keeps its connections open between jobs.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

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
from django.db import transaction

from calls.bounds import CALL_ID_SHAPE
from integrations.jobs import ledger
from integrations.outbound.http import OutboundError, parse_retry_after

if TYPE_CHECKING:
    from integrations.models import Job

# Codes that no retry can fix, whatever HTTP status they come with — a 429 or a 503 that
# says recipient_blocked is as final as a 422 (contract §7.2).
PERMANENT_CODES = {"recipient_blocked", "invalid_phone", "INVALID_PHONE_NUMBER",
                   "UNSUPPORTED_COUNTRY", "from_not_registered", "body_too_long"}
# What every call we place reports to our webhook (contract §2.1).
CALL_EVENTS = "initiated ringing answered completed"
# How long to wait for a connection; the answer may take OUTBOUND_TIMEOUT_SECONDS.
CONNECT_TIMEOUT_SECONDS = 5
# Timeouts after which the request had not left: nothing can have been created.
_NOT_SENT = (httpx.ConnectTimeout, httpx.PoolTimeout)


def client() -> ClawOps:
    """The process's client (its connections are reused from job to job); a new one after a
    fork or when the settings it was built from change (tests)."""
    return _client(os.getpid(), settings.CLAWOPS_API_KEY, settings.CLAWOPS_ACCOUNT_ID,
                   settings.CLAWOPS_BASE_URL, settings.OUTBOUND_TIMEOUT_SECONDS)


@functools.lru_cache(maxsize=4)
def _client(pid: int, api_key: str, account_id: str, base_url: str, timeout: int) -> ClawOps:
    return ClawOps(
        api_key=api_key,
        account_id=account_id,
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT_SECONDS),
        max_retries=0,
    )


def url_safe_call_id(call_id: str) -> str:
    """The SDK puts a call id in the URL path as it is: anything but the documented shape
    (a slash, dots, "%", "?") could reach another endpoint."""
    if not CALL_ID_SHAPE.fullmatch(call_id):
        raise OutboundError(f"ClawOps: {call_id[:70]!r} is not a ClawOps call id", permanent=True)
    return call_id


def status_callback_url() -> str:
    return f"{settings.CLAWOPS_PUBLIC_BASE_URL}/webhooks/clawops/"


def place_call(job: Job, *, to: str, from_: str, **how: Any) -> Call:
    """Place one call for ``job`` (``how``: ``url`` for VoiceML, or ``agent_id`` and
    ``call_context``, and ``machine_detection``), reporting to our webhook."""
    _mark_sending(job)
    with _mapped_errors(creates=True):
        return client().calls.create(
            to=to, from_=from_, status_callback=status_callback_url(),
            status_callback_event=CALL_EVENTS, **how,
        )


def send_sms(job: Job, *, to: str, from_: str, body: str) -> Message:
    """Send one SMS for ``job`` (its status comes through the number's webhook)."""
    _mark_sending(job)
    with _mapped_errors(creates=True):
        return client().messages.create(to=to, from_=from_, body=body)


def _mark_sending(job: Job) -> None:
    # The mark must be committed before the request leaves: inside a caller's transaction
    # it would vanish with a worker that dies mid-request, and the job would be sent again.
    # A durable block commits at its end and refuses (RuntimeError) to run inside another.
    with transaction.atomic(durable=True):
        ledger.mark_sending(job)


def get_transcript(call_id: str) -> TranscriptStatus:
    call_id = url_safe_call_id(call_id)
    with _mapped_errors(creates=False):
        return client().calls.get_transcript(call_id)


def get_summary(call_id: str) -> SummaryStatus:
    call_id = url_safe_call_id(call_id)
    with _mapped_errors(creates=False):
        return client().calls.get_summary(call_id)


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
    except APITimeoutError as exc:
        if isinstance(exc.__cause__, _NOT_SENT):
            # No connection in time: the request never left, so nothing was created.
            raise OutboundError("ClawOps API: could not connect within the timeout",
                                permanent=False) from None
        # For a create, the call or message may exist although the answer never came.
        raise OutboundError("ClawOps API: no answer within the timeout",
                            permanent=False, unknown=creates) from None
    except APIConnectionError as exc:
        raise OutboundError(f"ClawOps API: could not connect ({exc.message})",
                            permanent=False) from None
    except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        # The SDK passes these through: the connection broke after the request began to
        # leave, so a create may have been carried out.
        raise OutboundError(f"ClawOps API: the connection broke before an answer came "
                            f"({type(exc).__name__})", permanent=False, unknown=creates) from None
    except APIStatusError as exc:
        _raise_status_error(exc, creates=creates)
    except APIResponseValidationError as exc:
        # ClawOps answered 2xx with something the SDK could not read: for a create, the
        # call or message exists.
        raise OutboundError(f"ClawOps API: unreadable answer: {exc}", permanent=True,
                            unknown=creates) from None
    except ClawOpsError as exc:
        # Configuration errors: retrying the same call won't help.
        raise OutboundError(f"ClawOps API: {type(exc).__name__}: {exc}", permanent=True) from None


def _raise_status_error(exc: APIStatusError, *, creates: bool) -> None:
    if exc.code in PERMANENT_CODES:
        # ClawOps refused it for good, whatever the status: nothing was created.
        raise OutboundError(_describe(exc), permanent=True) from None
    if isinstance(exc, RateLimitError):
        raise OutboundError(_describe(exc), permanent=False,
                            retry_after=parse_retry_after(exc.response.headers.get("Retry-After"))
                            ) from None
    transient = exc.status_code >= 500 or exc.status_code == 408
    # A create that failed behind ClawOps' gateway (500, 502, 504) may have been carried
    # out; 503 says it was not (the service refused it).
    unknown = creates and transient and exc.status_code not in (408, 503)
    raise OutboundError(_describe(exc), permanent=not transient, unknown=unknown) from None


def _describe(exc: APIStatusError) -> str:
    code = f" {exc.code}" if exc.code else ""
    return f"ClawOps API answered {exc.status_code}{code}: {str(exc.message)[:200]}"
