"""Why a job was skipped, is waiting or gave up, in the reader's language.

A job's reason is stored once, in English, when the job runs (``Job.last_error``): the worker
has no reader. Pages put it into the reader's language with ``reason_text``: each sentence
the ledger and the workflows write is listed here as a pattern and its message id. A reason
no pattern knows (an error a remote system sent, a traceback) is shown as stored: it is
data, like a customer's text, not the page's own words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

# --- what the workflows store (their words, kept in one place) ------------------------------

APPOINTMENT_DELETED = "the appointment was deleted"
APPOINTMENT_MOVED = "the appointment was changed, so the earlier reminder is not sent"
OPTED_OUT = "the number opted out of reminders"
QUIET_HOURS = "quiet hours"
ORDER_DELETED = "the order was deleted"
ORDER_REACHED = "the customer was already reached for this order"
CALLBACK_DELETED = "the call-back request was deleted"
CALLBACK_PLACED = "the call was already placed"
WORKER_STOPPED = "the worker stopped before finishing; running again"
WORKER_STOPPED_SENDING = ("the worker stopped while sending; it may have arrived — check "
                          "before retrying")


def appointment_status(status: str) -> str:
    return f"the appointment is {status}"


def too_late(minutes: int) -> str:
    return f"too late: less than {minutes} minutes before the appointment"


def attempt_placed(attempt: int) -> str:
    return f"confirmation call {attempt} was already placed"


def pressed_key(digits: str) -> str:
    if not digits:
        return "pressed no key on the reminder call"
    return f"pressed {digits} on the reminder call"


def integration_off(integration: str, missing: Sequence[str]) -> str:
    verb = "is" if len(missing) == 1 else "are"
    return f"{integration} is off: {' and '.join(missing)} {verb} not set"


def still_pending(what: Sequence[str]) -> str:
    return f"{' and '.join(what)} still pending"


# --- and how a reader sees them ----------------------------------------------------------------

_FIXED: dict[str, Promise] = {
    APPOINTMENT_DELETED: _("The appointment was deleted."),
    APPOINTMENT_MOVED: _("The appointment was changed, so the earlier reminder is not sent."),
    OPTED_OUT: _("The number opted out of reminders."),
    QUIET_HOURS: _("Quiet hours."),
    ORDER_DELETED: _("The order was deleted."),
    ORDER_REACHED: _("The customer was already reached for this order."),
    CALLBACK_DELETED: _("The call-back request was deleted."),
    CALLBACK_PLACED: _("The call was already placed."),
    WORKER_STOPPED: _("The worker stopped before finishing; it runs again."),
    "pressed no key on the reminder call": _("Pressed no key on the reminder call."),
    WORKER_STOPPED_SENDING: _("The worker stopped while sending; it may have arrived. "
                              "Check before retrying."),
}


def _appointment_status(status: str) -> str:
    from integrations.models import AppointmentStatus

    label = AppointmentStatus(status).label if status in AppointmentStatus.values else status
    return gettext("The appointment is %(status)s.") % {"status": label}


def _integration_off(integration: str, settings: str) -> str:
    from integrations.jobs.integration_status import integration_name

    names = settings.split(" and ")
    return gettext("Off: %(integration)s (%(settings)s not set).") % {
        "integration": integration_name(integration),
        "settings": ", ".join(names),
    }


def _still_pending(what: str) -> str:
    words = {"transcript": gettext("transcript"), "summary": gettext("summary")}
    parts = [words.get(part, part) for part in what.split(" and ")]
    return gettext("Waiting for ClawOps: %(what)s not ready yet.") % {"what": ", ".join(parts)}


_PATTERNS: list[tuple[re.Pattern[str], Callable[..., str]]] = [
    (re.compile(r"the appointment is (?P<status>\w+)"), _appointment_status),
    (re.compile(r"too late: less than (?P<minutes>\d+) minutes before the appointment"),
     lambda minutes: ngettext(
         "Too late: less than %(minutes)d minute before the appointment.",
         "Too late: less than %(minutes)d minutes before the appointment.", int(minutes),
     ) % {"minutes": int(minutes)}),
    (re.compile(r"confirmation call (?P<attempt>\d+) was already placed"),
     lambda attempt: gettext("Confirmation call %(attempt)s was already placed.")
     % {"attempt": attempt}),
    (re.compile(r"(?P<integration>\w+) is off: (?P<settings>.+?) (?:is|are) not set"),
     _integration_off),
    (re.compile(r"(?P<what>.+?) still pending"), _still_pending),
    (re.compile(r"pressed (?P<digits>\S+) on the reminder call"),
     lambda digits: gettext("Pressed %(digits)s on the reminder call.") % {"digits": digits}),
    (re.compile(r"(?P<error>.+) — it may have arrived; check before retrying", re.S),
     lambda error: gettext("%(error)s — it may have arrived. Check before retrying.")
     % {"error": error}),
    (re.compile(r"gave up after (?P<attempts>\d+) attempts: (?P<error>.*)", re.S),
     lambda attempts, error: gettext("Gave up after %(attempts)s attempts: %(error)s")
     % {"attempts": attempts, "error": error}),
]


def reason_text(stored: str) -> str:
    """A stored reason in the reader's language (as stored when it is not one of ours)."""
    text = (stored or "").strip()
    if text in _FIXED:
        return str(_FIXED[text])
    for pattern, words in _PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return words(**match.groupdict())
    return text
