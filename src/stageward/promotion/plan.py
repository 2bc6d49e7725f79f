"""What a promotion would do, decided once from the facts the service read (pure): the mode and why, whether
the mode or the target's name blocks it, the gates against the alias holder, the approvals it needs.

`promotion.plan` reports it; `promotion.request` acts on it (refuses, rejects, or opens the request).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from stageward.promotion import gates as gate_rules
from stageward.promotion.changes import AutoChoice
from stageward.promotion.edges import choose_mode, unavailable_reason


@dataclass(frozen=True)
class Holder:
    """The version the alias points at in the target now, if any."""

    ref: str | None = None
    metrics: dict[str, float] | None = None
    version: int | None = None


@dataclass(frozen=True)
class PromotionPlan:
    mode: str
    mode_reason: str
    blocked: str | None  # why the mode cannot run, or None
    clash: str | None  # why the target cannot take this kind under this name, or None
    gates: list[gate_rules.GateResult]
    approvals: int
    holder: Holder
    deciding_files: list[str] = field(default_factory=list)  # --mode auto: the changed files under model_paths

    @property
    def failed(self) -> list[gate_rules.GateResult]:
        return gate_rules.failures(self.gates)

    @property
    def executable(self) -> bool:
        return self.blocked is None and self.clash is None


def kind_clash(env: str, name: str, target_kind: str | None, kind: str) -> str | None:
    """Why ENV cannot take a KIND named NAME (it holds a TARGET_KIND by that name), or None."""
    if target_kind is not None and target_kind != kind:
        return f"{env}/{name} is a {target_kind}; cannot promote a {kind} onto it"
    return None


class Promotable(Protocol):
    """What planning reads of the version to promote (the store's version record is one)."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def metrics(self) -> dict[str, float]: ...
    @property
    def git_commit(self) -> str | None: ...


def plan_promotion(
    policy: Any,
    env: str,
    requested_mode: str | None,
    *,
    target: Any,
    record: Promotable,
    target_kind: str | None,
    holder: Holder,
    auto: AutoChoice | None = None,
    pipelines: dict[str, str] | None = None,
) -> PromotionPlan:
    """The plan of promoting RECORD (a version with name, kind and metrics) into ENV, declared as TARGET by
    the applied POLICY (its gates, approvals and mode)."""
    mode, why = choose_mode(policy, env, requested_mode)
    deciding: list[str] = []
    if mode == "auto":
        if auto is None:
            raise ValueError("--mode auto is decided from the changed files: pass AUTO")
        mode, why, deciding = auto.mode, auto.reason, list(auto.deciding_files)
    return PromotionPlan(
        mode=mode,
        mode_reason=why,
        blocked=unavailable_reason(mode, pipelines or {}, record.git_commit),
        clash=kind_clash(env, record.name, target_kind, record.kind),
        gates=gate_rules.evaluate(target.promotion.gates, record.metrics, holder.metrics, holder.ref),
        approvals=target.required_approvals,
        holder=holder,
        deciding_files=deciding,
    )
