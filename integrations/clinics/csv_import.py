"""A day's appointments from a spreadsheet: an Excel workbook (.xlsx) or a CSV file, as the
front desk saves it from Excel.

The sheet needs a header row naming the columns ``clinic`` (name or id), ``patient_name``,
``phone`` and ``starts_at`` (Korean headers such as 병원, 환자 이름, 전화번호, 예약 시각 work
too). Korean Excel saves "CSV" in CP949 unless told to use UTF-8, so both are read; a
workbook's first sheet is read with integrations.spreadsheets. Times may be written the ways
Korean Excel writes them (2026-12-04 15:00, 2026.12.04 15:00, 2026/12/04 15:00,
2026-12-04 오후 3:00:00) or be real date cells.

Every valid row is imported even when others are not: ``read`` sorts rows into valid ones
and errors (row number, column, message) without touching the database, and
``import_appointments`` creates the valid ones, skipping exact duplicates with a note.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from calls.phone import korean_number
from integrations.clinics import booking_window, reminders, spreadsheets
from integrations.models import Appointment, Clinic

T = TypeVar("T")

# The times in the file are wall-clock times at the clinic.
SEOUL = ZoneInfo("Asia/Seoul")
# A day's appointments fit many times over; a bigger upload is the wrong file.
MAX_BYTES = 1024 * 1024

COLUMNS: dict[str, object] = {
    "clinic": _("Clinic"),
    "patient_name": _("Patient name"),
    "phone": _("Phone number"),
    "starts_at": _("Appointment time"),
}
# Header spellings per column, compared without spaces and case.
_ALIASES: dict[str, tuple[str, ...]] = {
    "clinic": ("clinic", "병원", "병원명", "병원이름"),
    "patient_name": ("patient_name", "patientname", "환자", "환자명", "환자이름", "이름"),
    "phone": ("phone", "phonenumber", "전화번호", "전화", "휴대폰", "휴대폰번호", "연락처"),
    "starts_at": ("starts_at", "startsat", "appointmenttime", "예약시각", "예약일시", "일시",
                  "시각"),
}
EMPTY: dict[str, object] = {
    "clinic": _("The clinic is empty."),
    "patient_name": _("The patient name is empty."),
    "phone": _("The phone number is empty."),
    "starts_at": _("The appointment time is empty."),
}
NAME_MAX = Appointment._meta.get_field("patient_name").max_length
PHONE_RAW_MAX = Appointment._meta.get_field("phone_raw").max_length
_HEADER_TO_COLUMN = {alias: column for column, aliases in _ALIASES.items() for alias in aliases}

# "2026-11-27 09:00" or "2026-11-27T09:00"; Korean Excel also writes the date with dots or
# slashes ("2026.11.27 9:00", "2026. 11. 27. 9:00", "2026/11/27 9:00"), a 12-hour clock
# ("2026-11-27 오후 3:00:00", "… 3:00 PM") and seconds.
_STARTS_AT = re.compile(
    r"(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})\.?"
    r"(?:T|\s+)(?:(오전|오후|AM|PM|am|pm)\s*)?(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"(?:\s*(AM|PM|am|pm))?"
)
# booking_window's reasons, quoting the cell like the file's other errors.
_NOT_BOOKABLE: dict[str, object] = {
    booking_window.PASSED: _("'%(value)s' has already passed."),
    booking_window.TOO_FAR: _("'%(value)s' is more than two years ahead; check the date."),
}
_AFTERNOON = {"오후", "PM", "pm"}
_MORNING = {"오전", "AM", "am"}


class FileProblem(ValueError):
    """The file as a whole cannot be read (encoding, header); no row is looked at."""


@dataclass(frozen=True)
class RowError:
    row: int  # as Excel numbers it: the header is row 1
    column: str  # a key of COLUMNS
    message: str

    @property
    def column_label(self) -> str:
        return COLUMNS.get(self.column, "")


@dataclass(frozen=True)
class ValidRow:
    row: int
    clinic: Clinic
    patient_name: str
    phone: str
    phone_raw: str
    starts_at: datetime

    @property
    def key(self) -> tuple[int, str, datetime]:
        """What makes two rows the same appointment."""
        return (self.clinic.pk, self.phone, self.starts_at)


@dataclass(frozen=True)
class Duplicate:
    row: int
    patient_name: str
    note: str


@dataclass
class ImportReport:
    created: list[Appointment] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


# --- single values -----------------------------------------------------------------------


def _patient_name(value: str) -> str:
    if len(value) > NAME_MAX:
        raise ValueError(gettext("The patient name is too long (%(max)d characters at most).")
                         % {"max": NAME_MAX})
    return value


def parse_starts_at(text: str) -> datetime:
    """A date and time as Korean Excel writes them (see _STARTS_AT), in Korean time, as an
    aware datetime."""
    value = text.strip()
    match = _STARTS_AT.fullmatch(value)
    if not match:
        raise ValueError(gettext("'%(value)s' is not an appointment time "
                                 "(e.g. 2026-11-27 14:30).") % {"value": value})
    year, month, day, before, hour, minute, second, after = match.groups()
    half = before or after
    hour_24 = int(hour)
    if half and not 1 <= hour_24 <= 12:
        raise ValueError(gettext("'%(value)s' is not a date or time that exists.")
                         % {"value": value})
    if half in _AFTERNOON and hour_24 != 12:
        hour_24 += 12
    elif half in _MORNING and hour_24 == 12:
        hour_24 = 0
    try:
        return datetime(int(year), int(month), int(day), hour_24, int(minute),
                        int(second or 0), tzinfo=SEOUL)
    except ValueError:
        raise ValueError(gettext("'%(value)s' is not a date or time that exists.")
                         % {"value": value}) from None


def find_clinic(value: str, clinics: Sequence[Clinic]) -> Clinic:
    """The clinic a cell names, by id or by exact name."""
    value = value.strip()
    if value.isdigit():
        for clinic in clinics:
            if clinic.pk == int(value):
                return clinic
    named = [clinic for clinic in clinics if clinic.name.strip() == value]
    if len(named) == 1:
        return named[0]
    if named:
        raise ValueError(gettext("Several clinics are named '%(value)s': write the clinic's "
                                 "number (id) instead.") % {"value": value})
    raise ValueError(gettext("There is no clinic '%(value)s'.") % {"value": value})


# --- the file ----------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes), else CP949, a superset of EUC-KR."""
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileProblem(gettext("The file cannot be read: save it as an Excel workbook (.xlsx) "
                              "or as a UTF-8 or CP949 (EUC-KR) CSV."))


def _header_columns(header: list[str]) -> dict[str, int]:
    """Where each column is in the rows; FileProblem when one is missing."""
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        column = _HEADER_TO_COLUMN.get(re.sub(r"\s+", "", name).lower())
        if column and column not in positions:
            positions[column] = index
    missing = [f"{key}({label})" for key, label in COLUMNS.items() if key not in positions]
    if missing:
        raise FileProblem(
            gettext("The first row (the header) lacks these columns: %(missing)s. Header "
                    "example: clinic,patient_name,phone,starts_at")
            % {"missing": ", ".join(missing)}
        )
    return positions


def _parsed(
    number: int, values: dict[str, str], column: str, parse: Callable[[str], T],
    errors: list[RowError],
) -> T | None:
    """The cell read by ``parse``; None (and an error noted) when it is empty or bad."""
    if not values[column]:
        errors.append(RowError(number, column, str(EMPTY[column])))
        return None
    try:
        return parse(values[column])
    except ValueError as exc:
        errors.append(RowError(number, column, str(exc)))
        return None


def _check_row(
    number: int, values: dict[str, str], clinics: Sequence[Clinic], now: datetime
) -> ValidRow | list[RowError]:
    errors: list[RowError] = []
    clinic = _parsed(number, values, "clinic", lambda value: find_clinic(value, clinics), errors)
    name = _parsed(number, values, "patient_name", _patient_name, errors)
    phone = _parsed(number, values, "phone", korean_number, errors)
    starts_at = _parsed(number, values, "starts_at", parse_starts_at, errors)
    problem = booking_window.why_not_bookable(starts_at, now) if starts_at is not None else ""
    if problem:
        errors.append(RowError(number, "starts_at", str(_NOT_BOOKABLE[problem])
                               % {"value": values["starts_at"]}))
    if errors or clinic is None or name is None or phone is None or starts_at is None:
        return errors
    return ValidRow(number, clinic, name, phone, values["phone"][:PHONE_RAW_MAX], starts_at)


def read(
    data: bytes, clinics: Sequence[Clinic], now: datetime
) -> tuple[list[ValidRow], list[RowError]]:
    """Sort the file's rows into valid ones and errors; touches no database.

    Raises FileProblem when the file itself cannot be read. Empty rows (Excel leaves
    ",,," lines behind) are passed over.
    """
    if spreadsheets.is_workbook(data):
        try:
            reader = iter(spreadsheets.read_rows(data))
        except spreadsheets.NotAWorkbook:
            raise FileProblem(gettext("The workbook cannot be read: open it in Excel and save "
                                      "it again as .xlsx.")) from None
    else:
        reader = csv.reader(io.StringIO(decode(data), newline=""))
    header = next(reader, None)
    if header is None:
        raise FileProblem(gettext("The file is empty."))
    positions = _header_columns(header)
    valid: list[ValidRow] = []
    errors: list[RowError] = []
    # Numbered like Excel rows: the header is 1. (A quoted cell with a line break makes
    # a row span two lines; we count records, which is what Excel shows as rows.)
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        values = {
            column: cells[index].strip() if index < len(cells) else ""
            for column, index in positions.items()
        }
        outcome = _check_row(number, values, clinics, now)
        if isinstance(outcome, ValidRow):
            valid.append(outcome)
        else:
            errors.extend(outcome)
    return valid, errors


# --- into the database -------------------------------------------------------------------


def _existing_keys(rows: Iterable[ValidRow]) -> set[tuple[int, str, datetime]]:
    rows = list(rows)
    if not rows:
        return set()
    found = Appointment.objects.filter(
        clinic_id__in={row.clinic.pk for row in rows},
        phone__in={row.phone for row in rows},
        starts_at__in={row.starts_at for row in rows},
    ).values_list("clinic_id", "phone", "starts_at")
    return set(found)


def import_appointments(data: bytes, *, now: datetime | None = None) -> ImportReport:
    """Create an appointment, with its reminders planned, for every valid new row.

    Raises FileProblem when the file cannot be read at all (nothing is imported then).
    """
    now = now or timezone.now()
    report = ImportReport()
    with transaction.atomic():
        clinics = list(Clinic.objects.order_by("pk"))
        valid, report.errors = read(data, clinics, now)
        # Two people uploading the same file at once would both pass the duplicate check;
        # locking the clinics involved makes the second upload wait and then see the first.
        list(Clinic.objects.select_for_update().filter(pk__in={r.clinic.pk for r in valid}))
        seen: dict[tuple[int, str, datetime], int] = {}
        existing = _existing_keys(valid)
        for row in valid:
            if row.key in existing:
                report.duplicates.append(Duplicate(
                    row.row, row.patient_name,
                    gettext("Skipped: the same as an appointment already entered")))
                continue
            if row.key in seen:
                report.duplicates.append(Duplicate(
                    row.row, row.patient_name,
                    gettext("Skipped: the same as row %(row)d") % {"row": seen[row.key]}))
                continue
            seen[row.key] = row.row
            report.created.append(_create(row))
    return report


def _create(row: ValidRow) -> Appointment:
    appointment = Appointment.objects.create(
        clinic=row.clinic, patient_name=row.patient_name, phone=row.phone,
        phone_raw=row.phone_raw, starts_at=row.starts_at,
    )
    reminders.plan(appointment)
    return appointment
