"""overview.*: the matrix of one environment, an asset with as-of aliases, one version, the change feed and
the caller's standing; each read behind env.read, and a key bound to one environment reads only there."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from stageward.errors import BadInput, Denied, NotFound
from stageward.registry.alias_as_of import holders_at
from stageward.store.db.registry_repo import AliasMoveRecord
from stageward.testing import FrozenClock


def _json(value: Any) -> Any:
    """A verb's result as JSON (the local transport may hand back the result model itself)."""
    from pydantic import BaseModel

    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def view(client: Any, verb: str, **arguments: Any) -> Any:
    return _json(client.call(verb, **arguments))


def _publish(alice: Any, tmp_path: Path, env: str, name: str, auc: float, kind: str = "model") -> int:
    path = tmp_path / f"{env}-{name}-{auc}.bin"
    path.write_bytes(f"{env}{name}{auc}".encode())
    return int(alice.call(f"{kind}.publish", env=env, name=name, path=str(path), metrics={"auc": auc})["version"])


@pytest.fixture
def alice(client_for: Any, tmp_path: Path) -> Any:
    alice = client_for("alice")
    _publish(alice, tmp_path, "development", "fraud", 0.9)
    _publish(alice, tmp_path, "development", "fraud", 0.93)
    _publish(alice, tmp_path, "development", "clicks", 0.5, kind="dataset")
    alice.call("promotion.request", env="staging", name="fraud", version=2, source="development")
    return alice


def test_matrix_lists_every_asset_with_its_aliases_and_their_sources(alice: Any) -> None:
    development = view(alice, "overview.matrix", env="development")
    assert [(a["name"], a["kind"], a["latest"], a["aliases"]) for a in development["assets"]] == [
        ("clicks", "dataset", 1, []),
        ("fraud", "model", 2, []),
    ]
    (staged,) = view(alice, "overview.matrix", env="staging")["assets"]
    assert staged["aliases"] == [
        {
            "alias": "champion", "version": 1, "promoted_from": "development/fraud:2",
            "promoted_from_env": "development", "promoted_from_name": "fraud", "promoted_from_version": 2,
        }
    ]
    production = view(alice, "overview.matrix", env="production")
    assert production == {"env": "production", "assets": [], "cursor": production["cursor"]}
    assert production["cursor"] == view(alice, "overview.changes", env="production")["cursor"]


def test_asset_shows_versions_newest_first_and_aliases_as_of_a_moment(alice: Any, clock: FrozenClock) -> None:
    moved_at = clock.now()
    clock.advance(hours=1)
    alice.call("model.alias_set", env="development", name="fraud", version=1, alias="challenger")
    detail = view(alice, "overview.asset", env="development", name="fraud")
    assert [v["version"] for v in detail["versions"]] == [2, 1]
    assert detail["versions"][0]["metrics"] == {"auc": 0.93}
    assert detail["aliases"] == [{"alias": "challenger", "version": 1}]
    assert detail["as_of"] is None and detail["aliases_as_of"] is None
    before = view(alice, "overview.asset", env="development", name="fraud", as_of=moved_at.isoformat())
    assert before["aliases_as_of"] == []
    an_hour_later = clock.now().isoformat()
    exactly = view(alice, "overview.asset", env="development", name="fraud", as_of=an_hour_later)
    assert exactly["aliases_as_of"] == [{"alias": "challenger", "version": 1}]  # a move at the instant counts
    with pytest.raises(BadInput, match="--as-of 'soon': expected an ISO date or time"):
        view(alice, "overview.asset", env="development", name="fraud", as_of="soon")
    with pytest.raises(NotFound, match="no model or dataset named 'nothing' in development"):
        view(alice, "overview.asset", env="development", name="nothing")


def test_holders_at_takes_the_last_move_at_or_before_the_instant() -> None:
    def move(number: int, alias: str, version: int, at: str) -> AliasMoveRecord:
        return AliasMoveRecord(number, alias, "set", version, None, at, "alice", None)

    history = [
        move(1, "champion", 1, "2026-11-01T00:00:00.000000Z"),
        move(2, "champion", 2, "2026-11-02T00:00:00.000000Z"),
        move(3, "shadow", 3, "2026-11-03T00:00:00.000000Z"),
    ]
    assert holders_at(history, "2026-10-31T23:59:59.999999Z") == {}
    assert holders_at(history, "2026-11-01T00:00:00.000000Z") == {"champion": 1}
    assert holders_at(history, "2026-11-02T00:00:00.000000Z") == {"champion": 2}
    assert holders_at(history, "2026-11-02T23:59:59.999999Z") == {"champion": 2}
    assert holders_at(history, "2026-11-03T00:00:00.000000Z") == {"champion": 2, "shadow": 3}


def test_version_names_its_source(alice: Any) -> None:
    staged = view(alice, "overview.version", env="staging", name="fraud", version=1)
    assert (staged["promoted_from"], staged["run"], staged["metrics"]) == ("development/fraud:2", None, {"auc": 0.93})
    with pytest.raises(NotFound, match="staging/fraud:2 does not exist"):
        view(alice, "overview.version", env="staging", name="fraud", version=2)


def test_change_feed_starts_at_a_cursor_and_names_topics_only(alice: Any, client_for: Any, tmp_path: Path) -> None:
    start = view(alice, "overview.changes", env="development")
    assert start["changes"] == []
    assert view(alice, "overview.changes", env="development", after=start["cursor"])["changes"] == []
    _publish(alice, tmp_path, "development", "fraud", 0.95)  # a registration: topic "version"
    alice.call("model.alias_set", env="development", name="fraud", version=3, alias="champion")
    with pytest.raises(Denied):
        client_for("mallory").call("model.alias_set", env="development", name="fraud", version=1, alias="champion")
    alice.call("promotion.request", env="staging", name="fraud", version=3, source="development")  # another env
    feed = view(alice, "overview.changes", env="development", after=start["cursor"])
    assert [c["topic"] for c in feed["changes"]] == ["version", "alias", "denied"]
    assert feed["cursor"] == feed["changes"][-1]["sequence"]
    staged = view(alice, "overview.changes", env="staging", after=0)["changes"]
    assert [c["topic"] for c in staged][-2:] == ["promotion", "alias"]  # the execution, then its alias move
    # The boundary: after the last change's own id nothing is repeated; one before it, only it.
    assert view(alice, "overview.changes", env="development", after=feed["cursor"])["changes"] == []
    last = view(alice, "overview.changes", env="development", after=feed["cursor"] - 1)
    assert [c["topic"] for c in last["changes"]] == ["denied"]
    with pytest.raises(BadInput, match="after -1: expected 0 or more"):
        view(alice, "overview.changes", env="development", after=-1)


def test_standing_lists_the_permissions_held(client_for: Any) -> None:
    alice = client_for("alice")
    alice.call("access.grant", principal="carol", role="approver", env="production")
    carol = client_for("carol")
    assert view(carol, "overview.standing", env="production") == {
        "principal": "carol", "env": "production", "permissions": ["env.read", "config.read", "promotions.approve",
                                                                   "audit.read"],
    }


def test_no_binding_no_environment(alice: Any, client_for: Any) -> None:
    mallory = client_for("mallory")
    for verb, extra in [
        ("overview.matrix", {}),
        ("overview.changes", {}),
        ("overview.standing", {}),
        ("overview.asset", {"name": "fraud"}),
        ("overview.version", {"name": "fraud", "version": 1}),
    ]:
        with pytest.raises(Denied, match="mallory lacks env.read in development"):
            mallory.call(verb, env="development", **extra)


def test_a_key_bound_to_development_never_reads_staging(alice: Any, context_for: Any) -> None:
    from stageward.client import Client, LocalTransport

    bound = dataclasses.replace(context_for("alice"), bound_environment="development")
    with Client(LocalTransport(context=bound)) as keyed:
        assert view(keyed, "overview.matrix", env="development")["env"] == "development"
        with pytest.raises(Denied, match="alice lacks env.read in staging"):
            view(keyed, "overview.matrix", env="staging")
