"""Admin for the call log: the call list, the call page, and the messages list."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calls.models import Call, Message, Summary, Transcript
from tests.helpers import fixture, post_form, post_json

pytestmark = pytest.mark.django_db

CALLS = reverse("admin:calls_call_changelist")
MESSAGES = reverse("admin:calls_message_changelist")


def make_call(call_id: str, **fields) -> Call:
    values = {
        "direction": "inbound",
        "from_number": "01011112222",
        "to_number": "07080009000",
        "status": "completed",
        "duration": 60,
        "started_at": timezone.now(),
    }
    values.update(fields)
    return Call.objects.create(call_id=call_id, **values)


def listed(response) -> set[str]:
    assert response.status_code == 200
    return {call.call_id for call in response.context["cl"].result_list}


def korean_midnight() -> datetime:
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def bulk_calls(count: int, offset: int = 0) -> None:
    now = timezone.now()
    Call.objects.bulk_create(
        Call(
            call_id=f"CAbulk{offset + i}",
            direction="outbound" if i % 3 == 0 else "inbound",
            from_number=f"010{offset + i:08d}",
            to_number="07052351234",
            status="no-answer" if i % 5 == 1 else "completed",
            duration=i % 300,
            started_at=now - timedelta(minutes=i),
        )
        for i in range(count)
    )


# --- the call list -----------------------------------------------------------------------


def test_it_lists_calls_with_the_columns_the_front_desk_reads(admin_client):
    post_form(admin_client, fixture("status_completed"))

    response = admin_client.get(CALLS)

    assert response.status_code == 200
    page = response.content.decode()
    assert "010-5555-1234" in page  # the customer, formatted
    assert "070-5235-1234" in page  # our line
    assert "2026-11-26 09:17" in page  # 00:17 UTC, shown in Korean time
    for text in ("수신", "통화 완료", "2분 0초", "사람"):
        assert text in page


def test_it_marks_missed_calls_in_the_list(admin_client):
    post_form(admin_client, fixture("status_no_answer"))

    page = admin_client.get(CALLS).content.decode()

    assert '<strong class="cs-alert">부재중</strong>' in page


def test_it_filters_missed_calls(admin_client):
    make_call("CAmissed", status="no-answer", duration=None)
    make_call("CAzero", status="completed", duration=0)
    make_call("CAtalked", status="completed", duration=120)
    make_call("CAnoduration", status="completed", duration=None)
    make_call("CAoutbound", direction="outbound", status="no-answer", duration=None)

    assert listed(admin_client.get(CALLS, {"missed": "yes"})) == {"CAmissed", "CAzero"}
    assert listed(admin_client.get(CALLS, {"missed": "no"})) == {
        "CAtalked", "CAnoduration", "CAoutbound"}


def test_it_filters_by_direction_and_status(admin_client):
    make_call("CAin")
    make_call("CAout", direction="outbound", from_number="07052351234", to_number="01033334444")
    make_call("CAbusy", status="busy")

    assert listed(admin_client.get(CALLS, {"direction__exact": "outbound"})) == {"CAout"}
    assert listed(admin_client.get(CALLS, {"status__exact": "busy"})) == {"CAbusy"}


def test_it_filters_by_the_korean_day_a_call_started(admin_client):
    now = timezone.localtime()
    make_call("CAtoday", started_at=now)
    make_call("CAlastmonth", started_at=now - timedelta(days=40))

    response = admin_client.get(CALLS)
    date_filter = next(spec for spec in response.context["cl"].filter_specs
                       if getattr(spec, "field_path", None) == "started_at")
    links = dict(date_filter.links)

    assert listed(admin_client.get(CALLS, links["오늘"])) == {"CAtoday"}
    assert listed(admin_client.get(CALLS, links["지난 7일"])) == {"CAtoday"}


@pytest.mark.parametrize("term", ["010-5555-1234", "+82 10 5555 1234", "01055551234",
                                  "CA7e1f2a"])
def test_it_finds_a_call_by_number_in_any_format_or_by_id(admin_client, term):
    post_form(admin_client, fixture("status_completed"))
    make_call("CAother", from_number="01099998888")

    assert listed(admin_client.get(CALLS, {"q": term})) == {"CA7e1f2a"}


def test_it_finds_calls_by_part_of_a_number(admin_client):
    make_call("CAa", from_number="01055551234")
    make_call("CAb", from_number="01077771234")
    make_call("CAc", from_number="01099998888")

    assert listed(admin_client.get(CALLS, {"q": "1234"})) == {"CAa", "CAb"}
    assert listed(admin_client.get(CALLS, {"q": "7777-1234"})) == {"CAb"}


def test_it_does_not_search_the_digits_of_an_id_as_part_of_a_number(admin_client):
    make_call("CAnumber", from_number="01001234567")

    assert listed(admin_client.get(CALLS, {"q": "CA0123abcd"})) == set()
    assert listed(admin_client.get(CALLS, {"q": "0123"})) == {"CAnumber"}
    assert listed(admin_client.get(CALLS, {"q": "0123-45"})) == {"CAnumber"}


def test_it_looks_up_part_of_an_id_from_three_characters(admin_client):
    make_call("CA7e1f2a")

    # Two characters have no trigram to look up: the search would read the whole log.
    assert listed(admin_client.get(CALLS, {"q": "7e"})) == set()
    assert listed(admin_client.get(CALLS, {"q": "7e1"})) == {"CA7e1f2a"}


def test_it_finds_calls_to_a_number_too(admin_client):
    make_call("CAout", direction="outbound", from_number="07052351234", to_number="01033334444")

    assert listed(admin_client.get(CALLS, {"q": "010 3333 4444"})) == {"CAout"}


def test_it_keeps_calls_read_only(admin_client):
    call = make_call("CAro")
    change = reverse("admin:calls_call_change", args=[call.pk])

    assert admin_client.get(reverse("admin:calls_call_add")).status_code == 403
    assert admin_client.post(change, {"status": "busy"}).status_code == 403
    assert admin_client.get(reverse("admin:calls_call_delete", args=[call.pk])).status_code == 403
    assert Call.objects.get().status == "completed"


def changelist_queries(client, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CALLS, params or {})
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_it_lists_calls_with_the_same_number_of_queries_for_any_number_of_rows(admin_client):
    bulk_calls(5)
    few = [changelist_queries(admin_client, p) for p in ({}, {"missed": "yes"}, {"q": "0100"})]

    bulk_calls(295, offset=5)
    many = [changelist_queries(admin_client, p) for p in ({}, {"missed": "yes"}, {"q": "0100"})]

    assert few == many


@pytest.mark.slow
def test_it_lists_a_hundred_thousand_calls_with_the_same_queries(admin_client):
    if connection.vendor != "postgresql":
        pytest.skip("bulk insert with generate_series needs PostgreSQL")
    bulk_calls(5, offset=200_000)
    # Each of these finds some of the first five calls, so both runs render rows.
    searches = ({}, {"missed": "yes"}, {"status__exact": "no-answer"}, {"q": "010-0020-0001"},
                {"q": "0020000"}, {"started_at__gte": str(korean_midnight())})
    few = [changelist_queries(admin_client, p) for p in searches]

    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO calls_call (call_id, direction, from_number, to_number, from_raw,
                to_raw, status, status_rank, duration, answered_by, hangup_cause,
                hangup_source, recording_url, started_at)
            SELECT 'CAgen' || i,
                   CASE WHEN i % 3 = 0 THEN 'outbound' ELSE 'inbound' END,
                   '010' || lpad(i::text, 8, '0'), '07052351234', '', '',
                   CASE WHEN i % 10 = 0 THEN 'no-answer' ELSE 'completed' END,
                   CASE WHEN i % 10 = 0 THEN 45 ELSE 49 END,
                   i % 300, 'human', '', '', '', now() - i * interval '1 minute'
            FROM generate_series(1, 100000) AS i
        """)
        cursor.execute("ANALYZE calls_call")

    many = []
    for params in searches:
        started = time.perf_counter()
        many.append(changelist_queries(admin_client, params))
        print(f"call list {params}: {(time.perf_counter() - started) * 1000:.0f} ms")

    assert Call.objects.count() == 100_005
    # No query per row; a result past a thousand rows is estimated, not counted: one fewer.
    assert all(large <= small for large, small in zip(many, few, strict=True)), (few, many)


# --- the call page -----------------------------------------------------------------------


def call_page(client, call_id: str):
    call = Call.objects.get(call_id=call_id)
    response = client.get(reverse("admin:calls_call_change", args=[call.pk]))
    assert response.status_code == 200
    return response


def test_it_shows_the_events_of_a_call_in_order_in_korean_time(admin_client):
    # Sent out of order: the timeline follows when things happened, not when they arrived.
    for name in ("status_completed", "status_ringing", "status_initiated", "status_answered"):
        post_form(admin_client, fixture(name))

    response = call_page(admin_client, "CA7e1f2a")

    events = response.context["events"]
    assert [(e["time"], e["status"]) for e in events] == [
        ("09:15:00", "발신 시작"),
        ("09:15:01", "벨 울림"),
        ("09:15:06", "응답"),
        ("09:17:06", "통화 완료"),
    ]
    assert "응답 주체: 사람" in events[-1]["details"]
    assert 'id="call-events"' in response.content.decode()


def test_it_shows_the_messages_exchanged_with_the_caller_newest_first(admin_client):
    post_form(admin_client, fixture("status_completed"))
    post_json(admin_client, fixture("json_message_received"))  # from 01055551234
    post_form(admin_client, fixture("message_received"))  # someone else
    base = datetime(2026, 11, 20, tzinfo=UTC)
    Message.objects.bulk_create(
        Message(message_id=f"MGout{i}", direction="outbound", status="sent",
                from_number="07052351234", to_number="01055551234", body=f"안내 {i}",
                created_at=base + timedelta(hours=i))
        for i in range(25)
    )

    response = call_page(admin_client, "CA7e1f2a")

    rows = response.context["nearby_messages"]
    assert len(rows) == 20
    assert "MG77a1" in rows[0]["link"]  # 2026-11-26, the newest
    assert "MGout24" in rows[1]["link"]
    page = response.content.decode()
    assert "MG3f7a01" not in page
    assert "안내 24" in page


def test_it_says_transcript_and_summary_are_not_there_yet(admin_client):
    post_form(admin_client, fixture("status_completed"))

    response = call_page(admin_client, "CA7e1f2a")

    page = response.content.decode()
    for section in ("call-transcript", "call-summary"):
        start = page.index(f'id="{section}"')
        assert "아직 없음" in page[start:page.index("</div>", start)]


def test_it_shows_the_transcript_and_the_summary(admin_client):
    post_form(admin_client, fixture("status_completed"))
    call = Call.objects.get()
    Transcript.objects.create(call=call, status="completed", segments=[
        {"speaker": "AGENT", "start": 0.0, "end": 2.5, "text": "안녕하세요, 행복치과입니다."},
        {"speaker": "CUSTOMER", "start": 65.2, "end": 68.0, "text": "예약을 바꾸고 싶어요."},
    ])
    Summary.objects.create(call=call, status="completed", result_json={
        "coreSummary": "예약 변경 요청", "decisions": ["목요일 3시로 변경"],
        "followUps": ["확인 문자 발송", "차트 갱신"], "sentiment": "positive",
    })

    page = call_page(admin_client, "CA7e1f2a").content.decode()

    for text in ("안녕하세요, 행복치과입니다.", "1:05", "고객", "예약 변경 요청",
                 "목요일 3시로 변경", "<li>차트 갱신</li>", "positive", "핵심 요약"):
        assert text in page
    transcript = page[page.index('id="call-transcript"'):]
    assert "아직 없음" not in transcript[:transcript.index("</div>")]


def test_it_links_the_call_to_its_raw_deliveries(admin_client):
    post_form(admin_client, fixture("status_ringing"))
    post_form(admin_client, fixture("status_completed"))
    post_form(admin_client, fixture("status_no_answer"))  # another call
    call = Call.objects.get(call_id="CA7e1f2a")

    response = call_page(admin_client, "CA7e1f2a")

    assert len(response.context["deliveries"]) == 2
    url = response.context["deliveries_url"]
    assert url in response.content.decode()
    deliveries = admin_client.get(url).context["cl"].result_list
    assert {d.call_id for d in deliveries} == {call.pk}
    assert len(deliveries) == 2


# --- messages ----------------------------------------------------------------------------


def test_it_lists_messages_with_numbers_and_an_excerpt(admin_client):
    post_form(admin_client, fixture("message_received"))

    response = admin_client.get(MESSAGES)

    page = response.content.decode()
    assert response.status_code == 200
    for text in ("010-1234-5678", "070-1234-1234", "네 확인했습니다", "수신", "2026-08-10 13:12"):
        assert text in page


@pytest.mark.parametrize("term", ["+82 10 1234 5678", "010-1234-5678", "MG3f7a01", "5678"])
def test_it_finds_a_message_by_number_or_id(admin_client, term):
    post_form(admin_client, fixture("message_received"))
    post_json(admin_client, fixture("json_message_received"))

    response = admin_client.get(MESSAGES, {"q": term})

    assert {m.message_id for m in response.context["cl"].result_list} == {"MG3f7a01"}


@pytest.mark.parametrize("term", ["확인", "확인했습니다", "네 확인"])
def test_it_finds_a_message_by_words_of_its_text_however_short(admin_client, term):
    post_form(admin_client, fixture("message_received"))
    post_json(admin_client, fixture("json_message_received"))

    response = admin_client.get(MESSAGES, {"q": term})

    assert {m.message_id for m in response.context["cl"].result_list} == {"MG3f7a01"}


@pytest.mark.parametrize("term", ["ok", "OK", "Ok", "k", "7시", "o"])
def test_it_finds_a_message_by_a_short_word_in_any_case(admin_client, term):
    now = timezone.now()
    Message.objects.create(message_id="MGok", body="ok, 7시에 뵙겠습니다", created_at=now)
    Message.objects.create(message_id="MGno", body="네 확인했습니다", created_at=now)

    response = admin_client.get(MESSAGES, {"q": term})

    assert {m.message_id for m in response.context["cl"].result_list} == {"MGok"}


def test_it_keeps_messages_read_only(admin_client):
    post_form(admin_client, fixture("message_received"))
    message = Message.objects.get()

    assert admin_client.get(reverse("admin:calls_message_add")).status_code == 403
    change = reverse("admin:calls_message_change", args=[message.pk])
    response = admin_client.get(change)
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert admin_client.post(change, {"body": "변경"}).status_code == 403
