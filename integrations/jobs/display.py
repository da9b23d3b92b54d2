"""How a job's state reads in admin, shared by the job list, the appointment, order and
call-back pages.

A pending job whose integration is off is shown as waiting for its settings, not as an
ordinary "pending": it will be skipped when it runs, and staff should know now.
"""

from __future__ import annotations

from django.utils.translation import gettext

from calls.admin_display import alert
from integrations.jobs import kinds
from integrations.models import JobState


def state_text(state: str | None, kind: str = "") -> str:
    """A job's state in words; a pending job that its missing settings will stop says so."""
    if state is None:
        return "-"
    if state == JobState.PENDING and kind:
        job_kind = kinds.table().get(kind)
        missing = kinds.missing_settings(job_kind.integration) if job_kind else ()
        if missing:
            return alert(gettext("Waiting for settings: %(settings)s")
                         % {"settings": ", ".join(missing)})
    label = JobState(state).label if state in JobState.values else state
    return alert(label) if state in (JobState.FAILED, JobState.UNKNOWN) else str(label)
