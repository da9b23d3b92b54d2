"""``{% callback_panel call %}``: the callbacks of a call and the "call back" button, for
the call's admin page (calls/admin.py stays about what ClawOps reported)."""

from __future__ import annotations

from typing import Any

from django import template

from calls import labels
from calls.admin_display import admin_link, seoul_time
from calls.models import Call
from calls.phone import format_phone
from integrations.callbacks import callback_calls
from integrations.callbacks.admin import new_url
from integrations.jobs import integration_status, kinds, reasons
from integrations.jobs.display import state_text
from integrations.models import CallbackRequest, Job

register = template.Library()

SHOWN = 10


@register.inclusion_tag("admin/integrations/callbackrequest/panel.html", takes_context=True)
def callback_panel(context: template.Context, call: Call) -> dict[str, Any]:
    requests = list(CallbackRequest.objects.filter(call=call)
                    .select_related("placed_call", "requested_by")[:SHOWN])
    jobs = {
        job.subject: job
        for job in Job.objects.filter(kind=kinds.CALLBACK_CALL,
                                      subject__in=[callback_calls.subject(r.pk) for r in requests])
    }
    rows = []
    for request in requests:
        job = jobs.get(callback_calls.subject(request.pk))
        result = job.result if job else {}
        rows.append({
            "requested": seoul_time(request.requested_at),
            "by": request.requested_by.get_username(),
            "number": format_phone(request.number),
            "job_state": state_text(job.state if job else None, kinds.CALLBACK_CALL),
            "job_error": reasons.reason_text(job.last_error)[:200] if job else "",
            "placed_call": admin_link(request.placed_call,
                                      request.placed_call.call_id if request.placed_call else None),
            "placed_status": labels.call_status_text(request.placed_call.status)
            if request.placed_call else "-",
            "recording_url": result.get("recording_url", ""),
            "recording_duration": result.get("recording_duration", ""),
        })
    number = callback_calls.number_to_call(call)
    user = context["request"].user
    return {
        "rows": rows,
        "can_place": user.has_perm(callback_calls.PERMISSION),
        "number": format_phone(number) if number else "",
        "new_url": new_url(call),
        "nothing_sent": integration_status.nothing_sent("callbacks"),
    }
