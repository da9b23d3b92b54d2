"""A clinic's reminders (S4): the clinic, its appointments, opt-outs and patients' replies."""

from __future__ import annotations

from datetime import time

from django.db import models
from django.utils import timezone

from calls.models import Call, Message


class QuietHoursPolicy(models.TextChoices):
    SEND_EARLIER = "earlier", "조용한 시간 전에 미리 보냄"
    SKIP = "skip", "보내지 않음"


class Clinic(models.Model):
    name = models.CharField("병원 이름", max_length=100)
    phone = models.CharField("변경 문의 번호", max_length=32)
    from_number = models.CharField("발신 번호(ClawOps)", max_length=32)
    reminder_lead_minutes = models.PositiveIntegerField("안내 문자(예약 몇 분 전)", default=60)
    escalation_delay_minutes = models.PositiveIntegerField(
        "미확인 시 전화(문자 후 몇 분)", default=10
    )
    quiet_start = models.TimeField("조용한 시간 시작", default=time(21, 0))
    quiet_end = models.TimeField("조용한 시간 끝", default=time(8, 0))
    quiet_hours_policy = models.CharField(
        "조용한 시간에 걸리면", max_length=8, choices=QuietHoursPolicy.choices,
        default=QuietHoursPolicy.SEND_EARLIER,
    )

    class Meta:
        verbose_name = "병원"
        verbose_name_plural = "병원"

    def __str__(self) -> str:
        return self.name


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "예약됨"
    CONFIRMED = "confirmed", "확인됨"
    CANCELLED = "cancelled", "취소됨"
    NEEDS_STAFF = "needs_staff", "직원 확인 필요"


class Appointment(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="appointments",
                               verbose_name="병원")
    patient_name = models.CharField("환자 이름", max_length=100)
    phone = models.CharField("전화번호", max_length=32, db_index=True)
    phone_raw = models.CharField("전화번호(입력값)", max_length=64, blank=True)
    starts_at = models.DateTimeField("예약 시각", db_index=True)
    status = models.CharField("상태", max_length=16, choices=AppointmentStatus.choices,
                              default=AppointmentStatus.SCHEDULED, db_index=True)
    # A reschedule starts a new reminder cycle: jobs are keyed by it, so each cycle
    # reminds once and an old cycle's jobs find themselves outdated.
    cycle = models.PositiveIntegerField("안내 회차", default=1)
    # The booking system's own id, when the appointment came through the API: unique per
    # clinic, so the same booking sent twice is one appointment.
    external_id = models.CharField("예약 시스템 ID", max_length=64, null=True, blank=True)
    # The reminders of the current cycle, once sent.
    reminder_message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name="안내 문자",
    )
    reminder_call = models.ForeignKey(
        Call, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name="안내 전화",
    )
    staff_note = models.TextField("직원 확인 사유", blank=True)
    created_at = models.DateTimeField("등록", auto_now_add=True)
    updated_at = models.DateTimeField("변경", auto_now=True)

    class Meta:
        verbose_name = "예약"
        verbose_name_plural = "예약"
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "external_id"],
                                    name="appointment_external_id_per_clinic"),
        ]

    def __str__(self) -> str:
        try:
            return f"{self.patient_name} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"
        except OverflowError:  # a time at the calendar's edge; in UTC rather than nowhere
            return f"{self.patient_name} {self.starts_at:%Y-%m-%d %H:%M} UTC"


class OptOut(models.Model):
    """A number that asked for no more reminders (수신거부 / STOP)."""

    phone = models.CharField("전화번호", max_length=32, unique=True)
    reason = models.TextField("받은 문자", blank=True)
    created_at = models.DateTimeField("시각", auto_now_add=True)

    class Meta:
        verbose_name = "수신 거부"
        verbose_name_plural = "수신 거부"

    def __str__(self) -> str:
        return self.phone


class ReplyIntent(models.TextChoices):
    CONFIRM = "confirm", "확인"
    CANCEL = "cancel", "취소"
    OPT_OUT = "opt_out", "수신 거부"
    OTHER = "other", "직원 확인 필요"


class AppointmentReply(models.Model):
    """An inbound SMS matched to an appointment (or to none), with what it was read as."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="reply",
                                   verbose_name="문자")
    appointment = models.ForeignKey(Appointment, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="replies", verbose_name="예약")
    intent = models.CharField("해석", max_length=16, choices=ReplyIntent.choices)
    created_at = models.DateTimeField("시각", auto_now_add=True)

    class Meta:
        verbose_name = "환자 답장"
        verbose_name_plural = "환자 답장"
        ordering = ["-created_at"]


class ReminderKeyPress(models.Model):
    """The key a patient pressed during one reminder call. One row per ClawOps call: a
    Gather request posted again (a retry, or a captured request replayed later) finds it
    and changes nothing, so a staff decision taken since is never undone by an old press."""

    call_id = models.CharField("통화 ID", max_length=64)
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE,
                                    related_name="key_presses", verbose_name="예약")
    digits = models.CharField("누른 번호", max_length=16)
    received_at = models.DateTimeField("시각", auto_now_add=True)

    class Meta:
        verbose_name = "안내 전화 응답"
        verbose_name_plural = "안내 전화 응답"
        constraints = [models.UniqueConstraint(fields=["call_id"], name="key_press_once_per_call")]
