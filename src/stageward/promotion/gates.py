"""Gates: min, max and max_drop (against the version holding the target alias now), as pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GateResult:
    metric: str
    kind: str  # "min" | "max" | "max_drop"
    bound: float
    value: float | None
    baseline: float | None  # the alias holder's value, for max_drop
    passed: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "kind": self.kind,
            "bound": self.bound,
            "value": self.value,
            "baseline": self.baseline,
            "passed": self.passed,
            "reason": self.reason,
        }


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def evaluate(
    gates: Iterable[Any],
    metrics: Mapping[str, float],
    holder_metrics: Mapping[str, float] | None,
    holder: str | None = None,
) -> list[GateResult]:
    """Each gate with its value and bound. GATES carry metric and one of min, max, max_drop."""
    results = []
    for gate in gates:
        metric = gate.metric
        value = metrics.get(metric)
        if gate.min is not None:
            kind, bound = "min", float(gate.min)
        elif gate.max is not None:
            kind, bound = "max", float(gate.max)
        else:
            kind, bound = "max_drop", float(gate.max_drop)
        if value is None:
            results.append(GateResult(metric, kind, bound, None, None, False, f"{metric} is not recorded"))
            continue
        if kind == "min":
            ok = value >= bound
            reason = f"{metric} {_fmt(value)} {'>=' if ok else '<'} min {_fmt(bound)}"
            results.append(GateResult(metric, kind, bound, value, None, ok, reason))
        elif kind == "max":
            ok = value <= bound
            reason = f"{metric} {_fmt(value)} {'<=' if ok else '>'} max {_fmt(bound)}"
            results.append(GateResult(metric, kind, bound, value, None, ok, reason))
        else:
            baseline = None if holder_metrics is None else holder_metrics.get(metric)
            if baseline is None:
                why = "no version holds the alias" if holder is None else f"{holder} has no {metric}"
                results.append(
                    GateResult(metric, kind, bound, value, None, True, f"{why}: nothing to drop from")
                )
                continue
            drop = baseline - value
            ok = drop <= bound + 1e-12
            reason = (
                f"{metric} {_fmt(value)} vs {_fmt(baseline)} held by {holder}: drop {_fmt(max(drop, 0.0))} "
                f"{'<=' if ok else '>'} max_drop {_fmt(bound)}"
            )
            results.append(GateResult(metric, kind, bound, value, baseline, ok, reason))
    return results


def failures(results: Iterable[GateResult]) -> list[GateResult]:
    return [r for r in results if not r.passed]
