"""Demo steps of the registry: metrics, a failed gate, a plan, two approvers, verify, rollback."""

from __future__ import annotations

import os
from typing import Any

from stageward.demo import StepFailed, Walk
from stageward.errors import CheckFailed, Denied


def _register(client: Any, walk: Walk, version_seed: int, auc: float) -> dict[str, Any]:
    folder = walk.root / "artifacts" / f"ranker-{version_seed}"
    (folder / "weights").mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(f'{{"seed": {version_seed}}}\n', encoding="utf-8")
    (folder / "weights" / "model.bin").write_bytes(os.urandom(256 * 1024))
    record: dict[str, Any] = client.call(
        "model.publish",
        env="staging",
        name="lp-ranker",
        path=str(folder),
        metrics={"auc": auc},
        params={"seed": str(version_seed)},
    )
    return record


def steps(walk: Walk) -> None:
    alice, bob, carol, dave = (walk.as_(p) for p in ("alice", "bob", "carol", "dave"))

    def register() -> str:
        alice.call("access.grant", principal="bob", role="developer", env="production")
        first = _register(bob, walk, 1, 0.78)
        second = _register(bob, walk, 2, 0.86)
        if (first["version"], second["version"]) != (1, 2):
            raise StepFailed(f"expected versions 1 and 2, got {first['version']} and {second['version']}")
        return f"{first['ref']} (auc 0.78) and {second['ref']} (auc 0.86), {second['file_count']} files each"

    walk.step("bob registers two versions of lp-ranker in staging, with metrics", register)

    def failed_gate() -> str:
        error = walk.expect_error(
            CheckFailed,
            lambda: bob.call(
                "promotion.request", env="production", source="staging", name="lp-ranker", version=1
            ),
        )
        if "auc 0.78 < min 0.8" not in error.message:
            raise StepFailed(f"the gate should name value and bound, said: {error.message}")
        return f"exit {error.exit_code}: {error.message}"

    walk.step("bob promotes version 1 to production: the auc gate rejects it", failed_gate)

    def plan() -> str:
        result = bob.call("promotion.plan", env="production", source="staging", name="lp-ranker", version=2)
        if not result["gates_pass"] or result["approvals_required"] != 2 or not result["same_store"]:
            raise StepFailed(f"unexpected plan: {result['outcome']}")
        return f"{result['outcome']}; @champion: nobody -> {result['alias_to']}; {result['copy']}"

    walk.step("bob plans the promotion of version 2", plan)

    def approvals() -> str:
        request = bob.call(
            "promotion.request",
            env="production",
            source="staging",
            name="lp-ranker",
            version=2,
            reason="auc 0.86 on the holdout",
        )
        error = walk.expect_error(Denied, lambda: bob.call("promotion.approve", id=request["id"]))
        first = carol.call("promotion.approve", id=request["id"])
        if first["state"] != "pending":
            raise StepFailed(f"one approval of two should leave it pending, it is {first['state']}")
        done = dave.call("promotion.approve", id=request["id"], comment="metrics reviewed")
        if done["state"] != "executed":
            raise StepFailed(f"two approvals should execute it, it is {done['state']}")
        return (
            f"bob may not approve (exit {error.exit_code}); carol, then dave approve: {done['result']} "
            f"holds @champion, promoted from {done['source']}"
        )

    walk.step("bob requests it; carol and dave approve; it executes once", approvals)

    def verify() -> str:
        result = alice.call("verify.asset", ref="production/lp-ranker@champion")
        if result["lineage"] != ["production/lp-ranker:1", "staging/lp-ranker:2"]:
            raise StepFailed(f"unexpected lineage {result['lineage']}")
        sizes = [version["bytes_rehashed"] for version in result["versions"]]
        if len(set(sizes)) != 1 or sizes[0] < 256 * 1024:
            raise StepFailed(f"each version should rehash its own files, once: {result['versions']}")
        return "; ".join(
            f"{version['ref']}: {version['files']} files, {version['bytes_rehashed']} bytes rehashed"
            for version in result["versions"]
        )

    walk.step("stageward verify production/lp-ranker@champion", verify)

    def rollback() -> str:
        third = _register(bob, walk, 3, 0.865)
        request = bob.call(
            "promotion.request",
            env="production",
            source="staging",
            name="lp-ranker",
            version=third["version"],
        )
        carol.call("promotion.approve", id=request["id"])
        dave.call("promotion.approve", id=request["id"])
        if alice.call("model.show", env="production", ref="lp-ranker@champion")["version"] != 2:
            raise StepFailed("version 3 should have become production/lp-ranker:2")
        back = alice.call("model.rollback", env="production", name="lp-ranker", alias="champion")
        holder = alice.call("model.show", env="production", ref="production/lp-ranker@champion")
        if holder["version"] != 1 or back["previous"] != 2:
            raise StepFailed(f"rollback should return @champion to 1, it holds {holder['version']}")
        return "staging/lp-ranker:3 promoted as production/lp-ranker:2, then @champion rolled back to 1"

    walk.step("a newer version is promoted, then alice rolls @champion back", rollback)
