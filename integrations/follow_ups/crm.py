"""S3: one CRM activity per finished call, with its transcript and summary.

``POST {CRM_API_URL}/activities`` with a bearer token and an ``Idempotency-Key`` derived from
the call, so a resend after a lost answer cannot create a second record.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist

from calls.models import Call, Summary, Transcript
from integrations.jobs import ledger
from integrations.jobs.outcomes import Done
from integrations.models import Job
from integrations.outbound import http


def push_activity(job: Job) -> Done:
    call = job.call
    if call is None:
        return Done({"skipped": "the call was deleted"})
    body = activity(call)
    ledger.mark_sending(job)
    response = http.post_json(
        "CRM",
        f"{settings.CRM_API_URL}/activities",
        body,
        headers={
            "Authorization": f"Bearer {settings.CRM_API_TOKEN}",
            "Idempotency-Key": idempotency_key(call),
        },
    )
    return Done({"status": response.status_code, "summary_included": bool(body["summary"]),
                 "transcript_lines": body["transcript"].count("\n") + bool(body["transcript"])})


def idempotency_key(call: Call) -> str:
    return f"clawsite-call-{call.call_id}"


def activity(call: Call) -> dict[str, object]:
    """The S3 body: type, phone, duration, summary, transcript as "[speaker] text" lines."""
    transcript: Transcript | None = _one_to_one(call, "transcript")
    summary: Summary | None = _one_to_one(call, "summary")
    lines = [
        f"[{segment.get('speaker', '?')}] {segment.get('text', '')}"
        for segment in (transcript.segments if transcript else [])
    ]
    return {
        "type": "call",
        "phone": call.customer_number,
        "duration": call.duration or 0,
        "summary": summary.core_summary if summary else "",
        "transcript": "\n".join(lines),
        "call_id": call.call_id,
    }


def _one_to_one(call: Call, name: str) -> Transcript | Summary | None:
    """The call's transcript or summary: already loaded when the job was claimed (the
    claim's select_related), read now otherwise."""
    try:
        return getattr(call, name)
    except ObjectDoesNotExist:
        return None
