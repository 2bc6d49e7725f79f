"""What `stageward init` writes for the train pipeline its workflow runs: `train.py` (`pipelines.train`) and the
pinned lockfile the production vulnerability scan reads."""

from __future__ import annotations

TRAIN_MODULE = "train.py"
TRAIN_MODULE_TEXT = '''\
"""Written by `stageward init`: the train pipeline (`pipelines.train: python -m train`).

Run it behind the environment's guardrails: `stageward run --env development -- python -m train`.
Retrain promotions run it too, in the target environment at the source version's commit.
Replace the training below with yours; keep the last two calls.
"""

from pathlib import Path

import stageward


def train(config) -> float:
    """Stands in for real training: a score that grows with the configured epochs."""
    epochs = int(config["training"]["epochs"])
    return round(min(0.99, 0.85 + 0.001 * epochs), 4)


def main() -> None:
    run = stageward.run_context()  # environment, run id, config (secrets revealed), data store URIs
    auc = train(run.config)
    out = Path(".stageward") / "outputs" / run.run_id
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.txt").write_text(f"trained in {run.environment}, auc {auc}\\n", encoding="utf-8")
    stageward.log_metric("auc", auc)
    version = stageward.register_model("model", str(out), metrics={"auc": auc})
    print(f"registered {version.ref} (auc {auc}) from run {run.run_id}")


if __name__ == "__main__":
    main()
'''

LOCKFILE = "requirements.lock"
ADVISORIES_README = "advisories/README.md"
ADVISORIES_README_TEXT = """\
OSV advisories (https://ossf.github.io/osv-schema/), one JSON file each, that `stageward run` and
`stageward scan` match against requirements.lock offline before a run in production (SPEC §7).
Export them from your advisory database (for example the PyPI advisories of osv.dev) into this folder.
"""


def lockfile_text(pins: dict[str, str]) -> str:
    """requirements.lock: every package pinned with ==, as the vulnerability scan requires."""
    header = "# Pinned versions, read by the vulnerability scan (docs/runs.md). Regenerate with your lock tool.\n"
    return header + "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()))
