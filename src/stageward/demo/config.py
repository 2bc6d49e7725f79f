"""Demo steps of configuration: origins, a diff with its differences marked, a check that bites."""

from __future__ import annotations

from stageward.demo import StepFailed, Walk

PLANTED = "file://./data/development/out"
CORRECT = "file://./data/production/out"


def steps(walk: Walk) -> None:
    alice = walk.as_("alice")
    production_file = walk.root / "conf" / "production" / "main.yaml"

    def explain() -> str:
        shown = alice.call("config.show", env="production", explain=True)
        rows = {row["key"]: row for row in shown["explain"]}
        epochs, lr = rows["training.epochs"], rows["training.lr"]
        if epochs["origin"] != "conf/production/main.yaml:2" or lr["origin"] != "conf/base/main.yaml:3":
            raise StepFailed(f"unexpected origins: epochs {epochs['origin']}, lr {lr['origin']}")
        models = rows["paths.models"]
        return (
            f"training.epochs={epochs['value']} from {epochs['origin']}, training.lr={lr['value']} from "
            f"{lr['origin']}, paths.models={models['value']} via {', '.join(models['references'])}"
        )

    walk.step("config show --env production --explain: every value with its origin", explain)

    def diff() -> str:
        rows = alice.call("config.diff", env_a="staging", env_b="production")["differences"]
        marks = {row["key"]: row["marked"] for row in rows}
        if marks.get("data.sample_fraction") != "intentional":
            raise StepFailed(f"data.sample_fraction should be marked intentional, saw {marks}")
        unmarked = [key for key, mark in marks.items() if mark is None]
        if unmarked:
            raise StepFailed(f"unexpected drift between staging and production: {', '.join(unmarked)}")
        return "; ".join(f"{key}: {mark}" for key, mark in marks.items())

    walk.step("config diff staging production: every difference is marked", diff)

    def planted() -> str:
        text = production_file.read_text(encoding="utf-8")
        if CORRECT not in text:
            raise StepFailed(f"{production_file} no longer holds {CORRECT}")
        production_file.write_text(text.replace(CORRECT, PLANTED), encoding="utf-8")
        result = alice.call("config.check")
        foreign = [f for f in result["findings"] if f["kind"] == "foreign-data"]
        if result["ok"] or not foreign or foreign[0]["environment"] != "production":
            raise StepFailed(f"config check should flag production reading development's store: {result}")
        return f"exit 1: {foreign[0]['line']}"

    walk.step("someone points production at development's output; config check catches it", planted)

    def fixed() -> str:
        production_file.write_text(
            production_file.read_text(encoding="utf-8").replace(PLANTED, CORRECT), encoding="utf-8"
        )
        result = alice.call("config.check")
        if not result["ok"]:
            raise StepFailed("config check still fails: " + "; ".join(f["line"] for f in result["findings"]))
        return f"config check: no findings in {', '.join(result['environments'])}"

    walk.step("the fix: production writes to its own store again, and config check passes", fixed)
