"""The admin's partial searches (part of a number, of an id, words of a message) are
LIKE '%…%' matches no btree answers: on PostgreSQL every column they read has a trigram
index (calls migrations 0004 and 0006) on the very expression Django writes for the match,
so the plan of the query the admin itself builds reads those indexes, never the table."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import RequestFactory

from calls.models import Call, Message

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's trigram indexes"),
]

MESSAGE_TEXT = ("message_body_upper_trgm",)
MESSAGE_ID = ("message_id_upper_trgm",)
MESSAGE_NUMBERS = ("message_from_number_trgm", "message_to_number_trgm")


def plan_of_the_admin_search(model, term: str) -> str:
    """The plan of the rows the model's admin lists for ``term``. An empty test table has no
    statistics to plan by, so only bitmap scans are left open: they need an index that
    answers every part of the match (an OR of one LIKE per column); without one the plan
    must read the whole table, by whatever scan (chosen however costly)."""
    model_admin = site._registry[model]
    request = RequestFactory().get("/", {"q": term})
    rows, _ = model_admin.get_search_results(request, model.objects.all(), term)
    with connection.cursor() as cursor:
        # SET LOCAL: until the test's transaction is rolled back.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        return rows.explain()


@pytest.mark.parametrize(("term", "indexes"), [
    ("5678", MESSAGE_TEXT + MESSAGE_ID + MESSAGE_NUMBERS),  # digits: numbers too
    ("MG3f7a", MESSAGE_TEXT + MESSAGE_ID),
    # Words at most two syllables long: not part of an id; the words' edges give trigrams.
    ("예약 안내", MESSAGE_TEXT),
])
def test_a_partial_message_search_reads_the_trigram_indexes_text_included(term, indexes):
    plan = plan_of_the_admin_search(Message, term)

    assert "upper(body) ~~" in plan  # the text is part of the match
    for index in indexes:
        assert f"Bitmap Index Scan on {index}" in plan


def test_a_partial_call_search_reads_the_trigram_indexes():
    plan = plan_of_the_admin_search(Call, "5678")

    for index in ("call_id_upper_trgm", "call_from_number_trgm", "call_to_number_trgm"):
        assert f"Bitmap Index Scan on {index}" in plan


@pytest.mark.parametrize(("term", "match"), [
    ("취소", "(body ~~ '%취소%'::text)"),  # no letters with a case: a plain LIKE
    ("Ok", "(body ~* 'Ok'::text)"),  # a case-insensitive regular expression
])
def test_a_short_word_matches_the_text_without_upper_casing_every_row(term, match):
    # No trigram to look up, so the text is read whole: at least without UPPER() of each.
    plan = plan_of_the_admin_search(Message, term)

    assert match in plan
    assert "upper(body)" not in plan
