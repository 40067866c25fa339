"""Retry queues against the real broker: a worker started with other retry delays than the queues
already declared starts all the same (a queue's TTL can't change once declared)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from kombu import Connection

from tandem_dev.rabbitmq import create_vhost, delete_vhost, uri_for_vhost
from tandem_kit.events import Subscription
from tandem_kit.messaging import declare_consumer_queues, retry_queue_name

pytestmark = pytest.mark.interface


@pytest.fixture
def amqp(broker: str) -> Iterator[str]:
    vhost = create_vhost()
    if vhost is None:
        pytest.skip("needs rabbitmqctl to make a virtual host of its own")
    yield uri_for_vhost(broker, vhost)
    delete_vhost(vhost)


def _exists(amqp: str, queue: str) -> bool:
    with Connection(amqp) as conn:
        try:
            conn.default_channel.queue_declare(queue, passive=True)
        except Exception:
            return False
        return True


def test_new_retry_delays_get_new_queues_instead_of_a_worker_that_cannot_start(amqp: str) -> None:
    sub = Subscription("opportunities", "offer.made", "notifications", f"on_offer_made_{uuid.uuid4().hex[:6]}")
    declare_consumer_queues(amqp, [sub], [100, 300])

    declare_consumer_queues(amqp, [sub], [200, 1000, 5000])  # raised PRECONDITION_FAILED when names had no delay

    for attempt, delay in [(1, 100), (2, 300), (1, 200), (2, 1000), (3, 5000)]:
        assert _exists(amqp, retry_queue_name(sub.queue, attempt, delay)), (attempt, delay)
