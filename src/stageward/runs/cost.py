"""What a run costs, what the next one is expected to, and the cost report's grouping (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

SECONDS_PER_HOUR = 3600.0


def cost_of(cpu_seconds: float, per_cpu_hour: float) -> float:
    return round(cpu_seconds / SECONDS_PER_HOUR * per_cpu_hour, 6)


def estimate(previous_costs: Sequence[float]) -> float:
    """The mean cost of the environment's recent runs: what the budget check counts for a run yet to happen."""
    if not previous_costs:
        return 0.0
    return round(sum(previous_costs) / len(previous_costs), 6)


def month_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


GROUPINGS = ("env", "team", "project", "tag")


def group_costs(runs: Iterable[dict[str, Any]], by: str, tag: str | None = None) -> list[dict[str, Any]]:
    """Cost, CPU seconds and run count per group, most expensive first. BY tag groups by the tag named TAG."""
    totals: dict[str, dict[str, Any]] = {}
    for run in runs:
        tags = run.get("tags") or {}
        if by == "env":
            key = run["environment"]
        elif by == "project":
            key = run["project"]
        elif by == "team":
            key = tags.get("team") or "(no team)"
        else:
            key = tags.get(tag or "", "(untagged)")
        row = totals.setdefault(key, {"group": key, "runs": 0, "cpu_seconds": 0.0, "cost": 0.0})
        row["runs"] += 1
        row["cpu_seconds"] = round(row["cpu_seconds"] + (run.get("cpu_seconds") or 0.0), 6)
        row["cost"] = round(row["cost"] + (run.get("cost") or 0.0), 6)
    return sorted(totals.values(), key=lambda row: (-row["cost"], row["group"]))
