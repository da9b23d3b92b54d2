"""Wake-ups (integrations/jobs/wakeups.py): one waiting message stands for every due job, a
taken one makes way for the next, a lost one is sent again — and workers waking others at
the same moment send one message between them."""

from datetime import timedelta

import django_q.tasks
import pytest
from django.utils import timezone

from integrations.jobs import wakeups
from integrations.models import JobWakeup
from tests.helpers import in_parallel


@pytest.fixture
def sent(monkeypatch) -> list[tuple]:
    messages: list[tuple] = []
    monkeypatch.setattr(django_q.tasks, "async_task",
                        lambda *args, **kwargs: messages.append(args))
    return messages


@pytest.mark.django_db
def test_one_message_waits_for_every_wake_up_until_a_worker_takes_it(sent):
    assert wakeups.wake()  # the first ever makes the row
    assert not wakeups.wake()
    assert not wakeups.wake()
    wakeups.taken()
    assert wakeups.wake()

    assert sent == [(wakeups.RUN_DUE_TASK,)] * 2
    assert JobWakeup.objects.get(pk=1).sent_at is not None


@pytest.mark.django_db
def test_a_message_not_taken_up_in_time_is_sent_again(sent):
    JobWakeup.objects.create(pk=1, sent_at=timezone.now() - timedelta(seconds=5))
    assert not wakeups.wake()
    JobWakeup.objects.update(
        sent_at=timezone.now() - wakeups.REENQUEUE_AFTER - timedelta(seconds=1))
    assert wakeups.wake()

    assert sent == [(wakeups.RUN_DUE_TASK,)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("row_exists", [False, True], ids=["first ever", "after a taken one"])
def test_workers_waking_others_at_once_send_one_message(sent, row_exists):
    if row_exists:
        JobWakeup.objects.create(pk=1, sent_at=None)

    woke = in_parallel(8, wakeups.wake)

    assert sorted(woke) == [False] * 7 + [True]
    assert sent == [(wakeups.RUN_DUE_TASK,)]
