"""The demo's last step: the audit chain verified over everything the steps before it did."""

from __future__ import annotations

from stageward.demo import StepFailed, Walk

# An action of each part of the walk, which the verified chain must hold.
WALKED = ("access.grant", "secrets.set", "promotion.approve", "model.rollback", "runs.launch", "runs.finish")


def steps(walk: Walk) -> None:
    alice = walk.as_("alice")

    def verify() -> str:
        result = alice.call("audit.verify")
        entries = alice.call("audit.export")  # alice is admin everywhere: every entry
        if not result["ok"] or result["entries"] != len(entries) or result["head"] != entries[-1]["hash"]:
            raise StepFailed(
                f"the chain verified {result['entries']} entries up to {result['head'][:12]}, "
                f"the log holds {len(entries)} up to {entries[-1]['hash'][:12]}"
            )
        actions = {entry["action"] for entry in entries}
        missing = [action for action in WALKED if action not in actions]
        if missing:
            raise StepFailed(f"the chain holds no {', '.join(missing)} entry")
        last = entries[-1]
        return (
            f"audit chain intact: {result['entries']} entries, from the store's creation to the last step "
            f"({last['principal']} {last['action']} {last['target']}), head {result['head'][:12]}"
        )

    walk.step("stageward audit verify: the hash chain holds over every step above", verify)
