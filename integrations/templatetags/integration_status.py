"""``{% integrations_off "clawops" "order_calls" %}``: a warning on the pages whose actions
need those integrations, while any of them is off (nothing when all are on)."""

from __future__ import annotations

from typing import Any

from django import template

from integrations.jobs import integration_status as status

register = template.Library()


@register.inclusion_tag("admin/includes/integrations_off.html")
def integrations_off(*names: str) -> dict[str, Any]:
    return {"off": status.off(*names)}


@register.simple_tag
def integration_is_off(name: str) -> bool:
    """``{% integration_is_off "callbacks" as off %}``: hide an action that would do nothing."""
    return bool(status.off(name))
