"""What a promotion would do, decided once from the facts the service read (pure): the mode and why, whether
the mode or the target's name blocks it, the gates against the alias holder, the approvals it needs.

`promotion.plan` reports it; `promotion.request` acts on it (refuses, rejects, or opens the request).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from stageward.promotion import gates as gate_rules
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


def plan_promotion(
    policy: Any,
    env: str,
    requested_mode: str | None,
    *,
    target: Any,
    record: Promotable,
    target_kind: str | None,
    holder: Holder,
) -> PromotionPlan:
    """The plan of promoting RECORD (a version with name, kind and metrics) into ENV, declared as TARGET by
    the applied POLICY (its gates, approvals and mode)."""
    mode, why = choose_mode(policy, env, requested_mode)
    return PromotionPlan(
        mode=mode,
        mode_reason=why,
        blocked=unavailable_reason(mode),
        clash=kind_clash(env, record.name, target_kind, record.kind),
        gates=gate_rules.evaluate(target.promotion.gates, record.metrics, holder.metrics, holder.ref),
        approvals=target.required_approvals,
        holder=holder,
    )
