"""Phone numbers in the staff admin, stated once for every admin screen (calls and
integrations): the column that shows one, the search that finds one typed in any common
format, and the form value that must be a Korean number.

Numbers are stored in the domestic form (01012345678, calls.phone); staff type and read
010-1234-5678 or +82 10 1234 5678.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

from calls.phone import format_phone, korean_number, normalize_phone

_NON_DIGITS = re.compile(r"\D")
# Three letters or digits in a row: what pg_trgm needs to look part of an id up.
_TRIGRAM = re.compile(r"[^\W_]{3}")
_SHORT_WORD = re.compile(r"[^\W_]{1,2}")


def phone_column(
    field: str, label: Any, *, ordering: str | None = None
) -> Callable[[admin.ModelAdmin, Model], str]:
    """An admin column or read-only field showing the number at ``field`` (``a__b`` follows
    a relation) as Korean readers write it, or "-" when there is none."""
    read = attrgetter(field.replace("__", "."))

    @admin.display(description=label, ordering=ordering)
    def show(self: admin.ModelAdmin, obj: Model) -> str:
        return format_phone(read(obj) or "") or "-"

    return show


def search_by_number(
    queryset: QuerySet,
    term: str,
    number_fields: Iterable[str],
    *,
    id_fields: Iterable[str] = (),
    text_fields: Iterable[str] = (),
) -> QuerySet:
    """Find rows by a phone number in any common format, by an id, or by a name.

    "010-5555-1234", "+82 10 5555 1234" and "01055551234" all normalise to the stored
    domestic form and match it exactly, which the number indexes answer; so does an id typed
    whole. Only when that finds nothing does a partial match run ("5555", part of an id of
    three characters or more, a name or a message's words): on PostgreSQL trigram indexes
    answer it for calls and messages (calls migrations 0004 and 0006), elsewhere it reads
    the table.
    """
    number_fields, id_fields, text_fields = list(number_fields), list(id_fields), list(text_fields)
    term = term.strip()
    if not term:
        return queryset
    number = normalize_phone(term)
    exact = Q()
    for field in id_fields:
        exact |= Q(**{field: term})
    if number.isdigit():
        for field in number_fields:
            exact |= Q(**{field: number})
    if exact:
        found = queryset.filter(exact)
        if found.exists():
            return found

    partial = Q()
    # Part of an id is looked up by its trigrams: a term without three letters or digits in
    # a row has none, and matching it reads the whole table (a million calls) whenever few
    # ids hold it; two characters pick out no id in particular anyway.
    if _TRIGRAM.search(term):
        for field in id_fields:
            partial |= Q(**{f"{field}__icontains": term})
    # Words of a text are matched whatever their length: a two-syllable Korean word ("취소")
    # is a word. A lone word that short has no trigram (words next to a space do: "예약 ")
    # and reads the table, so it takes the cheapest match that means the same as
    # UPPER(text) LIKE UPPER('%…%'), which upper-cases every row's text: without letters
    # that have a case (Hangul, digits), the plain LIKE, a third of the time; otherwise a
    # case-insensitive regular expression, under half (bench/README.md). The word is
    # letters and digits only, so it is a regular expression matching itself.
    text_lookup = "icontains"
    if _SHORT_WORD.fullmatch(term):
        text_lookup = "contains" if term.upper() == term.lower() else "iregex"
    for field in text_fields:
        partial |= Q(**{f"{field}__{text_lookup}": term})
    if number.isdigit():
        digits = number
    elif any(char.isalpha() for char in term):
        # Letters make it an id or words, not a number: "CA0123abcd" is no caller's "0123"
        # (on the bench database those digits matched 1,493 calls to sort among a million).
        digits = ""
    else:
        digits = _NON_DIGITS.sub("", term)  # "5555-12": the digits typed
    if len(digits) >= 3:  # fewer digits would match nearly every number
        for field in number_fields:
            partial |= Q(**{f"{field}__contains": digits})
    return queryset.filter(partial) if partial else queryset.none()


class NumberSearchAdmin(admin.ModelAdmin):
    """A ModelAdmin whose search box finds rows by number (search_by_number)."""

    number_search_fields: tuple[str, ...] = ()
    id_search_fields: tuple[str, ...] = ()
    text_search_fields: tuple[str, ...] = ()

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        # What makes the admin show the search box; the search itself is below.
        return (*self.number_search_fields, *self.id_search_fields, *self.text_search_fields)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        found = search_by_number(
            queryset, search_term, self.number_search_fields,
            id_fields=self.id_search_fields, text_fields=self.text_search_fields,
        )
        return found, False


def korean_number_value(value: str) -> str:
    """A form's number as stored (01012345678), or the form error saying what is wrong:
    the same rule as the CSV import and the order webhook (calls.phone.korean_number)."""
    try:
        return korean_number(value)
    except ValueError as exc:
        raise forms.ValidationError(str(exc)) from None
