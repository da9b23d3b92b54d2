"""The day at a glance, in Korean time: what the start page counts and where each count
links.

Every figure is one aggregate over an indexed range or an indexed column (the call log's
``call_log_order`` index on started_at, the appointments' starts_at and status indexes, the
jobs' (state, next_attempt_at) index), so the page costs the same handful of queries at a
thousand calls or a million; tests/dashboard/test_start_page.py lists them. Each section is
there only for a user who may open the list it links to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db.models import Count, Max, Model, Q, TextChoices
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from calls.models import Call, answered_call_q, missed_call_q
from calls.phone import format_phone
from calls.vocabulary import Direction
from integrations.jobs import integration_status as status
from integrations.models import (
    Appointment,
    AppointmentStatus,
    CallbackRequest,
    Job,
    JobState,
    Order,
    OrderStatus,
)

SEOUL = ZoneInfo("Asia/Seoul")
# The most missed callers listed; the count beside the list says how many there are.
CALLERS_SHOWN = 30


@dataclass(frozen=True)
class Figure:
    label: str
    value: int
    url: str
    needs_person: bool = False


@dataclass(frozen=True)
class Caller:
    """A number that called today, was missed, and has not been called back."""

    number: str
    last_missed: str
    tries: int
    call_url: str
    callback_url: str


@dataclass
class Day:
    start: datetime
    end: datetime
    can_call_back: bool = False
    calls: list[Figure] | None = None
    callers: list[Caller] | None = None
    callers_total: int = 0
    appointments: list[Figure] | None = None
    orders: list[Figure] | None = None
    jobs: list[Figure] | None = None
    off: list[status.Off] = field(default_factory=list)

    @property
    def date_text(self) -> str:
        return self.start.strftime("%Y-%m-%d")


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Korean midnight to midnight around ``now``."""
    midnight = timezone.localtime(now, SEOUL).replace(hour=0, minute=0, second=0,
                                                      microsecond=0)
    return midnight, midnight + timedelta(days=1)


def list_url(name: str, **params: object) -> str:
    url = reverse(f"admin:{name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def _calls_url(start: datetime, end: datetime, **params: object) -> str:
    return list_url("calls_call", started_at__gte=start.isoformat(),
                    started_at__lt=end.isoformat(), **params)


def the_day(user, now: datetime | None = None) -> Day:
    start, end = day_bounds(now or timezone.now())
    day = Day(start=start, end=end, can_call_back=user.has_perm("integrations.place_callback"))
    if user.has_perm("calls.view_call"):
        day.calls = call_figures(start, end)
        day.callers, day.callers_total = missed_callers(start, end)
    if user.has_perm("integrations.view_appointment"):
        day.appointments = appointment_figures(start, end)
    if user.has_perm("integrations.view_order"):
        day.orders = order_figures()
    if user.has_perm("integrations.view_job"):
        day.jobs = job_figures()
    day.off = status.off()
    return day


def call_figures(start: datetime, end: datetime) -> list[Figure]:
    counts = Call.objects.filter(started_at__gte=start, started_at__lt=end).aggregate(
        inbound=Count("id", filter=Q(direction=Direction.INBOUND)),
        outbound=Count("id", filter=Q(direction=Direction.OUTBOUND)),
        answered=Count("id", filter=answered_call_q()),
        missed=Count("id", filter=missed_call_q()),
    )
    return [
        Figure(gettext("Calls in"), counts["inbound"],
               _calls_url(start, end, direction__exact=Direction.INBOUND)),
        Figure(gettext("Calls out"), counts["outbound"],
               _calls_url(start, end, direction__exact=Direction.OUTBOUND)),
        Figure(gettext("Answered"), counts["answered"], _calls_url(start, end, missed="answered")),
        Figure(gettext("Missed"), counts["missed"], _calls_url(start, end, missed="yes"),
               needs_person=counts["missed"] > 0),
    ]


def missed_callers(start: datetime, end: datetime) -> tuple[list[Caller], int]:
    """Today's missed callers whom nobody has reached since: no call placed to the number,
    no answered call from it and no call-back requested after their last missed call."""
    missed = list(
        Call.objects.filter(missed_call_q(), started_at__gte=start, started_at__lt=end)
        .values("from_number")
        .annotate(last=Max("started_at"), tries=Count("id"), last_pk=Max("id"))
        .order_by("-last")
    )
    if not missed:
        return [], 0
    numbers = [row["from_number"] for row in missed]
    reached: dict[str, datetime] = {}
    later = (
        Call.objects.filter(started_at__gte=start)
        .filter(Q(direction=Direction.OUTBOUND, to_number__in=numbers)
                | (Q(direction=Direction.INBOUND, from_number__in=numbers) & answered_call_q()))
        .values("direction", "from_number", "to_number")
        .annotate(latest=Max("started_at"))
    )
    for row in later:
        number = row["to_number"] if row["direction"] == Direction.OUTBOUND else row["from_number"]
        reached[number] = max(reached.get(number, row["latest"]), row["latest"])
    requested = (
        CallbackRequest.objects.filter(requested_at__gte=start, number__in=numbers)
        .values("number").annotate(latest=Max("requested_at"))
    )
    for row in requested:
        reached[row["number"]] = max(reached.get(row["number"], row["latest"]), row["latest"])
    waiting = [row for row in missed
               if row["from_number"] not in reached or reached[row["from_number"]] < row["last"]]
    new_callback = reverse("admin:integrations_callbackrequest_new")
    callers = [
        Caller(
            number=format_phone(row["from_number"]) or "-",
            last_missed=timezone.localtime(row["last"], SEOUL).strftime("%H:%M"),
            tries=row["tries"],
            call_url=reverse("admin:calls_call_change", args=[row["last_pk"]]),
            callback_url=f"{new_callback}?call={row['last_pk']}",
        )
        for row in waiting[:CALLERS_SHOWN]
    ]
    return callers, len(waiting)


def appointment_figures(start: datetime, end: datetime) -> list[Figure]:
    today = dict(
        Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .values_list("status").annotate(n=Count("id")).order_by()
    )
    queue = Appointment.objects.filter(status=AppointmentStatus.NEEDS_STAFF).count()
    figures = [
        Figure(gettext("%(status)s today") % {"status": label}, today.get(value, 0),
               list_url("integrations_appointment", day="today", status__exact=value))
        for value, label in AppointmentStatus.choices
    ]
    figures.append(Figure(gettext("Needs staff (all days)"), queue,
                          list_url("integrations_appointment",
                                   status__exact=AppointmentStatus.NEEDS_STAFF),
                          needs_person=queue > 0))
    return figures


def order_figures() -> list[Figure]:
    return figures_needing_a_person(Order, "status", (OrderStatus.NOT_REACHED, OrderStatus.FAILED),
                                    "integrations_order")


def job_figures() -> list[Figure]:
    return figures_needing_a_person(Job, "state", (JobState.FAILED, JobState.UNKNOWN),
                                    "integrations_job")


def figures_needing_a_person(model: type[Model], field: str, values: tuple[TextChoices, ...],
                             list_name: str) -> list[Figure]:
    """How many rows are in each of ``values`` of a choices ``field`` (one query), each
    linking to its filtered list and flagged when any is there."""
    counts = dict(model.objects.filter(**{f"{field}__in": values}).values_list(field)
                  .annotate(n=Count("id")).order_by())
    return [
        Figure(str(value.label), counts.get(value, 0),
               list_url(list_name, **{f"{field}__exact": value}),
               needs_person=counts.get(value, 0) > 0)
        for value in values
    ]


SECTION_TITLES = {
    "calls": _("Calls today"),
    "callers": _("Missed callers not yet called back"),
    "appointments": _("Appointments"),
    "orders": _("Orders whose customer was not reached"),
    "jobs": _("Jobs that need a person"),
    "off": _("Integrations that are off"),
}
