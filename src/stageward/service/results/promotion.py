"""Results of the `promotion.*` verbs."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Self

from pydantic import ConfigDict, Field

from stageward.service.results.base import Result

if TYPE_CHECKING:
    from stageward.promotion.gates import GateResult
    from stageward.store.db.promotion_repo import DecisionRecord, PromotionRecord


class GateCheck(Result):
    """One metric gate checked against a version."""

    metric: str
    kind: str = Field(description="the gate's comparison: min, max, or no worse than the current holder")
    bound: float | None = Field(description="the gate's bound, when it has one")
    value: float | None = Field(description="the version's value of the metric (none when missing)")
    baseline: float | None = Field(description="the current holder's value, for a relative gate")
    passed: bool
    reason: str = Field(description="one line saying why it passed or failed")

    @classmethod
    def from_record(cls, gate: GateResult) -> Self:
        return cls(
            metric=gate.metric,
            kind=gate.kind,
            bound=gate.bound,
            value=gate.value,
            baseline=gate.baseline,
            passed=gate.passed,
            reason=gate.reason,
        )


class Decision(Result):
    principal: str
    decision: str = Field(description="approve or reject")
    comment: str | None
    at: str

    @classmethod
    def from_record(cls, decision: DecisionRecord) -> Self:
        return cls(principal=decision.principal, decision=decision.decision, comment=decision.comment, at=decision.at)


class Promotion(Result):
    """A promotion request with its gates, decisions and result."""

    columns: ClassVar[tuple[str, ...]] = (
        "id",
        "source",
        "target_env",
        "alias",
        "state",
        "approvals",
        "required_approvals",
        "requested_by",
        "requested_at",
        "result",
    )

    id: int
    project: str
    name: str
    kind: str = Field(description="model or dataset")
    source_env: str
    source_version: int
    target_env: str
    alias: str = Field(description="the alias the promoted version takes in the target")
    mode: str = Field(description="copy or retrain (as --mode auto decided)")
    reason: str | None = Field(description="the requester's --reason")
    requested_by: str
    requested_at: str
    state: str = Field(description="pending, approved, executed or rejected")
    required_approvals: int
    gates: list[GateCheck]
    result_version: int | None = Field(description="the version the promotion created in the target")
    updated_at: str
    note: str | None = Field(description="why it was rejected, when it was")
    source: str = Field(description="SOURCE_ENV/NAME:VERSION")
    approvals: list[str] = Field(description="who approved")
    decisions: list[Decision]
    result: str | None = Field(description="TARGET_ENV/NAME:VERSION created, once executed")
    run_id: str | None = Field(default=None, description="a retrain's run")

    @classmethod
    def from_record(cls, record: PromotionRecord, decisions: list[DecisionRecord]) -> Self:
        result = f"{record.target_env}/{record.name}:{record.result_version}" if record.result_version else None
        return cls(
            id=record.id,
            project=record.project,
            name=record.name,
            kind=record.kind,
            source_env=record.source_env,
            source_version=record.source_version,
            target_env=record.target_env,
            alias=record.alias,
            mode=record.mode,
            reason=record.reason,
            requested_by=record.requested_by,
            requested_at=record.requested_at,
            state=record.state,
            required_approvals=record.required_approvals,
            gates=[GateCheck.from_record(gate) for gate in record.gates],
            result_version=record.result_version,
            updated_at=record.updated_at,
            note=record.note,
            source=f"{record.source_env}/{record.name}:{record.source_version}",
            approvals=[d.principal for d in decisions if d.decision == "approve"],
            decisions=[Decision.from_record(d) for d in decisions],
            result=result,
            run_id=record.run_id,
        )


class PromotionPreview(Result):
    """What promote would do, without doing it."""

    # `copy` is the key users read; as a field name it would shadow BaseModel.copy.
    model_config = ConfigDict(frozen=True, extra="forbid", serialize_by_alias=True, validate_by_name=True)

    source: str
    target_env: str
    mode: str = Field(description="copy or retrain (as --mode auto decided)")
    mode_reason: str = Field(description="why that mode")
    executable: bool = Field(description="false when the mode is blocked or the alias clashes")
    unavailable: str | None = Field(description="why it cannot execute, when it cannot")
    gates: list[GateCheck]
    gates_pass: bool
    permitted: bool = Field(description="the caller holds promotions.request in the target")
    approvals_required: int
    alias: str
    alias_from: str | None = Field(description="the ref the alias points at now")
    alias_from_version: int | None
    alias_to: str = Field(description="the ref the alias would point at")
    copy_: str | None = Field(alias="copy", description="what a copy would move (mode copy only)")
    retrain: str | None = Field(default=None, description="where and how a retrain would run (mode retrain only)")
    deciding_files: list[str] = Field(default=[], description="--mode auto: the changed files under model_paths")
    same_store: bool
    reason: str | None = Field(default=None, description="the --reason the request would record")
    outcome: str = Field(description="one line: what promote would do")


class Transferred(Result):
    """The blobs a transfer copied to the target store."""

    id: int
    state: str
    copied_files: int
    copied_bytes: int
