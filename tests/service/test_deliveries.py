"""Webhook delivery from the outbox (service/deliveries.py) on a real store with a pinned clock: signing,
backoff at its exact bounds, giving up, and an event only for a change that happened."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from stageward.client import Client, LocalTransport
from stageward.service.context import Context
from stageward.service.deliveries import MAX_ATTEMPTS, deliver_due, retry_delay
from stageward.testing import FrozenClock


def test_retry_delays_double_from_five_seconds_up_to_an_hour() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [5, 10, 20]
    assert retry_delay(10).total_seconds() == 2560
    assert retry_delay(11).total_seconds() == 3600  # 5120 capped
    assert retry_delay(30).total_seconds() == 3600


@pytest.fixture
def alice(context_for: Callable[[str], Context], tmp_path: Path) -> Client:
    client = Client(LocalTransport(context=context_for("alice")))
    (tmp_path / "m.bin").write_bytes(b"m")
    client.model.publish(env="development", name="ranker", path=str(tmp_path / "m.bin"))
    return client


def test_a_failed_delivery_waits_its_backoff_to_the_second_then_is_delivered_signed(
    alice: Client, context_for: Callable[[str], Context], clock: FrozenClock
) -> None:
    # Receivers refuse a webhook-timestamp more than 5 minutes from their own clock: start from the real time.
    clock.moment = datetime.now(UTC)
    secret = alice.webhooks.add(env="development", url="https://hooks.example/in").secret
    alice.model.alias_set(env="development", name="ranker", version=1, alias="champion")
    alice.model.alias_set(env="development", name="ranker", version=1, alias="champion")  # no move: no event
    answers = [503, 204]
    received: list[dict[str, object]] = []

    def send(url: str, headers: dict[str, str], body: bytes) -> int:
        assert url == "https://hooks.example/in"
        received.append(Webhook(secret).verify(body, headers))
        return answers.pop(0)

    ctx = context_for("alice")
    assert deliver_due(ctx, send) == 1
    log = alice.webhooks.deliveries(id=1)
    assert [(d.state, d.attempts, d.last_status) for d in log] == [("pending", 1, 503)]
    clock.advance(seconds=4.999)
    assert deliver_due(ctx, send) == 0  # not yet: 5 s after the failed attempt
    clock.advance(seconds=0.001)
    assert deliver_due(ctx, send) == 1
    log = alice.webhooks.deliveries(id=1)
    assert [(d.state, d.attempts, d.last_status, d.type) for d in log] == [
        ("delivered", 2, 204, "alias.moved")
    ]
    assert len(received) == 2 and received[0] == received[1]
    assert deliver_due(ctx, send) == 0


def test_a_delivery_is_given_up_after_its_last_attempt(
    alice: Client, context_for: Callable[[str], Context], clock: FrozenClock
) -> None:
    alice.webhooks.add(env="development", url="https://hooks.example/in")
    alice.model.alias_set(env="development", name="ranker", version=1, alias="champion")
    ctx = context_for("alice")

    def refused(url: str, headers: dict[str, str], body: bytes) -> int:
        raise ConnectionRefusedError

    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert deliver_due(ctx, refused) == 1
        clock.advance(seconds=retry_delay(attempt).total_seconds())
    (last,) = alice.webhooks.deliveries(id=1)
    assert (last.state, last.attempts, last.last_error) == ("failed", MAX_ATTEMPTS, "ConnectionRefusedError")
    clock.advance(seconds=timedelta(days=1).total_seconds())
    assert deliver_due(ctx, refused) == 0


def test_a_denied_act_is_an_event_and_a_rolled_back_one_is_not(
    alice: Client, context_for: Callable[[str], Context]
) -> None:
    alice.webhooks.add(env="development", url="https://hooks.example/in")
    bob = Client(LocalTransport(context=context_for("bob")))
    with pytest.raises(Exception, match="lacks"):
        bob.model.alias_set(env="development", name="ranker", version=1, alias="champion")
    with pytest.raises(Exception, match="no version 9"):
        alice.model.alias_set(env="development", name="ranker", version=9, alias="champion")
    events = alice.events.list(env="development")
    assert [(e.type, e.data["principal"]) for e in events] == [("access.denied", "bob")]
