"""The SDK as a user's typed code sees it: `make lint` checks this file with mypy --strict.

It is never run (it would need a project); a misspelt verb or argument here fails the lint.
"""

from __future__ import annotations

from typing import Any

import stageward
from stageward.service.results.access import Binding


def champion_digest(client: stageward.Client, name: str) -> str:
    """The manifest digest of the version behind NAME@champion in production: a typed field, so a misspelt
    one (`.digets`) is a mypy error."""
    return client.model.show(env="production", ref=f"{name}@champion").manifest_digest


def register_and_stage(files: list[dict[str, Any]]) -> int:
    with stageward.Client() as client:
        version = client.model.register(env="staging", name="ranker", files=files, metrics={"auc": 0.91})
        client.model.alias_set(env="staging", name="ranker", alias="candidate", version=version.version)
        bindings: list[Binding] = client.access.list(env="staging")
        entries = client.audit.list(env="staging", limit=10)
        return len(bindings) + sum(entry.sequence > 0 for entry in entries)


def learning_rate() -> float:
    """stageward.config is a plain function: its view reads keys as attributes."""
    lr: float = stageward.config("production").training.lr
    return lr


def typed_settings() -> tuple[float, int, str, bool]:
    """value() and section() say what they expect: mypy knows the result, the run checks the files agree."""
    cfg = stageward.config("production")
    training = cfg.section("training")
    lr: float = training.value("lr", float)
    epochs: int = cfg.value("training.epochs", int)
    root: str = cfg.value("data.root", str, "/srv/data")
    enabled: bool = cfg.value("flags.new_ranker", bool, False)
    return lr, epochs, root, enabled
