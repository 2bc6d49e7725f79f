"""The project file, stageward.yaml: its model, its loader and the tier order.

The model (pydantic) is imported on first use of its names, not with the package: finding the project
file and the cold read of `config show` do without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stageward.project.loader import PROJECT_FILE, find_project_file, load_project
from stageward.project.tiers import TIERS, Tier, tier_rank

if TYPE_CHECKING:
    from stageward.project.model import Environment, Project

__all__ = [
    "PROJECT_FILE",
    "TIERS",
    "Environment",
    "Project",
    "Tier",
    "find_project_file",
    "load_project",
    "tier_rank",
]


def __getattr__(name: str) -> Any:
    if name in ("Environment", "Project"):
        from stageward.project import model

        return getattr(model, name)
    raise AttributeError(f"module 'stageward.project' has no attribute {name!r}")
