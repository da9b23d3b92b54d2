"""The start page's pictures, drawn on the server as SVG: no script and nothing fetched from
elsewhere (clinics' networks are closed, and the Content-Security-Policy allows neither).

Three charts, each one aggregate query: calls of the last 14 days (answered and missed), the
reminder outcomes of the last 14 days' appointments, and the missed-call rate by hour of the
day over the same 14 days, all in Korean time. Colours come from classes in
dashboard/static/clawsite/staff.css; every bar has a <title>, and every chart a table of the
same numbers for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.db.models.functions import ExtractHour, TruncDate
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from calls.models import Call, answered_call_q, missed_call_q
from calls.vocabulary import MISSED_STATUSES, CallStatus, Direction
from dashboard.day import Day
from integrations.models import AnswerChannel, Appointment, AppointmentStatus

SEOUL = ZoneInfo("Asia/Seoul")
DAYS = 14
WIDTH, HEIGHT = 560, 200
LEFT, BOTTOM, TOP = 34, 22, 8


@dataclass(frozen=True)
class Series:
    key: str  # CSS class suffix: .series-<key>
    label: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    svg: SafeString
    legend: list[Series]
    columns: list[str]  # the x labels, for the table beside the picture
    rows: list[tuple[str, list[str]]]  # (series label, values per column)


def for_day(day: Day) -> list[Chart]:
    """The charts a user may see: calls ones with the call log, reminders with appointments."""
    charts: list[Chart] = []
    first = (day.start - timedelta(days=DAYS - 1)).date()
    days = [first + timedelta(days=i) for i in range(DAYS)]
    since = day.start - timedelta(days=DAYS - 1)
    if day.calls is not None:
        charts.append(calls_by_day(since, day.end, days))
        charts.append(missed_rate_by_hour(since, day.end))
    if day.appointments is not None:
        charts.append(reminder_outcomes(since, day.end, days))
    return charts


def calls_by_day(since: datetime, until: datetime, days: list[date]) -> Chart:
    rows = (
        Call.objects.filter(started_at__gte=since, started_at__lt=until)
        .annotate(day=TruncDate("started_at", tzinfo=SEOUL))
        .values("day")
        .annotate(answered=Count("id", filter=answered_call_q()),
                  missed=Count("id", filter=missed_call_q()))
        .order_by()
    )
    by_day = {row["day"]: row for row in rows}
    series = [Series("answered", gettext("Answered")), Series("missed", gettext("Missed"))]
    values = [[by_day.get(d, {}).get(s.key, 0) for s in series] for d in days]
    labels = [d.strftime("%m-%d") for d in days]
    return _bar_chart("chart-calls", gettext("Calls, last 14 days"), series, labels, values)


def reminder_outcomes(since: datetime, until: datetime, days: list[date]) -> Chart:
    confirmed = Q(status=AppointmentStatus.CONFIRMED)
    not_reached = Q(status=AppointmentStatus.SCHEDULED) & (
        Q(reminder_call__status__in=MISSED_STATUSES)
        | Q(reminder_call__status=CallStatus.COMPLETED, reminder_call__duration=0)
    )
    rows = (
        Appointment.objects.filter(starts_at__gte=since, starts_at__lt=until)
        .annotate(day=TruncDate("starts_at", tzinfo=SEOUL))
        .values("day")
        .annotate(
            sms=Count("id", filter=confirmed & Q(answered_via=AnswerChannel.SMS)),
            key=Count("id", filter=confirmed & Q(answered_via=AnswerChannel.CALL)),
            cancelled=Count("id", filter=Q(status=AppointmentStatus.CANCELLED)),
            no_answer=Count("id", filter=not_reached),
            staff=Count("id", filter=Q(status=AppointmentStatus.NEEDS_STAFF)),
        )
        .order_by()
    )
    by_day = {row["day"]: row for row in rows}
    series = [
        Series("sms", gettext("Confirmed by SMS")),
        Series("key", gettext("Confirmed by key press")),
        Series("cancelled", gettext("Cancelled")),
        Series("no-answer", gettext("No answer")),
        Series("staff", gettext("Needs staff")),
    ]
    fields = ["sms", "key", "cancelled", "no_answer", "staff"]
    values = [[by_day.get(d, {}).get(f, 0) for f in fields] for d in days]
    labels = [d.strftime("%m-%d") for d in days]
    return _bar_chart("chart-reminders", gettext("Reminder outcomes, last 14 days"), series,
                      labels, values)


def missed_rate_by_hour(since: datetime, until: datetime) -> Chart:
    rows = (
        Call.objects.filter(started_at__gte=since, started_at__lt=until,
                            direction=Direction.INBOUND)
        .annotate(hour=ExtractHour("started_at", tzinfo=SEOUL))
        .values("hour")
        .annotate(total=Count("id"), missed=Count("id", filter=missed_call_q()))
        .order_by()
    )
    by_hour = {row["hour"]: row for row in rows}
    rates = []
    for hour in range(24):
        row = by_hour.get(hour)
        rates.append(round(100 * row["missed"] / row["total"]) if row and row["total"] else 0)
    series = [Series("rate", gettext("Missed share of calls in"))]
    labels = [f"{hour:02d}" for hour in range(24)]
    return _bar_chart("chart-missed-rate", gettext("Missed-call rate by hour, last 14 days"),
                      series, labels, [[rate] for rate in rates], percent=True)


def _bar_chart(chart_id: str, title: str, series: list[Series], labels: list[str],
               values: list[list[int]], percent: bool = False) -> Chart:
    """Stacked bars, one per label; the y axis from 0 to the largest stack (or 100 %)."""
    top = 100 if percent else max([sum(stack) for stack in values] + [1])
    plot_w, plot_h = WIDTH - LEFT - 4, HEIGHT - BOTTOM - TOP
    slot = plot_w / len(labels)
    bar_w = max(slot * 0.7, 2)
    # Numbers are formatted here; only labels and titles are text, and they are escaped.
    parts: list[str] = []
    for tick in (0, top / 2, top):
        y = TOP + plot_h - plot_h * tick / top
        text = f"{tick:.0f}%" if percent else f"{tick:.0f}"
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{text}</text>')
    step = 1 if len(labels) <= 14 else 3  # every third hour label keeps them readable
    for index, (label, stack) in enumerate(zip(labels, values, strict=True)):
        x = LEFT + index * slot + (slot - bar_w) / 2
        y = TOP + plot_h
        for s, value in zip(series, stack, strict=True):
            if not value:
                continue
            height = plot_h * value / top
            y -= height
            tip = escape(f"{label} {s.label}: {value}{'%' if percent else ''}")
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{height:.1f}" '
                f'class="series-{s.key}"><title>{tip}</title></rect>')
        if index % step == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - 6}" '
                         f'text-anchor="middle">{escape(label)}</text>')
    svg = format_html(
        '<svg viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}-title">{}</title>{}</svg>',
        WIDTH, HEIGHT, chart_id, chart_id, title, mark_safe("".join(parts)))
    rows = [(s.label, [f"{stack[i]}{'%' if percent else ''}" for stack in values])
            for i, s in enumerate(series)]
    return Chart(chart_id, title, svg, series, labels, rows)


