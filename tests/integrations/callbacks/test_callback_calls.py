"""Staff callbacks: confirm in admin, one request and one job, the call placed with our
VoiceML, and the outcome on the original call's page."""

import json
import re
import threading
import time

import pytest
import respx
from django.contrib.auth.models import Permission, User
from django.db import connection, transaction
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from calls.models import Call
from integrations.callbacks import callback_calls
from integrations.jobs import kinds, ledger
from integrations.models import CallbackRequest, Job, JobState
from tests.clawops_api import API, call_created
from tests.helpers import fixture, post_form

pytestmark = pytest.mark.django_db
FROM = "07052351234"
NEW = reverse("admin:integrations_callbackrequest_new")


@pytest.fixture(autouse=True)
def callback_settings(settings):
    settings.CLAWOPS_FROM_NUMBER = FROM


@pytest.fixture
def missed(client) -> Call:
    post_form(client, fixture("status_no_answer"))  # inbound from 010-5555-1234
    return Call.objects.get(call_id="CA9f2c1e")


def staff(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=("view_call", *codenames)))
    return user


@pytest.fixture
def desk() -> User:
    return staff("desk", "place_callback", "view_callbackrequest")


@pytest.fixture
def viewer() -> User:
    return staff("viewer", "view_callbackrequest")


def logged_in(user: User, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def confirm(client: Client, call: Call):
    """Open the confirmation page, then post it back with its CSRF token, like a browser."""
    page = client.get(NEW, {"call": call.pk})
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    return client.post(f"{NEW}?call={call.pk}",
                       {"call": call.pk, "csrfmiddlewaretoken": token.group(1)})


def callback_jobs():
    return Job.objects.filter(kind=kinds.CALLBACK_CALL)


def test_it_shows_the_number_and_the_original_call_before_calling(missed, desk):
    page = logged_in(desk).get(NEW, {"call": missed.pk})

    assert page.status_code == 200
    html = page.content.decode()
    assert "010-5555-1234" in html
    assert "CA9f2c1e" in html and "응답 없음" in html
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
    assert not CallbackRequest.objects.exists()


def test_confirming_writes_one_request_and_one_job_and_returns_to_the_call(missed, desk):
    response = confirm(logged_in(desk, csrf=True), missed)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:calls_call_change", args=[missed.pk])
    request = CallbackRequest.objects.get()
    assert (request.call, request.number, request.requested_by) == (missed, "01055551234", desk)
    job = callback_jobs().get()
    assert job.subject == f"callback:{request.pk}"
    assert job.call == missed
    assert job.state == JobState.PENDING
    assert job.payload == {"request": request.pk}


def test_a_second_click_while_the_first_waits_creates_nothing(missed, desk):
    client = logged_in(desk)
    client.post(NEW, {"call": missed.pk})
    response = client.post(NEW, {"call": missed.pk}, follow=True)

    assert CallbackRequest.objects.count() == 1
    assert callback_jobs().count() == 1
    assert "이미 요청된 콜백" in response.content.decode()


def test_confirming_needs_the_csrf_token(missed, desk):
    response = logged_in(desk, csrf=True).post(NEW, {"call": missed.pk})

    assert response.status_code == 403
    assert not CallbackRequest.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_without_the_permission_get_403(missed, viewer, method):
    response = getattr(logged_in(viewer), method)(NEW, {"call": missed.pk})

    assert response.status_code == 403
    assert not CallbackRequest.objects.exists()


def test_it_sends_anonymous_users_to_the_login_page(client, missed):
    response = client.post(NEW, {"call": missed.pk})

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    assert not CallbackRequest.objects.exists()


@pytest.mark.parametrize("query", [{}, {"call": "abc"}, {"call": "999999"}])
def test_it_answers_404_without_a_known_call(desk, query):
    assert logged_in(desk).get(NEW, query).status_code == 404


def test_it_refuses_a_call_without_a_number_to_call(desk):
    hidden = Call.objects.create(call_id="CAanon", direction="inbound", from_number="anonymous",
                                 status="no-answer", started_at="2026-11-26T00:00:00Z")
    client = logged_in(desk)

    assert "전화를 걸 수 없습니다" in client.get(NEW, {"call": hidden.pk}).content.decode()
    assert client.post(NEW, {"call": hidden.pk}).status_code == 400
    assert not CallbackRequest.objects.exists()


@pytest.fixture
def requested(missed, desk) -> CallbackRequest:
    request, _ = callback_calls.request_callback(missed, desk)
    return request


@respx.mock
def test_the_job_calls_the_customer_from_our_number_with_our_script(requested):
    placed = respx.post(f"{API}/calls").mock(return_value=call_created("CAback1"))

    assert ledger.run(callback_jobs().get().pk) == JobState.DONE

    assert json.loads(placed.calls.last.request.content) == {
        "To": "01055551234",
        "From": FROM,
        "Url": f"https://clinic.example.com/voice/callbacks/{requested.pk}/",
        "StatusCallback": "https://clinic.example.com/webhooks/clawops/",
        "StatusCallbackEvent": "initiated ringing answered completed",
    }
    requested.refresh_from_db()
    assert requested.placed_call.call_id == "CAback1"
    assert requested.placed_call.direction == "outbound"
    assert callback_jobs().get().result == {"call_id": "CAback1"}


def test_the_job_is_skipped_while_no_from_number_is_set(requested, settings):
    settings.CLAWOPS_FROM_NUMBER = ""

    with respx.mock:
        assert ledger.run(callback_jobs().get().pk) == JobState.SKIPPED

    assert "CLAWOPS_FROM_NUMBER" in callback_jobs().get().last_error


def panel(call: Call, user: User) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load callback_admin %}{% callback_panel call %}")
    return template.render(Context({"call": call, "request": request}))


@respx.mock
def test_the_outcome_shows_on_the_original_call(client, missed, requested, desk):
    respx.post(f"{API}/calls").mock(return_value=call_created("CAback1"))
    ledger.run(callback_jobs().get().pk)
    post_form(client, {"CallId": "CAback1", "CallStatus": "no-answer", "Direction": "outbound",
                       "From": FROM, "To": "01055551234"})

    html = panel(missed, desk)

    assert "다시 전화" in html
    assert "desk" in html and "010-5555-1234" in html
    assert "완료" in html  # the job
    assert "CAback1" in html and "응답 없음" in html  # the call it placed
    assert f"{NEW}?call={missed.pk}" in html


def test_the_panel_offers_the_button_only_with_the_permission(missed, viewer):
    assert NEW not in panel(missed, viewer)


def test_the_voiceml_says_why_we_call_and_records_a_message(client, requested):
    response = post_form(client, {"CallId": "CAback1", "From": FROM, "To": "01055551234"},
                         path=f"/voice/callbacks/{requested.pk}/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    xml = response.content.decode()
    assert "다시 연락드렸습니다" in xml
    assert (f'action="https://clinic.example.com/voice/callbacks/{requested.pk}/done/"'
            in xml)
    assert "<Record" in xml and xml.rstrip().endswith("<Hangup /></Response>")


def test_the_voiceml_needs_the_clawops_signature(client, requested):
    response = client.post(f"/voice/callbacks/{requested.pk}/", data="CallId=CAback1",
                           content_type="application/x-www-form-urlencoded")

    assert response.status_code == 401


def test_an_unsigned_recording_report_changes_nothing(client, requested):
    before = callback_jobs().get().result
    response = client.post(f"/voice/callbacks/{requested.pk}/done/",
                           data="CallId=CAback1&RecordingUrl=https%3A%2F%2Fevil.example%2Fx.wav",
                           content_type="application/x-www-form-urlencoded")

    assert response.status_code == 401
    assert callback_jobs().get().result == before


def test_the_message_left_is_linked_on_the_call_page(client, missed, requested, desk):
    recording = "https://storage.example.com/rec/CAback1.wav?sig=abc"
    response = post_form(client, {"CallId": "CAback1", "RecordingUrl": recording,
                                  "RecordingDuration": "14"},
                         path=f"/voice/callbacks/{requested.pk}/done/")

    assert response.status_code == 200
    assert "<Hangup" in response.content.decode()
    assert callback_jobs().get().result["recording_url"] == recording
    assert recording.replace("&", "&amp;") in panel(missed, desk)


def sessions_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        # Activity is read once per transaction unless the snapshot is cleared.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                       " AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_a_message_kept_while_the_ledger_records_the_call_loses_neither_write():
    job = Job.objects.create(kind=kinds.CALLBACK_CALL, subject=callback_calls.subject(7),
                             state=JobState.RUNNING, attempts=1)
    recording = "https://storage.example.com/rec/CAback1.wav?sig=abc"
    errors: list[BaseException] = []

    def message_arrives() -> None:
        try:
            callback_calls.keep_voice_message(7, recording, "14")
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    arriving = threading.Thread(target=message_arrives)
    with transaction.atomic():
        # The worker records the placed call; its transaction holds the row until commit.
        ledger.record(job, ledger.Verdict(JobState.DONE, result={"call_id": "CAback1"}))
        arriving.start()
        deadline = time.monotonic() + 10
        while not sessions_waiting_on_a_lock() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sessions_waiting_on_a_lock() == 1  # the message's write waits for the record
    arriving.join(timeout=10)

    assert not errors, errors
    result = Job.objects.get(pk=job.pk).result
    assert result["call_id"] == "CAback1"
    assert result["recording_url"] == recording
    assert result["recording_duration"] == "14"


def test_the_requests_list_shows_each_request_with_its_job(missed, requested, desk):
    listing = logged_in(desk).get(reverse("admin:integrations_callbackrequest_changelist"))

    assert listing.status_code == 200
    html = listing.content.decode()
    assert "010-5555-1234" in html and "대기" in html and "다시 걸기" in html
