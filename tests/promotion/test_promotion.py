"""Promotion through the Client on SQLite and PostgreSQL: gates, approvals, separation of duties, copy."""

from pathlib import Path

import pytest

from stageward.errors import BadInput, CheckFailed, Conflict, Denied, NotFound


def register(client, env, name, path, **fields):
    return client.call("model.publish", env=env, name=name, path=str(path), **fields)


@pytest.fixture
def people(client_for, project_root: Path):
    alice = client_for("alice")
    alice.call("access.grant", principal="bob", role="developer", env="staging")
    alice.call("access.grant", principal="bob", role="developer", env="production")
    for approver in ("carol", "dave", "erin"):
        alice.call("access.grant", principal=approver, role="approver", env="production")
    model = project_root / "model.bin"
    model.write_bytes(b"weights" * 1000)
    bob = client_for("bob")
    register(bob, "staging", "ranker", model, metrics={"auc": 0.91})
    register(bob, "staging", "ranker", model, metrics={"auc": 0.70})
    register(bob, "staging", "ranker", model, metrics={"auc": 0.89})
    return {name: client_for(name) for name in ("alice", "bob", "carol", "dave", "erin")}


def promote(client, version, **extra):
    return client.call(
        "promotion.request", env="production", source="staging", name="ranker", version=version, **extra
    )


def test_two_approvals_execute_once_and_copy_references_the_same_blobs(people):
    bob, carol, dave = people["bob"], people["carol"], people["dave"]
    request = promote(bob, 1, reason="better auc")
    assert request["state"] == "pending" and request["required_approvals"] == 2
    assert carol.call("promotion.approve", id=request["id"])["state"] == "pending"
    done = dave.call("promotion.approve", id=request["id"], comment="ok")
    assert done["state"] == "executed" and done["result"] == "production/ranker:1"
    shown = bob.call("model.show", env="production", ref="production/ranker@champion", lineage=True)
    source = bob.call("model.show", env="staging", ref="ranker:1")
    assert shown["promoted_from"] == {"env": "staging", "name": "ranker", "version": 1}
    assert shown["files"] == source["files"] and shown["blob_store"] == source["blob_store"]
    assert [step["ref"] for step in shown["lineage"]] == ["production/ranker:1", "staging/ranker:1"]
    with pytest.raises(Conflict, match="is executed"):
        people["erin"].call("promotion.approve", id=request["id"])
    history = bob.call("model.alias_history", env="production", name="ranker")
    assert [(h["action"], h["version"], h["promotion_id"]) for h in history] == [
        ("promote", 1, request["id"])
    ]


def test_failing_gate_rejects_at_once_and_shows_each_gate(people):
    bob = people["bob"]
    with pytest.raises(CheckFailed, match=r"1 gate\(s\) failed: auc 0.7 < min 0.8"):
        promote(bob, 2)
    (row,) = bob.call("promotion.list", env="production")
    assert row["state"] == "rejected" and [g["passed"] for g in row["gates"]] == [False, True]
    failed = [
        e for e in people["alice"].call("audit.list", action="promotion.request") if e["outcome"] == "failed"
    ]
    assert len(failed) == 1


def test_max_drop_is_evaluated_when_the_promotion_executes(people):
    bob, carol, dave, erin = people["bob"], people["carol"], people["dave"], people["erin"]
    first = promote(bob, 3)  # auc 0.89: passes now, nobody holds champion yet
    second = promote(bob, 1)  # auc 0.91
    carol.call("promotion.approve", id=second["id"])
    dave.call("promotion.approve", id=second["id"])  # champion is now 0.91
    carol.call("promotion.approve", id=first["id"])
    with pytest.raises(CheckFailed, match=r"drop 0.02 > max_drop 0.01"):
        erin.call("promotion.approve", id=first["id"])
    row = bob.call("promotion.show", id=first["id"])
    assert row["state"] == "rejected" and row["result_version"] is None
    assert bob.call("model.show", env="production", ref="ranker@champion")["promoted_from"]["version"] == 1


def test_separation_of_duties_and_permissions(people):
    alice, bob = people["alice"], people["bob"]
    request = promote(alice, 1)
    with pytest.raises(Denied, match="alice requested promotion 1 and cannot approve it"):
        alice.call("promotion.approve", id=request["id"])
    with pytest.raises(Denied, match=r"bob lacks promotions.approve in production"):
        bob.call("promotion.approve", id=request["id"])
    denied = [e for e in alice.call("audit.list", action="promotion.approve") if e["outcome"] == "denied"]
    assert [e["principal"] for e in denied] == ["alice", "bob"]
    assert alice.call("promotion.show", id=request["id"])["approvals"] == []
    people["carol"].call("promotion.approve", id=request["id"])
    with pytest.raises(Conflict, match="carol has already decided"):
        people["carol"].call("promotion.approve", id=request["id"])
    rejected = people["dave"].call("promotion.reject", id=request["id"], comment="not now")
    assert rejected["state"] == "rejected" and rejected["note"] == "rejected by dave: not now"
    # An approver may veto what they approved: the approval becomes a rejection (was a UNIQUE violation).
    second = promote(alice, 1)
    people["carol"].call("promotion.approve", id=second["id"])
    vetoed = people["carol"].call("promotion.reject", id=second["id"], comment="found a leak")
    assert vetoed["state"] == "rejected" and vetoed["approvals"] == []
    assert [(d["principal"], d["decision"], d["comment"]) for d in vetoed["decisions"]] == [
        ("carol", "reject", "found a leak")
    ]
    with pytest.raises(Conflict, match="is rejected; it can no longer be rejected"):
        people["carol"].call("promotion.reject", id=second["id"])
    with pytest.raises(NotFound, match="no promotion 99"):
        alice.call("promotion.approve", id=99)
    with pytest.raises(BadInput, match=r"promotion id 100000000000000000000: .* \(at most 2147483647\)"):
        alice.call("promotion.show", id=10**20)
    with pytest.raises(BadInput, match="version 100000000000000000000"):
        promote(alice, 10**20)


def test_edges_modes_and_unknown_versions(people):
    alice = people["alice"]
    with pytest.raises(
        Denied, match=r"production \(production\) -> staging \(staging\): promotions only go up"
    ):
        alice.call("promotion.request", env="staging", source="production", name="ranker", version=1)
    with pytest.raises(Denied, match=r"production.promote_from allows staging"):
        alice.call("promotion.request", env="production", source="development", name="ranker", version=1)
    with pytest.raises(NotFound, match=r"staging/ranker has no version 9 \(latest is 3\)"):
        promote(alice, 9)
    with pytest.raises(BadInput, match="retrain runs the pipeline at the source version's commit"):
        promote(alice, 1, mode="retrain")
    with pytest.raises(BadInput, match=r"alias 'Prod!'"):
        promote(alice, 1, alias="Prod!")
    # A dataset of that name in the target: refused at the request, not after the approvals.
    data = Path(alice.transport.context.project.root) / "data.csv"
    data.write_text("a,b\n")
    alice.call("dataset.publish", env="production", name="ranker", path=str(data))
    with pytest.raises(Conflict, match="production/ranker is a dataset; cannot promote a model onto it"):
        promote(alice, 1)
    plan = alice.call("promotion.plan", env="production", source="staging", name="ranker", version=1)
    assert not plan["executable"] and "production/ranker is a dataset" in plan["outcome"]
    assert alice.call("promotion.list") == []
    denials = [e for e in alice.call("audit.list", action="promotion.request") if e["outcome"] == "denied"]
    assert len(denials) == 2


def test_plan_does_nothing_and_explains(people):
    bob = people["bob"]
    plan = bob.call("promotion.plan", env="production", source="staging", name="ranker", version=1)
    assert plan["mode"] == "copy" and plan["mode_reason"] == "production.promotion.mode is copy"
    assert plan["approvals_required"] == 2 and plan["alias_from"] is None
    assert plan["alias_to"] == "production/ranker:1" and "no bytes move" in plan["copy"]
    assert plan["outcome"].startswith("promote would open a request needing 2 approval(s)")
    failing = bob.call("promotion.plan", env="production", source="staging", name="ranker", version=2)
    assert failing["outcome"] == "promote would be rejected: auc 0.7 < min 0.8"
    retrain = bob.call(
        "promotion.plan", env="production", source="staging", name="ranker", version=1, mode="retrain"
    )
    assert not retrain["executable"] and "the version records none" in retrain["unavailable"]
    # Someone who may read both ends but not request: the plan says promote would be denied, not opened.
    people["alice"].call("access.grant", principal="carol", role="viewer", env="staging")
    viewer = people["carol"].call("promotion.plan", env="production", source="staging", name="ranker", version=1)
    assert viewer["outcome"] == "promote would be denied: carol lacks promotions.request in production"
    assert bob.call("promotion.list") == []
    with pytest.raises(BadInput, match="--comment: expected text of at most 2000 characters"):
        people["carol"].call("promotion.approve", id=1, comment="x" * 2001)
