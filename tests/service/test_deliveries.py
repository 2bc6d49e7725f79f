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
    # alice's registration of version 1 (the fixture's), then the denial; the failed move left no event
    kinds = [(e.type, e.data["principal"]) for e in events]
    assert kinds == [("version.registered", "alice"), ("access.denied", "bob")]


def test_every_move_of_an_alias_is_an_alias_moved_event_whatever_moved_it(
    alice: Client, context_for: Callable[[str], Context], tmp_path: Path
) -> None:
    (tmp_path / "m2.bin").write_bytes(b"m2")
    alice.model.publish(env="development", name="ranker", path=str(tmp_path / "m2.bin"))
    alice.model.alias_set(env="development", name="ranker", version=1, alias="champion")
    alice.model.alias_set(env="development", name="ranker", version=2, alias="champion")
    alice.model.rollback(env="development", name="ranker", alias="champion")
    alice.call("promotion.request", env="staging", name="ranker", version=2, source="development")
    events = alice.events.list(env="development")
    development = [(e.type, e.data["action"], e.data["details"]["version"]) for e in events]
    assert development == [
        ("version.registered", "model.register", 1),
        ("version.registered", "model.register", 2),
        ("alias.moved", "model.alias_set", 1),
        ("alias.moved", "model.alias_set", 2),
        ("alias.rolled_back", "model.rollback", 1),
        ("alias.moved", "model.rollback", 1),
    ]
    staging = [(e.type, e.data["target"]) for e in alice.events.list(env="staging")]
    assert staging[-2:] == [("promotion.executed", "ranker@champion"), ("alias.moved", "ranker@champion")]


def test_a_destination_refused_by_rule_fails_at_once_naming_why(
    alice: Client, context_for: Callable[[str], Context]
) -> None:
    from stageward.errors import Undeliverable

    alice.webhooks.add(env="development", url="http://hooks.internal/in")
    alice.model.alias_set(env="development", name="ranker", version=1, alias="champion")

    def refused(url: str, headers: dict[str, str], body: bytes) -> int:
        raise Undeliverable("hooks.internal resolves to an address that is not public")

    assert deliver_due(context_for("alice"), refused) == 1
    (last,) = alice.webhooks.deliveries(id=1)
    assert (last.state, last.attempts) == ("failed", 1)  # no retry: the rule will say the same in 5 s
    assert last.last_error == "refused: hooks.internal resolves to an address that is not public"
