"""Admin lists on large tables: estimated counts past a threshold, ties broken with the sort."""


import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls import admin_lists
from calls.admin_lists import EXACT_COUNT_UP_TO, EstimatedCountPaginator
from calls.models import Call

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="planner estimates"),
]
CALLS = "/admin/calls/call/"


def many_calls(count: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO calls_call (call_id, direction, from_number, to_number, from_raw,
                to_raw, status, status_rank, duration, answered_by, hangup_cause,
                hangup_source, recording_url, started_at)
            SELECT 'CAmany' || i, 'inbound', '010' || lpad(i::text, 8, '0'), '07052351234',
                   '', '', CASE WHEN i %% 100 = 0 THEN 'busy' ELSE 'completed' END, 0,
                   i %% 300, 'human', '', '', '', now() - i * interval '1 minute'
            FROM generate_series(1, %s) AS i
        """, [count])
        cursor.execute("ANALYZE calls_call")


def counted(rows) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        count = EstimatedCountPaginator(rows, 100).count
    return count, [query["sql"] for query in queries.captured_queries]


def test_it_estimates_a_large_result_without_reading_it():
    many_calls(20_000)

    count, queries = counted(Call.objects.all())

    assert abs(count - 20_000) < 2_000  # the planner's figure, from ANALYZE
    assert len(queries) == 1 and queries[0].startswith("EXPLAIN")


def test_it_counts_a_small_result_exactly():
    many_calls(20_000)

    count, queries = counted(Call.objects.filter(status="busy"))

    assert count == 200
    assert any("COUNT(*)" in sql for sql in queries)


def test_it_counts_at_most_one_row_past_the_threshold_when_the_estimate_is_low(monkeypatch):
    many_calls(EXACT_COUNT_UP_TO + 50)
    monkeypatch.setattr(admin_lists, "planner_estimate", lambda rows: 10)  # stale statistics

    count, queries = counted(Call.objects.all())

    assert count == EXACT_COUNT_UP_TO + 1
    assert any(f"LIMIT {EXACT_COUNT_UP_TO + 1}" in sql for sql in queries)


def test_it_sorts_ascending_with_ties_broken_ascending(admin_client):
    Call.objects.bulk_create(
        Call(call_id=f"CAtie{i}", direction="inbound", from_number="01012345678",
             to_number="07052351234", status="completed", duration=30,
             started_at=timezone.now())
        for i in range(3)
    )

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CALLS, {"o": "7"})  # 통화 시간, ascending (0: the checkbox)

    assert response.status_code == 200
    listing = next(q["sql"] for q in queries.captured_queries if "LIMIT 100" in q["sql"])
    assert listing.split("ORDER BY")[1].startswith(
        ' "calls_call"."duration" ASC, "calls_call"."id" ASC')
    shown = [call.call_id for call in response.context["cl"].result_list]
    assert shown == ["CAtie0", "CAtie1", "CAtie2"]


def test_it_counts_a_search_that_can_match_nothing_without_failing(admin_client):
    many_calls(10)

    response = admin_client.get("/admin/calls/webhookdelivery/", {"q": "CAnosuchcall"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
