"""Appointments pushed by a booking system: create once per ``external_id``, change, cancel.

Reminders are planned by the one function every other path uses (``reminders.plan``, and
``reminders.reschedule`` for a new time), in the same transaction as the row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.api.problems import Problem
from integrations.clinics import reminders
from integrations.jobs import kinds
from integrations.models import Appointment, Clinic, Job, ReplyIntent


def create(clinic: Clinic, fields: dict[str, Any], phone_raw: str) -> tuple[Appointment, bool]:
    """The appointment and True, or — for an ``external_id`` the clinic already sent — the
    stored one and False when the content is the same, a 409 problem when it differs.
    Two requests at once with one id make one row: the second insert waits for the first
    and then conflicts."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                appointment = Appointment.objects.create(
                    clinic=clinic, external_id=fields["external_id"],
                    patient_name=fields["patient_name"], phone=fields["phone"],
                    phone_raw=phone_raw[:64], starts_at=fields["starts_at"],
                )
        except IntegrityError:
            stored = Appointment.objects.get(clinic=clinic, external_id=fields["external_id"])
            differences = differing_fields(stored, fields)
            if differences:
                raise Problem(409, _("An appointment with this external_id exists with other "
                                     "content; nothing was stored. Change it with PATCH."),
                              errors=differences) from None
            return stored, False
        reminders.plan(appointment)
    return appointment, True


def differing_fields(stored: Appointment, fields: dict[str, Any]) -> dict[str, list[str]]:
    shown = {"patient_name": stored.patient_name, "phone": stored.phone,
             "starts_at": timezone.localtime(stored.starts_at).isoformat()}
    differences = {}
    for name in ("patient_name", "phone", "starts_at"):
        if getattr(stored, name) != fields[name]:
            differences[name] = [_("Differs from the stored appointment: %(value)s")
                                 % {"value": shown[name]}]
    return differences


def change(appointment: Appointment, fields: dict[str, Any], phone_raw: str) -> Appointment:
    """Name and number in place; a new time through ``reminders.reschedule`` (a new cycle)."""
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        edited = [name for name in ("patient_name", "phone")
                  if name in fields and fields[name] != getattr(locked, name)]
        for name in edited:
            setattr(locked, name, fields[name])
        if "phone" in edited:
            locked.phone_raw = phone_raw[:64]
            edited.append("phone_raw")
        if edited:
            locked.save(update_fields=[*edited, "updated_at"])
        if "starts_at" in fields and fields["starts_at"] != locked.starts_at:
            reminders.reschedule(locked, fields["starts_at"])
        locked.refresh_from_db()
    return locked


def cancel(appointment: Appointment) -> Appointment:
    """Cancelled, under the row lock the reminder call also takes: no SMS or call follows,
    and the row is kept."""
    return reminders.apply_answer(appointment.pk, ReplyIntent.CANCEL)


# --- what the API answers ----------------------------------------------------------------


def _moment(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _step(job: Job | None) -> dict[str, Any]:
    if job is None:
        return {"state": "not_planned", "due_at": None, "finished_at": None}
    due = job.next_attempt_at if job.state in ("pending", "running") else None
    return {"state": job.state, "due_at": _moment(due), "finished_at": _moment(job.finished_at)}


def represent(appointments: Iterable[Appointment]) -> list[dict[str, Any]]:
    """The appointments with their current cycle's reminder progress (one query for all
    their jobs)."""
    appointments = list(appointments)
    subjects = {reminders.subject(a) for a in appointments}
    jobs = {(job.kind, job.subject): job for job in Job.objects.filter(
        kind__in=(kinds.REMINDER_SMS, kinds.REMINDER_CALL), subject__in=subjects)}
    return [{
        "id": a.pk,
        "external_id": a.external_id,
        "patient_name": a.patient_name,
        "phone": a.phone,
        "starts_at": _moment(a.starts_at),
        "status": a.status,
        "cycle": a.cycle,
        "reminders": {
            "sms": _step(jobs.get((kinds.REMINDER_SMS, reminders.subject(a)))),
            "call": _step(jobs.get((kinds.REMINDER_CALL, reminders.subject(a)))),
        },
        "created_at": _moment(a.created_at),
        "updated_at": _moment(a.updated_at),
    } for a in appointments]
