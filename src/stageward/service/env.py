"""Environments as declared in stageward.yaml, seen through the caller's bindings."""

from __future__ import annotations

from stageward.access.decide import visible_environments
from stageward.access.roles import ROLES
from stageward.service.catalogue import verb
from stageward.service.results.access import EnvironmentDetail, EnvironmentSummary
from stageward.service.unit import Unit


def _roles_held(unit: Unit, environment: str) -> list[str]:
    holders = {unit.principal, *unit.teams()}
    target = unit.ctx.target()
    return sorted(
        {
            b.role
            for b in unit.bindings()
            if b.principal in holders
            and b.environment in (environment, "*")
            and (not b.scope or target.covered_by(b.scope))
        }
        & set(ROLES)
    )


@verb("env.list", http=("GET", "/envs"))
def list_environments(unit: Unit) -> list[EnvironmentSummary]:
    """The environments the caller can see, in tier order."""
    environments = unit.ctx.environments
    visible = visible_environments(
        unit.principal, environments, unit.bindings(), unit.teams(), unit.ctx.target()
    )
    from stageward.project.tiers import tier_rank

    in_order = sorted(visible, key=lambda name: (tier_rank(environments[name].tier), name))
    return [
        EnvironmentSummary(
            name=name,
            tier=environments[name].tier,
            promote_from=environments[name].promote_from,
            approvals=environments[name].required_approvals,
            roles=_roles_held(unit, name),
        )
        for name in in_order
    ]


@verb("env.show", permission="env.read", http=("GET", "/envs/{env}"))
def show(unit: Unit, *, env: str) -> EnvironmentDetail:
    """One environment with the controls the store enforces there (the applied policy, tier defaults applied)."""
    declared = unit.ctx.environment(env)
    return EnvironmentDetail.model_validate({
        "name": env,
        "tier": declared.tier,
        "promote_from": declared.promote_from,
        "promotion": {
            "mode": declared.promotion.mode,
            "approvals": declared.required_approvals,
            "gates": [g.model_dump(exclude_none=True) for g in declared.promotion.gates],
        },
        "refs": declared.required_refs,
        "require_clean_tree": declared.clean_tree_required,
        "images": declared.images,
        "vulnerability_scan": declared.vulnerability_scan.model_dump() if declared.vulnerability_scan else None,
        "quotas": declared.quotas.model_dump(exclude_none=True),
        "cost": declared.cost.model_dump(),
        "blobs": declared.blobs,
        "data": {name: store.model_dump() for name, store in declared.data.items()},
        "schedules": [s.model_dump() for s in declared.schedules],
        "aliases": declared.alias_protection(),
        "roles": _roles_held(unit, env),
    })
