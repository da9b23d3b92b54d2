"""POST /webhooks/clawops/: every webhook kind, through the real signature path."""

import pytest
from django.utils.dateparse import parse_datetime

from calls.models import Call, CallEvent, Message, MessageEvent, WebhookDelivery
from tests.helpers import fixture, post_form, post_json

pytestmark = pytest.mark.django_db


def test_it_records_a_status_callback_with_its_optional_fields(client):
    response = post_form(client, fixture("status_completed"))

    assert response.status_code == 200
    assert response.json()["outcome"] == "processed"
    call = Call.objects.get(call_id="CA7e1f2a")
    assert (call.direction, call.status, call.duration) == ("inbound", "completed", 120)
    assert (call.from_number, call.from_raw) == ("01055551234", "010-5555-1234")
    assert call.to_number == "07052351234"
    assert (call.answered_by, call.hangup_cause, call.hangup_source) == (
        "human", "normal_clearing", "caller")
    assert call.sip_response_code == 200
    assert call.recording_url.endswith("/recordings/CA7e1f2a")
    assert call.ended_at == parse_datetime("2026-11-26T00:17:06Z")
    event = call.events.get()
    assert (event.kind, event.status) == ("status", "completed")
    assert event.details["answered_by"] == "human"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.scheme, delivery.kind, delivery.call) == ("x-signature", "call_status", call)
    assert b"CallStatus=completed" in bytes(delivery.body)


def test_it_records_each_stage_with_its_own_timestamp(client):
    for name in ("status_initiated", "status_ringing", "status_answered", "status_completed"):
        assert post_form(client, fixture(name)).status_code == 200

    call = Call.objects.get(call_id="CA7e1f2a")
    assert call.initiated_at == parse_datetime("2026-11-26T00:15:00Z")
    assert call.ringing_at == parse_datetime("2026-11-26T00:15:01Z")
    assert call.answered_at == parse_datetime("2026-11-26T00:15:06Z")
    assert call.ended_at == parse_datetime("2026-11-26T00:17:06Z")
    assert call.started_at == call.initiated_at
    assert list(call.events.values_list("status", flat=True)) == [
        "initiated", "ringing", "in-progress", "completed"]


def test_it_accepts_answered_as_a_spelling_of_in_progress(client):
    post_form(client, dict(fixture("status_answered"), CallStatus="answered"))
    assert Call.objects.get().status == "in-progress"


def test_it_records_a_missed_inbound_call(client):
    post_form(client, fixture("status_no_answer"))
    call = Call.objects.get(call_id="CA9f2c1e")
    assert call.status == "no-answer"
    assert call.is_missed


def test_it_records_transfer_events_once_per_sequence_and_status(client):
    post_form(client, fixture("transfer_connected"))
    post_form(client, fixture("transfer_completed"))
    response = post_form(client, fixture("transfer_completed"))  # documented re-send

    assert response.json()["outcome"] == "duplicate"
    events = CallEvent.objects.filter(kind="transfer")
    assert sorted(events.values_list("sequence", "status")) == [(1, "completed"), (1, "connected")]
    completed = events.get(status="completed")
    assert completed.details["TransferDuration"] == "45"
    assert events.get(status="connected").details["TransferReason"] == "예약 변경"
    # A transfer event carries no CallStatus: it must not change the call's status.
    assert Call.objects.get().status == ""


def test_it_records_a_received_message_with_its_media(client):
    response = post_form(client, fixture("message_received"))

    assert response.status_code == 200
    message = Message.objects.get(message_id="MG3f7a01")
    assert (message.direction, message.status, message.type) == ("inbound", "received", "mms")
    assert message.body == "네 확인했습니다"
    assert message.from_number == "01012345678"
    assert len(message.media_urls) == 2
    assert message.media_urls[1].endswith("/media/1")
    assert WebhookDelivery.objects.get().message == message


@pytest.mark.parametrize(("name", "status"), [("message_sent", "sent"),
                                              ("message_failed", "failed")])
def test_it_records_outbound_message_outcomes(client, name, status):
    post_form(client, fixture(name))
    message = Message.objects.get()
    assert message.status == status
    assert MessageEvent.objects.get().status == status


@pytest.mark.parametrize(
    ("name", "kind", "status"),
    [("transcript_completed", "transcript", "completed"),
     ("summary_completed", "summary", "completed"),
     ("recording_failed", "recording", "failed")],
)
def test_it_stores_artifact_events_linked_to_their_call(client, name, kind, status):
    post_form(client, fixture("status_completed"))
    response = post_form(client, fixture(name))

    assert response.json()["outcome"] == "processed"
    call = Call.objects.get(call_id="CA7e1f2a")
    assert call.events.filter(kind=kind, status=status).exists()
    assert WebhookDelivery.objects.filter(kind=kind, call=call).count() == 1


def test_it_links_an_artifact_event_that_arrives_before_its_call(client):
    post_form(client, fixture("transcript_completed"))
    post_form(client, fixture("status_completed"))
    call = Call.objects.get()
    assert call.status == "completed"
    assert call.events.count() == 2


def test_it_stores_an_unknown_signed_kind_and_answers_200(client):
    response = post_form(client, fixture("agent_connected"))

    assert response.status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert (delivery.kind, delivery.outcome) == ("unknown", "ignored")
    assert "agent.connected" in delivery.error
    assert not Call.objects.exists()


def test_it_accepts_the_json_scheme_for_calls_and_messages(client):
    assert post_json(client, fixture("json_call_completed")).status_code == 200
    assert post_json(client, fixture("json_message_received")).status_code == 200

    call = Call.objects.get(call_id="CA9f2c1e")
    assert (call.status, call.duration, call.is_missed) == ("completed", 0, True)
    assert call.ended_at == parse_datetime("2026-11-26T00:15:02Z")
    assert Message.objects.get(message_id="MG77a1").body == "1"
    assert set(WebhookDelivery.objects.values_list("scheme", flat=True)) == {"clawops-signature"}


def test_it_keeps_one_event_for_the_same_event_in_both_schemes(client):
    form = {"CallId": "CA9f2c1e", "CallStatus": "completed", "Direction": "inbound",
            "From": "01055551234", "To": "07052351234", "CallDuration": "0"}
    assert post_form(client, form).json()["outcome"] == "processed"
    assert post_json(client, fixture("json_call_completed")).json()["outcome"] == "duplicate"

    assert CallEvent.objects.count() == 1
    assert WebhookDelivery.objects.count() == 2


def test_it_changes_nothing_when_a_delivery_is_sent_again(client):
    post_form(client, fixture("status_completed"))
    before = list(Call.objects.values())

    response = post_form(client, fixture("status_completed"))

    assert response.json()["outcome"] == "duplicate"
    assert list(Call.objects.values()) == before
    assert CallEvent.objects.count() == 1
