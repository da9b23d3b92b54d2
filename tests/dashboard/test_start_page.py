"""The start page at /admin/: the day's figures in Korean time, each linking to the list it
counts, missed callers not yet called back, the charts, and a fixed number of queries."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls.models import Call
from dashboard import day as day_module
from tests.dashboard.seed import NOW, at, call, seed_day

pytestmark = pytest.mark.django_db
START = "/admin/"


@pytest.fixture
def seeded():
    with time_machine.travel(NOW, tick=False):
        yield seed_day()


def figures(response, section: str) -> dict[str, int]:
    return {str(f.label): f.value for f in getattr(response.context["day"], section)}


def test_it_counts_todays_calls_in_korean_time(admin_client, seeded):
    response = admin_client.get(START)

    # Yesterday 23:30 Korean time is 14:30 UTC today: not today's.
    assert figures(response, "calls") == {"받은 전화": 5, "건 전화": 2, "응답": 3, "부재중": 3}
    assert response.context["day"].date_text == "2026-11-30"


def test_each_call_figure_links_to_the_list_it_counts(admin_client, seeded):
    for figure in admin_client.get(START).context["day"].calls:
        listed = admin_client.get(figure.url)
        assert listed.status_code == 200, figure.url
        assert listed.context["cl"].result_count == figure.value, figure.label


def test_every_other_figure_links_to_the_list_it_counts(admin_client, seeded):
    context = admin_client.get(START).context["day"]
    for figure in [*context.appointments, *context.orders, *context.jobs]:
        listed = admin_client.get(figure.url)
        assert listed.status_code == 200, figure.url
        assert listed.context["cl"].result_count == figure.value, figure.label


def test_it_lists_missed_callers_nobody_has_called_back(admin_client, seeded):
    day = admin_client.get(START).context["day"]

    # 010-2222-0000 was called back at 10:00; 010-3333-0000 tried twice and is waiting.
    assert [(c.number, c.tries, c.last_missed) for c in day.callers] == [
        ("010-3333-0000", 2, "11:20")]
    assert day.callers_total == 1
    last = Call.objects.get(call_id="CAmiss3")
    assert day.callers[0].callback_url.endswith(f"?call={last.pk}")


def test_a_caller_who_calls_again_and_is_answered_leaves_the_list(admin_client, seeded):
    call("CAback", "inbound", "01033330000", "completed", at(11, 40), 20, answered=True)

    assert admin_client.get(START).context["day"].callers == []


def test_it_counts_appointments_orders_and_jobs_that_need_a_person(admin_client, seeded):
    response = admin_client.get(START)

    assert figures(response, "appointments") == {
        "오늘 예약됨": 1, "오늘 확인됨": 2, "오늘 취소됨": 1, "오늘 직원 확인 필요": 1,
        "직원 확인 필요 (전체)": 2,
    }
    assert figures(response, "orders") == {"연결 안 됨": 2, "실패": 1}
    assert figures(response, "jobs") == {"실패": 1, "결과 확인 필요": 2}


def test_it_names_the_integrations_that_are_off(admin_client, seeded, settings):
    settings.SLACK_WEBHOOK_URL = ""

    page = admin_client.get(START).content.decode()

    section = page[page.index('id="day-off"'):]
    assert "Slack 알림 연동이 꺼져 있습니다(SLACK_WEBHOOK_URL 설정 없음)" in section
    assert "CRM 기록" not in section[:section.index("</div>")]


def test_the_charts_count_the_last_fourteen_days_in_korean_time(admin_client, seeded):
    charts = {chart.id: chart for chart in admin_client.get(START).context["charts"]}

    calls = charts["chart-calls"]
    assert calls.columns[-1] == "11-30" and calls.columns[0] == "11-17"
    answered, missed = (cells for _, cells in calls.rows)
    assert (answered[-1], missed[-1]) == ("3", "3")
    assert (answered[-2], missed[-2]) == ("0", "1")  # 23:30 yesterday, Korean time
    assert missed[-4] == "1"  # completed after 0 seconds counts as missed
    reminders = dict(charts["chart-reminders"].rows)
    assert [reminders[label][-1] for label in reminders] == ["1", "1", "1", "0", "1"]
    assert reminders["문자로 확인"][-2] == "1"
    rate = dict(charts["chart-missed-rate"].rows)["받은 전화 중 부재중 비율"]
    assert (rate[9], rate[10], rate[11], rate[23], rate[14]) == ("50%", "0%", "100%", "100%",
                                                               "100%")
    page = admin_client.get(START).content.decode()
    assert page.count("<svg viewBox") == 3 and "<script" not in page.split("<svg")[1]


def queries_of_the_start_page(client) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(START).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


def test_its_queries_do_not_grow_with_the_data(admin_client, seeded):
    """The page's queries, listed: session and user, then one aggregate per section and
    chart. More calls, callers, appointments or jobs add rows to them, never queries."""
    first = queries_of_the_start_page(admin_client)
    for i in range(40):
        call(f"CAmore{i}", "inbound", f"0109999{i:04d}", "no-answer", at(13, i))
    second = queries_of_the_start_page(admin_client)

    # Reads only: the session is also saved on every request (its idle expiry slides).
    tables = [re.search(r'FROM "(\w+)"', sql).group(1) for sql in first
              if sql.startswith("SELECT")]
    assert tables == [
        "django_session", "auth_user",
        "calls_call",  # today's figures
        "calls_call", "calls_call", "integrations_callbackrequest",  # missed callers
        "integrations_appointment", "integrations_appointment",  # today's and the queue
        "integrations_order", "integrations_job",
        "calls_call", "calls_call", "integrations_appointment",  # the three charts
    ]
    assert len(second) == len(first)


def test_todays_figures_read_the_call_log_by_its_started_at_index(admin_client, seeded):
    start, end = day_module.day_bounds(NOW)
    query = Call.objects.filter(started_at__gte=start, started_at__lt=end)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = query.explain()
        cursor.execute("SET enable_seqscan = on")
    assert "call_log_order" in plan


def test_a_front_desk_user_sees_what_is_theirs(client, seeded):
    call_command("setup_roles", verbosity=0)
    user = User.objects.create_user("desk", password="pw-desk-1", is_staff=True)
    user.groups.add(Group.objects.get(name="프런트 데스크"))
    client.force_login(user)

    response = client.get(START)

    day = response.context["day"]
    assert day.calls is not None and day.appointments is not None and day.can_call_back
    labels = [app["app_label"] for app in response.context["app_list"]]
    assert "django_q" not in labels and "auth" not in labels


def test_the_task_queue_comes_after_clawsites_own_lists(admin_client, seeded):
    labels = [app["app_label"] for app in admin_client.get(START).context["app_list"]]

    assert labels.index("calls") < labels.index("django_q")
    assert labels.index("integrations") < labels.index("django_q") < labels.index("auth")


def test_a_user_without_the_call_log_sees_no_call_figures(client, seeded):
    user = User.objects.create_user("viewer", password="pw-viewer-1", is_staff=True)
    client.force_login(user)

    day = client.get(START).context["day"]

    assert day.calls is None and day.callers is None and day.appointments is None
    assert client.get(START).context["charts"] == []


def test_a_call_answered_then_ended_after_0_s_counts_as_missed_only(admin_client):
    with time_machine.travel(NOW, tick=False):
        call("CAzero", "inbound", "01044440000", "completed", at(9), 0, answered=True)
        response = admin_client.get(START)

    counts = figures(response, "calls")
    assert (counts["응답"], counts["부재중"]) == (0, 1)
    assert [c.number for c in response.context["day"].callers] == ["010-4444-0000"]
