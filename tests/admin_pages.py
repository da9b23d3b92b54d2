"""Every admin page that shows stored rows, for tests that open them all: the list of each
registered model, filtered by each of its filters, and the page of each row."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib import admin
from django.test import Client
from django.urls import reverse

# The apps whose rows come from outside (webhooks, shops, CSV) or from the ledger.
APPS = ("calls", "integrations")


def admin_page_urls(rows_per_model: int = 25) -> Iterator[str]:
    for model in admin.site._registry:
        meta = model._meta
        if meta.app_label not in APPS:
            continue
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        yield changelist
        yield changelist + "?q=010"
        yield changelist + "?o=-1"
        for pk in model.objects.order_by("-pk").values_list("pk", flat=True)[:rows_per_model]:
            yield reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk])


def nul_filter_urls() -> Iterator[str]:
    """Each list with a NUL byte in a filter value and in the search box."""
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        if meta.app_label not in APPS:
            continue
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        yield changelist + "?q=%00"
        for list_filter in model_admin.list_filter:
            if isinstance(list_filter, str):
                yield f"{changelist}?{list_filter}__exact=%00"
        yield changelist + "?id__exact=%00"


def server_errors(client: Client, urls: Iterator[str]) -> dict[str, int]:
    """The URLs among ``urls`` that answer 5xx (or whose answer cannot be encoded)."""
    failures: dict[str, int] = {}
    for url in urls:
        response = client.get(url)
        if response.status_code >= 500:
            failures[url] = response.status_code
    return failures
