"""The audit trail: who looked at or did what to personal data, and when.

Every action that shows a transcript or summary, places a call-back, replays a delivery,
retries a job, exports, imports or erases calls ``record`` itself, in its own request or
command. Entries are read-only in admin, for administrators, and no purge removes them:
they outlive the data they speak of, so they never hold a phone number or a body — only
what was done to which row.
"""

from __future__ import annotations

from typing import Any


def record(user: Any, action: str, subject: Any, detail: str = "") -> None:
    """Write one audit entry.

    ``user``: the staff member (a User), or None for a command run by an operator.
    ``action``: one of ``AuditAction`` (``"view_transcript"``, ``"callback"``, ``"replay"``,
    ``"retry_job"``, ``"export"``, ``"import"``, ``"erase"``).
    ``subject``: the row acted on (a model instance is named ``app.Model #pk``) or a short
    text such as ``"appointments.csv"``; never a phone number or a message body.
    """
    from django.db.models import Model

    from integrations.audit.models import AuditEntry

    if isinstance(subject, Model):
        subject = f"{subject._meta.label} #{subject.pk}"
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    AuditEntry.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        action=str(action),
        subject=str(subject)[:200],
        detail=str(detail)[:2000],
    )


def record_transcript_view(request: Any, call: Any, page_context: dict[str, Any]) -> None:
    """A change page showed ``call``'s transcript or summary (``page_context`` is what the
    page rendered): audit it, once per page view."""
    if request.method == "GET" and call is not None and (
            page_context.get("transcript") or page_context.get("summary")):
        record(request.user, "view_transcript", call)
