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
    return EnvironmentDetail.from_declared(env, declared, roles=_roles_held(unit, env), enforced=ENFORCED_AT)


# Where each control of an environment is enforced (SPEC §7, §6), so `env show` says what each one does.
ENFORCED_AT = {
    "refs": "at run launch (the ref the code comes from)",
    "require_clean_tree": "at run launch",
    "images": "at run launch (pinned by digest and listed)",
    "vulnerability_scan": "at run launch, and by stageward scan",
    "quotas": "at run launch (concurrent runs; monthly budget with this run's estimate)",
    "cost": "when a run ends (its cost), and at run launch (the budget)",
    "data": "at run launch (--reads, --writes against each store's access)",
    "schedules": "by the scheduler (stageward scheduler), each run launched behind the guardrails",
    "promotion": "at promotion request (edge, gates) and execution (gates again, approvals)",
    "aliases": "at alias set, promotion and rollback (protected aliases)",
}
