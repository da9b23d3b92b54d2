"""The admin action export_csv on calls, appointments and orders: the selected rows as a CSV
file Korean Excel opens correctly.

UTF-8 with a byte-order mark (without it Excel reads UTF-8 as CP949 and shows mojibake),
phone numbers as people write them (010-1234-5678), times in Korean time, headers and
statuses in the reader's language. A cell that starts like a formula (=, +, -, @) gets a
leading apostrophe, so a customer's name can never run as a formula in Excel.

dashboard.site.StaffAdminSite adds the action to the models in EXPORTS when they are
registered, so calls/ needs no import of this module.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from calls import labels
from calls.admin_display import DATE_TIME, seoul_time
from calls.models import Call
from calls.phone import format_phone
from integrations import audit
from integrations.formatting import order_items
from integrations.models import Appointment, Order

BOM = "\ufeff"
# How many row ids an export's audit entry lists (its detail holds 2,000 characters).
AUDITED_IDS = 200
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    header: Any  # lazily translated
    value: Callable[[Any], object]


def _label(obj: Model, field: str) -> str:
    return str(getattr(obj, f"get_{field}_display")() or "")


CALL_COLUMNS = [
    Column(_("Started"), lambda c: seoul_time(c.started_at, DATE_TIME)),
    Column(_("Direction"), lambda c: _label(c, "direction")),
    Column(_("Customer number"), lambda c: format_phone(c.customer_number)),
    Column(_("Our number"), lambda c: format_phone(
        c.from_number if c.direction == "outbound" else c.to_number)),
    Column(_("Status"), lambda c: _label(c, "status")),
    Column(_("Missed"), lambda c: gettext("Missed") if c.is_missed else ""),
    Column(_("Duration (seconds)"), lambda c: "" if c.duration is None else c.duration),
    Column(_("Answered by"),
           lambda c: labels.answered_by_text(c.answered_by) if c.answered_by else ""),
    Column(_("Hang-up cause"),
           lambda c: labels.hangup_cause_text(c.hangup_cause) if c.hangup_cause else ""),
    Column(_("Call ID"), lambda c: c.call_id),
]
APPOINTMENT_COLUMNS = [
    Column(_("Clinic"), lambda a: a.clinic.name),
    Column(_("Patient name"), lambda a: a.patient_name),
    Column(_("Phone number"), lambda a: format_phone(a.phone)),
    Column(_("Appointment time"), lambda a: seoul_time(a.starts_at, DATE_TIME)),
    Column(_("Status"), lambda a: _label(a, "status")),
    Column(_("Answered"), lambda a: _label(a, "answered_via") if a.answered_via else ""),
    Column(_("Why staff must check"), lambda a: a.staff_note),
]
ORDER_COLUMNS = [
    Column(_("Order number"), lambda o: o.order_id),
    Column(_("Ordered at"), lambda o: seoul_time(o.received_at, DATE_TIME)),
    Column(_("Customer name"), lambda o: o.customer_name),
    Column(_("Customer number"), lambda o: format_phone(o.customer_phone)),
    Column(_("Items"), lambda o: order_items(o.items)),
    Column(_("Amount (won)"), lambda o: o.total_price),
    Column(_("Status"), lambda o: _label(o, "status")),
]


# Model -> (file name stem, columns, related rows read in the same query).
EXPORTS: dict[type[Model], tuple[str, list[Column], tuple[str, ...]]] = {
    Call: ("calls", CALL_COLUMNS, ()),
    Appointment: ("appointments", APPOINTMENT_COLUMNS, ("clinic",)),
    Order: ("orders", ORDER_COLUMNS, ()),
}


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(rows: QuerySet, columns: list[Column]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([str(column.header) for column in columns])
    for row in rows.iterator(chunk_size=2000):
        writer.writerow([safe_cell(column.value(row)) for column in columns])
    return BOM + out.getvalue()


def record_export(request: HttpRequest, model: type[Model], rows: QuerySet) -> None:
    """Who exported what: customers' numbers leave the system here. The audit entry names
    the model and the rows' ids, never their contents."""
    ids = list(rows.values_list("pk", flat=True)[:AUDITED_IDS + 1])
    # The count is every row exported; the ids listed stop at AUDITED_IDS.
    total = len(ids) if len(ids) <= AUDITED_IDS else rows.count()
    listed = ", #".join(str(pk) for pk in ids[:AUDITED_IDS])
    more = ", …" if total > AUDITED_IDS else ""
    audit.record(request.user, "export", f"{model._meta.label} CSV",
                 detail=f"{total} selected: #{listed}{more}")


@admin.action(description=_("Export selected as CSV (Excel)"))
def export_csv(model_admin: admin.ModelAdmin, request: HttpRequest,
               queryset: QuerySet) -> HttpResponse:
    stem, columns, related = EXPORTS[model_admin.model]
    rows = queryset.select_related(*related).order_by(*model_admin.model._meta.ordering)
    text = csv_text(rows, columns)
    record_export(request, model_admin.model, queryset)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.csv"'
    return response
