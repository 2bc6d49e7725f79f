"""The tier order and the controls each tier requires by default (SPEC §1)."""

from __future__ import annotations

from typing import Literal

Tier = Literal["sandbox", "development", "staging", "production"]
TIERS: tuple[Tier, ...] = ("sandbox", "development", "staging", "production")
TIER_ALIASES: dict[str, Tier] = {"acceptance": "staging"}

_RANK = {tier: rank for rank, tier in enumerate(TIERS)}

# Defaults by tier, each overridable in stageward.yaml.
DEFAULT_APPROVALS: dict[Tier, int] = {"production": 1}
DEFAULT_REFS: dict[Tier, list[str]] = {"production": ["refs/heads/main", "refs/tags/*"]}
DEFAULT_CLEAN_TREE: dict[Tier, bool] = {"staging": True, "production": True}
# In production an alias moves only by an executed promotion or an admin's rollback unless declared otherwise.
DEFAULT_ALIASES_PROTECTED: dict[Tier, bool] = {"production": True}


def tier_rank(tier: Tier) -> int:
    return _RANK[tier]


def canonical_tier(value: object) -> object:
    """Accept the `acceptance` alias for `staging`; leave anything else for validation."""
    if isinstance(value, str):
        return TIER_ALIASES.get(value, value)
    return value
