"""`model show ENV/NAME@ALIAS --as-of TIME` (SPEC §9): the version the alias held then, from the alias history."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from stageward.errors import BadInput, Denied, NotFound
from stageward.testing import FrozenClock
from tests.registry.support import run_cli


def _publish(alice: Any, tmp_path: Path, auc: float) -> int:
    path = tmp_path / f"fraud-{auc}.bin"
    path.write_bytes(f"fraud{auc}".encode())
    published = alice.call("model.publish", env="development", name="fraud", path=str(path), metrics={"auc": auc})
    return int(published["version"])


@pytest.fixture
def moves(client_for: Any, clock: FrozenClock, tmp_path: Path) -> tuple[Any, FrozenClock]:
    """fraud:1 and fraud:2 in development; @champion set to 1 an hour after the start, to 2 an hour later."""
    alice = client_for("alice")
    _publish(alice, tmp_path, 0.9)
    _publish(alice, tmp_path, 0.93)
    clock.advance(hours=1)
    alice.call("model.alias_set", env="development", name="fraud", version=1, alias="champion")
    clock.advance(hours=1)
    alice.call("model.alias_set", env="development", name="fraud", version=2, alias="champion")
    clock.advance(hours=1)
    return alice, clock


def _held(alice: Any, when: str) -> int:
    return int(alice.call("model.show", ref="development/fraud@champion", as_of=when)["version"])


def test_as_of_answers_the_version_that_held_the_alias_then(moves: tuple[Any, FrozenClock]) -> None:
    alice, clock = moves
    first_move = clock.now() - timedelta(hours=2)
    second_move = clock.now() - timedelta(hours=1)
    assert _held(alice, first_move.isoformat()) == 1  # a move made exactly at the instant counts
    assert _held(alice, (second_move - timedelta(microseconds=1)).isoformat()) == 1
    assert _held(alice, second_move.isoformat()) == 2
    assert _held(alice, clock.now().isoformat()) == 2
    # A time without an offset is UTC, as the store writes it.
    assert _held(alice, second_move.replace(tzinfo=None).isoformat()) == 2
    assert alice.call("model.show", ref="development/fraud@champion")["version"] == 2


def test_before_the_first_move_the_alias_held_nothing(moves: tuple[Any, FrozenClock]) -> None:
    alice, clock = moves
    before = clock.now() - timedelta(hours=2, microseconds=1)
    with pytest.raises(NotFound, match=r"development/fraud@champion held no version at 2026-11-25T12:59:59\.999999Z"):
        _held(alice, before.isoformat())


def test_as_of_needs_an_alias_and_an_iso_time(moves: tuple[Any, FrozenClock]) -> None:
    alice, _ = moves
    with pytest.raises(BadInput, match="--as-of '2026-11-25': name an alias \\(NAME@ALIAS\\)"):
        alice.call("model.show", ref="development/fraud:1", as_of="2026-11-25")
    with pytest.raises(BadInput, match="--as-of 'yesterday': expected an ISO date or time"):
        alice.call("model.show", ref="development/fraud@champion", as_of="yesterday")
    with pytest.raises(NotFound, match="no model 'ghost' in development"):
        alice.call("model.show", ref="development/ghost@champion", as_of="2026-11-25")


def test_the_history_is_read_only_with_env_read_there(moves: tuple[Any, FrozenClock], client_for: Any) -> None:
    with pytest.raises(Denied, match="mallory lacks env.read in development"):
        client_for("mallory").call("model.show", ref="development/fraud@champion", as_of="2026-11-25T14:00:00Z")


def test_the_cli_prints_the_version_held_then(
    moves: tuple[Any, FrozenClock], project_root: Path, store_url: str, tmp_path: Path
) -> None:
    _, clock = moves
    extra = {"STAGEWARD_MASTER_KEY_FILE": str(tmp_path / "keys" / "master.key")}
    when = (clock.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%MZ")
    done = run_cli(
        project_root, store_url, "alice", "model", "show", "development/fraud@champion", "--as-of", when, "--json",
        extra=extra,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ref"] == "development/fraud:1"
    wrong = run_cli(
        project_root, store_url, "alice", "model", "show", "development/fraud@champion", "--as-of", "soon",
        extra=extra,
    )
    assert wrong.returncode == 2 and "--as-of 'soon': expected an ISO date or time" in wrong.stderr
