"""Which promotions stageward.yaml allows, and which mode a promotion runs in (pure)."""

from __future__ import annotations

from typing import Any

from stageward.errors import BadInput
from stageward.project.tiers import tier_rank

MODES = ("copy", "retrain", "auto")


def edge_problem(project: Any, source: str, target: str) -> str | None:
    """Why SOURCE -> TARGET is not an allowed promotion, or None when it is."""
    if source == target:
        return f"{source} -> {target}: a promotion goes from one environment to another"
    for name in (source, target):
        if name not in project.environments:
            return f"{source} -> {target}: {name} is not in the applied policy"
    source_env = project.environments[source]
    target_env = project.environments[target]
    if tier_rank(source_env.tier) >= tier_rank(target_env.tier):
        return (
            f"{source} ({source_env.tier}) -> {target} ({target_env.tier}): promotions only go up the tiers"
        )
    if source not in target_env.promote_from:
        allowed = ", ".join(target_env.promote_from) or "nothing"
        return f"{source} -> {target}: {target}.promote_from allows {allowed}"
    return None


def choose_mode(project: Any, target: str, requested: str | None) -> tuple[str, str]:
    """(mode, why): the --mode given, else the target's `promotion.mode`."""
    if requested is not None and requested not in MODES:
        raise BadInput(f"--mode {requested!r}: expected 'copy', 'retrain' or 'auto'")
    if requested is not None:
        return requested, f"--mode {requested} was given"
    configured = project.environments[target].promotion.mode
    return configured, f"{target}.promotion.mode is {configured}"


def unavailable_reason(mode: str, pipelines: dict[str, str], commit: str | None = None) -> str | None:
    """Why a mode cannot execute for this project and version (its COMMIT), or None when it can."""
    if mode != "retrain":
        return None
    if "train" not in pipelines:
        return "retrain runs pipelines.train in the target environment, and stageward.yaml declares none"
    if not commit:
        return "retrain runs the pipeline at the source version's commit, and the version records none"
    return None
