"""`cost report`: what runs cost, grouped by environment, team, project or a tag."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stageward.errors import BadInput
from stageward.service.catalogue import verb
from stageward.service.results.runs import CostReport, CostRow

if TYPE_CHECKING:
    from stageward.service.unit import Unit


@verb("cost.report", http=("GET", "/cost"))
def report(
    unit: Unit,
    *,
    by: str = "env",
    tag: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> CostReport:
    """Cost of this project's runs in the environments you can read, grouped BY env, team, project or TAG."""
    from stageward.runs.cost import GROUPINGS, group_costs
    from stageward.service.clock import parse_instant
    from stageward.store.db import runs_repo

    if by not in GROUPINGS:
        raise BadInput(f"--by {by!r}: expected one of {', '.join(GROUPINGS)}")
    if by == "tag" and not tag:
        raise BadInput("cost report --by tag needs the tag's name: --tag NAME (for example --tag cost_center)")
    if by != "tag" and tag:
        raise BadInput("--tag names the tag to group by: use it with --by tag")
    start = parse_instant(since, option="--since") if since else None
    end = parse_instant(until, option="--until") if until else None
    if start and end and start >= end:
        raise BadInput(f"--since {since} is not before --until {until}")
    where = unit.require_somewhere("env.read")
    rows = runs_repo.list_runs(unit.conn, unit.ctx.project.spec.project, where, since=start, until=end, limit=None)
    groups = [CostRow(**row) for row in group_costs(rows, by, tag)]
    return CostReport(by=by, tag=tag, since=start, until=end, rows=groups, total=round(sum(g.cost for g in groups), 6))
