"""The one door for outbound HTTP outside the ClawOps SDK (Slack, the CRM, ClawOps' webhook
registrations): timeouts, one error type, one place that tests mock (respx).

Every failure becomes an OutboundError that says whether trying again can help; the
ledger stores it as data. Messages never include the URL: a Slack webhook URL is a secret.

One httpx client per process keeps connections alive between requests (the batch runner's
threads share it; httpx clients are thread-safe). It is made on first use in each process,
never inherited across a fork: a worker forked from a parent that had one gets its own.

A request goes straight to the client's transport for its URL (the one the client would
pick, proxies from the environment included), with the client's default headers: the
client's own layers — cookies, auth flow, redirects (never followed here), event hooks —
do nothing for these requests and cost a third of the CPU of each. respx mocks below
the transport (httpcore), so tests see every request as before.
"""

from __future__ import annotations

import email.utils
import functools
import os
import threading
import time

import httpx
from django.conf import settings


class OutboundError(Exception):
    """A request that did not succeed.

    ``permanent``: retrying cannot help (bad request, revoked token, invalid number).
    ``retry_after``: seconds the receiver asked us to wait (429 Retry-After).
    ``unknown``: the receiver may have acted on it although we saw no answer.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.unknown = unknown


# Connections kept per receiver; more than the batch runner's threads ever use at once.
MAX_CONNECTIONS = 32
# Idle connections are closed before a typical server's idle timeout (Slack's is longer),
# so a request rarely meets a connection the receiver is closing (see request()).
KEEPALIVE_EXPIRY_SECONDS = 4.0

_client: httpx.Client | None = None
_client_pid = 0
_client_lock = threading.Lock()


def client() -> httpx.Client:
    """This process's shared client (made on first use; a forked child makes its own)."""
    global _client, _client_pid
    if _client is None or _client_pid != os.getpid():
        with _client_lock:
            if _client is None or _client_pid != os.getpid():
                _client = httpx.Client(limits=httpx.Limits(
                    max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS,
                    keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS))
                _client_pid = os.getpid()
    return _client


def post_json(
    receiver: str, url: str, payload: object, *, headers: dict[str, str] | None = None
) -> httpx.Response:
    """POST JSON; return the 2xx response or raise OutboundError naming the receiver."""
    return request(receiver, "POST", url, payload=payload, headers=headers)


def request(
    receiver: str,
    method: str,
    url: str,
    *,
    payload: object = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Send one request; return the 2xx response or raise OutboundError naming the receiver."""
    timeout = httpx.Timeout(settings.OUTBOUND_TIMEOUT_SECONDS, connect=5)
    writes = method != "GET"
    try:
        response = send(httpx.Request(method, _parsed(url), json=payload,
                                      headers=_with_defaults(headers),
                                      extensions={"timeout": timeout.as_dict()}))
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout,
            httpx.LocalProtocolError) as exc:
        # Nothing left this process: safe to send again.
        raise OutboundError(f"{receiver}: could not connect ({type(exc).__name__})",
                            permanent=False) from None
    except httpx.TimeoutException as exc:
        # The request went out and no answer came: a write may have been carried out.
        raise OutboundError(f"{receiver}: no answer within the timeout ({type(exc).__name__})",
                            permanent=False, unknown=writes) from None
    except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        # The connection broke after the request began to leave (reset, closed without an
        # answer): the receiver may have acted on it, exactly as after a timeout. Retrying
        # such a POST is how a Slack alert gets posted twice.
        raise OutboundError(f"{receiver}: the connection broke before an answer came "
                            f"({type(exc).__name__})", permanent=False, unknown=writes) from None
    except httpx.HTTPError as exc:
        raise OutboundError(f"{receiver}: {type(exc).__name__}", permanent=False) from None
    raise_for_status(receiver, response)
    return response


def send(request: httpx.Request) -> httpx.Response:
    """Send through the transport the shared client picks for the URL; read the whole
    answer, so the connection goes back to the pool (as the client does unless streaming)."""
    # The client's own routing (its mounts and proxies); public API has no other door to it.
    response = client()._transport_for_url(request.url).handle_request(request)
    response.request = request
    try:
        response.read()
    finally:
        response.close()
    return response


def _with_defaults(headers: dict[str, str] | None) -> httpx.Headers:
    merged = client().headers.copy()  # User-Agent, Accept, Accept-Encoding, Connection
    if headers:
        merged.update(headers)
    return merged


@functools.lru_cache(maxsize=64)
def _parsed(url: str) -> httpx.URL:
    """Receivers' URLs come from settings: each is parsed once (httpx.URL is immutable)."""
    return httpx.URL(url)


def raise_for_status(receiver: str, response: httpx.Response) -> None:
    status = response.status_code
    if status < 300:
        return
    message = f"{receiver} answered {status}: {response.text[:300]}"
    if status == 429:
        raise OutboundError(message, permanent=False,
                            retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status >= 500 or status == 408:
        raise OutboundError(message, permanent=False)
    raise OutboundError(message, permanent=True)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date (RFC 9110 §10.2.3), at most
    the retry schedule's longest wait. A receiver may ask for less, never for a job parked
    until 2099 or a wait too long to add to a date: a 429 means "not delivered yet", and the
    job is tried again within its schedule."""
    if not value:
        return None
    value = value.strip()
    longest = float(max(settings.JOB_RETRY_DELAYS))
    if value.isascii() and value.isdigit():
        # Compared as text first: int() refuses numbers of more than 4,300 digits.
        return longest if len(value) > 9 else min(float(value), longest)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return min(max(0.0, moment.timestamp() - time.time()), longest)
