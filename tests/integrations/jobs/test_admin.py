"""The job ledger in admin: filters, the call link, the missed-call count, "retry now",
and the banner that names integrations that are off."""

import pytest
from django.utils import timezone

from integrations.jobs import kinds
from integrations.models import Job, JobState
from tests.helpers import post_form

pytestmark = pytest.mark.django_db
JOBS = "/admin/integrations/job/"


def missed(client, call_id: str, at: str) -> None:
    post_form(client, {"CallId": call_id, "CallStatus": "no-answer", "Direction": "inbound",
                       "From": "01055551234", "To": "07052351234", "Timestamp": at})


@pytest.fixture
def jobs(client) -> list[Job]:
    missed(client, "CAm1", "2026-11-26T00:00:00Z")
    missed(client, "CAm2", "2026-11-26T00:10:00Z")  # counted on the first alert
    post_form(client, {"CallId": "CAok", "CallStatus": "completed", "Direction": "inbound",
                       "From": "01011112222", "To": "07052351234", "CallDuration": "90"})
    Job.objects.filter(kind=kinds.CRM_ACTIVITY).update(
        state=JobState.FAILED, last_error="CRM answered 401: bad token")
    return list(Job.objects.order_by("id"))


def test_it_lists_jobs_with_call_link_and_missed_count(admin_client, jobs):
    page = admin_client.get(JOBS).content.decode()
    alert = Job.objects.get(kind=kinds.SLACK_MISSED_CALL)

    assert "부재중 Slack 알림" in page and "CRM 통화 기록" in page
    assert f'/admin/calls/call/{alert.call_id}/change/' in page
    assert '<td class="field-missed_call_count">2</td>' in page
    assert "CRM answered 401: bad token" in page


def test_it_filters_by_kind_and_state(admin_client, jobs):
    by_kind = admin_client.get(JOBS, {"kind": kinds.FETCH_ARTIFACTS})
    by_state = admin_client.get(JOBS, {"state__exact": JobState.FAILED})

    assert list(by_kind.context["cl"].result_list) == list(
        Job.objects.filter(kind=kinds.FETCH_ARTIFACTS))
    assert [job.kind for job in by_state.context["cl"].result_list] == [kinds.CRM_ACTIVITY]


def test_retry_now_makes_the_selected_jobs_due_with_a_fresh_schedule(admin_client, jobs):
    failed = Job.objects.get(kind=kinds.CRM_ACTIVITY)
    Job.objects.filter(pk=failed.pk).update(attempts=7)

    response = admin_client.post(JOBS, {"action": "retry_now", "_selected_action": [failed.pk]},
                                 follow=True)

    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (JobState.PENDING, 0)
    assert failed.next_attempt_at <= timezone.now()
    assert "1건을 다시 시도합니다." in response.content.decode()


def test_it_says_which_integrations_are_off(admin_client, jobs, settings):
    settings.SLACK_WEBHOOK_URL = ""
    page = admin_client.get(JOBS).content.decode()
    assert "Slack 알림 연동이 꺼져 있습니다(SLACK_WEBHOOK_URL 설정 없음)" in page
    assert "CRM 기록 연동이 꺼져" not in page


def test_jobs_cannot_be_added_or_deleted_by_hand(admin_client, jobs):
    assert admin_client.get(JOBS + "add/").status_code == 403
    assert admin_client.get(f"{JOBS}{jobs[0].pk}/delete/").status_code == 403


def test_it_finds_jobs_by_call_id_subject_or_caller_number(admin_client, jobs):
    alert = Job.objects.get(kind=kinds.SLACK_MISSED_CALL)
    others = Job.objects.exclude(call=alert.call)

    def found(term: str) -> set[int]:
        return {job.pk for job in admin_client.get(JOBS, {"q": term}).context["cl"].result_list}

    by_call = found(alert.call.call_id)
    assert alert.pk in by_call and not by_call & set(others.values_list("pk", flat=True))
    assert alert.pk in found(alert.subject)
    assert alert.pk in found("010-5555-1234")  # the caller, as the alerts group them
    assert found(alert.call.from_number[:5]) == set()  # exact matches only: no table scan
