"""Transcript and summary of a connected call: fetched from ClawOps, polled while pending,
stored once per call; when both are final the CRM record is sent without waiting longer."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from calls.models import ArtifactStatus, Summary, Transcript
from integrations.jobs import kinds, ledger, reasons
from integrations.jobs.outcomes import Done, NotYet
from integrations.models import Job
from integrations.outbound import clawops

FINAL = {ArtifactStatus.COMPLETED, ArtifactStatus.FAILED, ArtifactStatus.NOT_REQUESTED}


def fetch_artifacts(job: Job) -> Done | NotYet:
    call = job.call
    if call is None:
        return Done({"skipped": "the call was deleted"})
    transcript = clawops.get_transcript(call.call_id)
    summary = clawops.get_summary(call.call_id)
    now = timezone.now()
    Transcript.objects.update_or_create(call=call, defaults={
        "status": transcript.status,
        "segments": [segment.model_dump() for segment in transcript.segments or []],
        "error": str(transcript.error or ""),
        "fetched_at": now,
    })
    Summary.objects.update_or_create(call=call, defaults={
        "status": summary.status,
        "result_json": summary.result_json or {},
        "error": str(summary.failed_reason or ""),
        "fetched_at": now,
    })
    states = {"transcript": transcript.status, "summary": summary.status}
    pending = [name for name, state in states.items() if state not in FINAL]
    delays = settings.ARTIFACT_POLL_DELAYS
    asked = ledger.polls(job) + 1  # delays[0] was the wait before the first ask
    if pending and asked < len(delays):
        return NotYet(reasons.still_pending(pending), delays[asked])
    # Final, or waited long enough: the CRM record goes now with what exists.
    ledger.make_due_now(kinds.CRM_ACTIVITY, call.call_id)
    return Done(states)
