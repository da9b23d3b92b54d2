"""The job ledger: every piece of outbound work as a row (product.md §5 rule 6).

One row per (kind, subject), written in the same transaction as the event that causes it,
so work is never lost and never doubled: a queue message only wakes a worker, which must
claim the row with a conditional UPDATE before doing anything.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.utils import timezone

from calls.models import Call, Message


class JobState(models.TextChoices):
    PENDING = "pending", "대기"
    RUNNING = "running", "실행 중"
    DONE = "done", "완료"
    FAILED = "failed", "실패"
    SKIPPED = "skipped", "건너뜀"
    # The worker stopped mid-request to a receiver that cannot dedupe: it may or may not
    # have been sent, and sending again could double it. Staff decide.
    UNKNOWN = "unknown", "결과 확인 필요"


OPEN_STATES = (JobState.PENDING, JobState.RUNNING)


class Job(models.Model):
    kind = models.CharField("종류", max_length=32)
    # What the job is about, unique per kind: a call id, an appointment, a request id.
    subject = models.CharField("대상", max_length=128)
    # Jobs of one kind that belong together (the caller's number for missed-call alerts).
    group_key = models.CharField("묶음", max_length=128, blank=True, db_index=True)
    call = models.ForeignKey(
        Call, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs",
        verbose_name="통화",
    )
    state = models.CharField(
        "상태", max_length=16, choices=JobState.choices, default=JobState.PENDING
    )
    attempts = models.PositiveIntegerField("시도 횟수", default=0)
    next_attempt_at = models.DateTimeField("다음 시도", null=True, blank=True)
    # While running: when the claim lapses and the sweeper may act on the row.
    lease_until = models.DateTimeField("점유 만료", null=True, blank=True)
    # Set just before a request leaves: a worker that dies after this point may have sent it.
    sending_since = models.DateTimeField("전송 시작", null=True, blank=True)
    # When a queue message was last sent for this row (so the sweeper does not flood).
    enqueued_at = models.DateTimeField("큐 전송", null=True, blank=True)
    last_error = models.TextField("마지막 오류", blank=True)
    payload = models.JSONField("입력", default=dict, blank=True)
    result = models.JSONField("결과", default=dict, blank=True)
    created_at = models.DateTimeField("생성", auto_now_add=True)
    updated_at = models.DateTimeField("변경", auto_now=True)
    finished_at = models.DateTimeField("종료", null=True, blank=True)

    class Meta:
        verbose_name = "작업"
        verbose_name_plural = "작업"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "subject"], name="job_once_per_subject")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="job_due")]
        permissions = [("retry_job", "작업을 다시 시도할 수 있음")]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} ({self.state})"


# --- Clinics and appointment reminders (S4) ---------------------------------------------


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


# --- Shop orders and staff callbacks (S2) ------------------------------------------------


class OrderStatus(models.TextChoices):
    RECEIVED = "received", "접수"
    CALLING = "calling", "통화 중"
    ANSWERED = "answered", "통화 완료"
    NOT_REACHED = "not_reached", "연결 안 됨"
    FAILED = "failed", "실패"


class Order(models.Model):
    order_id = models.CharField("주문 번호", max_length=64, unique=True)
    customer_name = models.CharField("고객 이름", max_length=100)
    customer_phone = models.CharField("고객 번호", max_length=32, db_index=True)
    customer_phone_raw = models.CharField("고객 번호(입력값)", max_length=64, blank=True)
    items = models.JSONField("주문 상품", default=list)
    total_price = models.PositiveIntegerField("금액(원)")
    status = models.CharField("상태", max_length=16, choices=OrderStatus.choices,
                              default=OrderStatus.RECEIVED)
    # The confirmation calls placed for this order, newest last (one retry at most).
    calls = models.ManyToManyField(Call, blank=True, related_name="orders",
                                   verbose_name="확인 전화")
    raw_body = models.BinaryField("받은 본문")
    received_at = models.DateTimeField("접수 시각", auto_now_add=True)

    class Meta:
        verbose_name = "주문"
        verbose_name_plural = "주문"
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.order_id


class CallbackRequest(models.Model):
    """A staff member's "call back" on a call: one ledger job each."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="callback_requests",
                             verbose_name="원래 통화")
    number = models.CharField("걸 번호", max_length=32)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     verbose_name="요청한 직원")
    requested_at = models.DateTimeField("요청 시각", auto_now_add=True)
    placed_call = models.ForeignKey(Call, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name="건 통화")

    class Meta:
        verbose_name = "콜백 요청"
        verbose_name_plural = "콜백 요청"
        ordering = ["-requested_at"]
        permissions = [("place_callback", "고객에게 다시 전화할 수 있음")]
