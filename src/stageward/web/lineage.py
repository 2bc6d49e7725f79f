"""The lineage of a version across environments, as nodes laid out for a server-rendered SVG.

production:3 <- staging:5 <- development:9 <- run <- commit: each step read with the key the session holds
for that step's environment; where it holds none the walk stops at a node saying so (a key for production
never reads staging).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from stageward.errors import StagewardError

if TYPE_CHECKING:
    from stageward.web.held import Held

MAX_STEPS = 16  # a lineage longer than the tiers of a project is a loop
NODE_WIDTH = 190
NODE_HEIGHT = 52
GAP = 46


@dataclass(frozen=True)
class Node:
    label: str
    detail: str
    kind: str  # version, run, commit or unseen
    href: str | None
    x: int


@dataclass(frozen=True)
class Graph:
    nodes: list[Node]
    width: int
    height: int
    arrows: list[tuple[int, int]]  # (x1, x2) of each arrow, drawn right to left: from a source to what it fed


def _node(index: int, label: str, detail: str, kind: str, href: str | None = None) -> Node:
    return Node(label, detail, kind, href, index * (NODE_WIDTH + GAP))


def walk(held: Held, env: str, name: str, version: int) -> Graph:
    nodes: list[Node] = []
    step: tuple[str, str, int] | None = (env, name, version)
    last: dict[str, object] | None = None
    while step is not None and len(nodes) < MAX_STEPS:
        step_env, step_name, step_version = step
        if step_env not in held.callers:
            nodes.append(_node(len(nodes), f"{step_env}:{step_version}", f"no key for {step_env} held", "unseen"))
            last = None
            break
        try:
            record = held.run(step_env, "overview.version", env=step_env, name=step_name, version=step_version)
        except StagewardError as error:
            nodes.append(_node(len(nodes), f"{step_env}:{step_version}", error.message, "unseen"))
            last = None
            break
        nodes.append(
            _node(
                len(nodes),
                f"{step_env}:{step_version}",
                f"{record['created_by']} {record['created_at'][:10]}",
                "version",
                f"/assets/{step_env}/{step_name}?version={step_version}",
            )
        )
        last = record
        source = (record["promoted_from_env"], record["promoted_from_name"], record["promoted_from_version"])
        step = (source[0], source[1], source[2]) if source[0] and source[1] and source[2] is not None else None
    if last is not None:
        if last.get("run"):
            nodes.append(_node(len(nodes), "run", str(last["run"]), "run"))
        if last.get("git_commit"):
            nodes.append(_node(len(nodes), "commit", str(last["git_commit"])[:12], "commit"))
    arrows = [(nodes[i + 1].x, nodes[i].x + NODE_WIDTH) for i in range(len(nodes) - 1)]
    width = max(1, len(nodes)) * (NODE_WIDTH + GAP) - GAP
    return Graph(nodes, width, NODE_HEIGHT + 8, arrows)
