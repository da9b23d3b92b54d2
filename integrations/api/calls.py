"""A clinic's calls for CRMs that pull: every call to or from one of the clinic's numbers
(the ClawOps number reminders go out from, and the number patients call)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from calls.models import ArtifactStatus, Call
from calls.phone import normalize_phone
from integrations.models import Clinic


def of_clinic(clinic: Clinic) -> QuerySet[Call]:
    numbers = {normalize_phone(n) for n in (clinic.from_number, clinic.phone) if n.strip()}
    return (Call.objects.filter(Q(from_number__in=numbers) | Q(to_number__in=numbers))
            .select_related("transcript", "summary"))


def _ready(call: Call, name: str) -> Any:
    artifact = getattr(call, name, None)  # reverse one-to-one: absent until fetched
    if artifact is None or artifact.status != ArtifactStatus.COMPLETED:
        return None
    return artifact


def represent(call: Call) -> dict[str, Any]:
    summary = _ready(call, "summary")
    transcript = _ready(call, "transcript")
    return {
        "call_id": call.call_id,
        "direction": call.direction,
        "status": call.status,
        "from_number": call.from_number,
        "to_number": call.to_number,
        "started_at": timezone.localtime(call.started_at).isoformat(),
        "answered_at": timezone.localtime(call.answered_at).isoformat()
        if call.answered_at else None,
        "ended_at": timezone.localtime(call.ended_at).isoformat() if call.ended_at else None,
        "duration": call.duration,
        "missed": call.is_missed,
        "summary": None if summary is None else {"text": summary.core_summary,
                                                  "result": summary.result_json},
        "transcript": None if transcript is None else [
            {"speaker": str(s.get("speaker", "")), "start": _seconds(s.get("start")),
             "end": _seconds(s.get("end")), "text": str(s.get("text", ""))}
            for s in transcript.segments if isinstance(s, dict)],
    }


def _seconds(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
