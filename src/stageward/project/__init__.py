"""The project file, stageward.yaml: its model, its loader and the tier order."""

from stageward.project.loader import PROJECT_FILE, find_project_file, load_project
from stageward.project.model import Environment, Project
from stageward.project.tiers import TIERS, Tier, tier_rank

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
