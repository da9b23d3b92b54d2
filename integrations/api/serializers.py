"""What the API reads and writes. Every message a client can see is ours (with its Korean
translation), never DRF's: each field class below names all of its errors."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from calls.phone import korean_number
from integrations.api.problems import BODY_FIELD
from integrations.clinics import booking_window

# Letters, digits and . _ : ~ - (safe in a URL path as they are), starting with a letter or
# digit so that "." or ".." never become a path of their own.
EXTERNAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:~-]{0,63}")
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:~-]{0,63}$"
# ISO 8601 date and time with seconds optional and an offset required (Z or ±HH:MM).
ISO_WITH_OFFSET = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

COMMON_ERRORS = {
    "required": _("This field is required."),
    "null": _("This field may not be null."),
}


class Text(serializers.Field):
    """A string, trimmed, non-empty, at most ``max_length`` characters, one line."""

    default_error_messages = {
        **COMMON_ERRORS,
        "invalid": _("Must be a string."),
        "blank": _("May not be empty."),
        "max_length": _("At most {max_length} characters."),
        "control": _("May not contain control characters (line breaks, tabs, NUL)."),
    }

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        value = data.strip()
        if not value:
            self.fail("blank")
        if len(value) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        if CONTROL.search(value):
            self.fail("control")
        return value

    def to_representation(self, value: str) -> str:
        return value


class ExternalId(Text):
    default_error_messages = {
        "format": _("Use 1–64 letters, digits or . _ : ~ - (starting with a letter or digit)."),
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=64, **kwargs)

    def to_internal_value(self, data: object) -> str:
        value = super().to_internal_value(data)
        if not EXTERNAL_ID.fullmatch(value):
            self.fail("format")
        return value


class Phone(Text):
    """Any common Korean format (010-1234-5678, +82 10 1234 5678); the domestic digits."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=64, **kwargs)

    def to_internal_value(self, data: object) -> str:
        # The one rule every form, the CSV import and the order webhook use.
        try:
            return korean_number(super().to_internal_value(data))
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


def parse_moment(value: object) -> datetime | None:
    """An aware datetime from ISO 8601 text with an offset; None when it is not one."""
    if not isinstance(value, str) or not ISO_WITH_OFFSET.fullmatch(value.strip()):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        # Converting proves the instant exists (year 1 minus an offset does not).
        moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return moment


@extend_schema_field({"type": "string", "format": "date-time",
                      "example": "2026-12-01T15:00:00+09:00"})
class StartsAt(serializers.Field):
    """When the appointment starts: ISO 8601 with an offset, in the future, within two
    years. Answered in Korean time."""

    default_error_messages = {
        **COMMON_ERRORS,
        "invalid": _("Must be an ISO 8601 time with an offset, e.g. 2026-12-01T15:00:00+09:00."),
        **booking_window.MESSAGES,
    }

    def to_internal_value(self, data: object) -> datetime:
        moment = parse_moment(data)
        if moment is None:
            self.fail("invalid")
        problem = booking_window.why_not_bookable(moment, timezone.now())
        if problem:
            self.fail(problem)
        return moment

    def to_representation(self, value: datetime) -> str:
        return timezone.localtime(value).isoformat()


class StrictSerializer(serializers.Serializer):
    """A JSON object with only the fields below: a misspelt field is an error, not ignored
    (a PATCH with "start_at" would otherwise answer 200 and change nothing)."""

    default_error_messages = {"invalid": _("The body must be a JSON object.")}

    def to_internal_value(self, data: object) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise serializers.ValidationError({BODY_FIELD: [str(self.error_messages["invalid"])]})
        unknown = sorted(set(data) - set(self.fields))
        errors: dict[str, list[str]] = {name: [str(_("Unknown field."))] for name in unknown}
        try:
            values = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            errors = {**exc.detail, **errors}
            raise serializers.ValidationError(errors) from None
        if errors:
            raise serializers.ValidationError(errors)
        return values


class AppointmentCreate(StrictSerializer):
    external_id = ExternalId(help_text="The booking system's id; unique per clinic.")
    patient_name = Text(max_length=100)
    phone = Phone(help_text="Any common Korean format.")
    starts_at = StartsAt()


class AppointmentChange(StrictSerializer):
    patient_name = Text(max_length=100, required=False)
    phone = Phone(required=False)
    starts_at = StartsAt(required=False, help_text="A new time starts a new reminder cycle.")


# --- what the API answers ----------------------------------------------------------------

JOB_STATES = ["not_planned", "pending", "running", "done", "failed", "skipped", "unknown"]


class ReminderStep(serializers.Serializer):
    state = serializers.ChoiceField(choices=JOB_STATES)
    due_at = serializers.DateTimeField(allow_null=True, help_text="When it is to run.")
    finished_at = serializers.DateTimeField(allow_null=True)


class ReminderProgress(serializers.Serializer):
    sms = ReminderStep()
    call = ReminderStep()


class Appointment(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True)
    patient_name = serializers.CharField()
    phone = serializers.CharField(help_text="Domestic digits, e.g. 01012345678.")
    starts_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=["scheduled", "confirmed", "cancelled",
                                              "needs_staff"])
    cycle = serializers.IntegerField(help_text="Reminder cycle: a new time starts a new one.")
    reminders = ReminderProgress()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class Segment(serializers.Serializer):
    speaker = serializers.CharField()
    start = serializers.FloatField(allow_null=True)
    end = serializers.FloatField(allow_null=True)
    text = serializers.CharField(allow_blank=True)


class CallSummary(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, help_text="The core summary.")
    result = serializers.DictField(help_text="Everything ClawOps' summary returned.")


class Call(serializers.Serializer):
    call_id = serializers.CharField()
    direction = serializers.CharField(allow_blank=True, help_text="inbound or outbound.")
    status = serializers.CharField(allow_blank=True)
    from_number = serializers.CharField(allow_blank=True)
    to_number = serializers.CharField(allow_blank=True)
    started_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    duration = serializers.IntegerField(allow_null=True, help_text="Seconds.")
    missed = serializers.BooleanField()
    summary = CallSummary(allow_null=True, help_text="Null until the summary is ready.")
    transcript = Segment(many=True, allow_null=True,
                         help_text="Null until the transcript is ready.")


class ProblemDetails(serializers.Serializer):
    """RFC 9457 problem details (application/problem+json)."""

    type = serializers.CharField(default="about:blank")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   required=False, help_text="Messages by field.")
