"""The job ledger: every piece of outbound work as a row (product.md §5 rule 6).

One row per (kind, subject), written in the same transaction as the event that causes it,
so work is never lost and never doubled: a queue message only wakes a worker, which must
claim the row with a conditional UPDATE before doing anything.
"""

from __future__ import annotations

from django.db import models

from calls.models import Call


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
