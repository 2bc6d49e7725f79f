"""How a policy differs from the one applied, each change marked as loosening or not (pure).

Loosening a control of a production-tier environment needs approvals like a promotion
(SPEC §12); everything else needs access.manage where it applies. A project's first policy
is compared against its tiers' defaults, so a new project cannot start below them in
production without approval; the edges, data stores and blob stores it declares are not
counted as new, since there is nothing before them.
"""

from __future__ import annotations

import fnmatch
from dataclasses import asdict, dataclass
from typing import Any

from stageward.policy.document import PolicyDocument
from stageward.project.model import Environment, Gate
from stageward.project.tiers import tier_rank


@dataclass(frozen=True)
class Change:
    environment: str | None  # None: a project-wide control (generators)
    control: str
    summary: str
    loosens: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _gate_key(gate: Gate) -> tuple[str, str]:
    kind = "min" if gate.min is not None else "max" if gate.max is not None else "max_drop"
    return gate.metric, kind


def _gate_bound(gate: Gate) -> float:
    value = gate.min if gate.min is not None else gate.max if gate.max is not None else gate.max_drop
    assert value is not None
    return value


def _relaxed(kind: str, before: float, after: float) -> bool:
    return after < before if kind == "min" else after > before


def _gates(name: str, old: Environment, new: Environment) -> list[Change]:
    changes: list[Change] = []
    before = {_gate_key(g): _gate_bound(g) for g in old.promotion.gates}
    after = {_gate_key(g): _gate_bound(g) for g in new.promotion.gates}
    for key, bound in before.items():
        metric, kind = key
        if key not in after:
            changes.append(Change(name, "gates", f"gate {metric} {kind} {bound:g} removed", True))
        elif after[key] != bound:
            loosens = _relaxed(kind, bound, after[key])
            verb = "relaxed" if loosens else "tightened"
            changes.append(Change(name, "gates", f"gate {metric} {kind} {verb}: {bound:g} -> {after[key]:g}", loosens))
    for key, bound in after.items():
        if key not in before:
            changes.append(Change(name, "gates", f"gate {key[0]} {key[1]} {bound:g} added", False))
    return changes


def _covered(entry: str, allowed: list[str], patterns: bool) -> bool:
    """Whether ENTRY allows nothing ALLOWED did not: listed there, or (for ref patterns) matched by one of them,
    as refs/tags/v* is by refs/tags/*."""
    return entry in allowed or (patterns and any(fnmatch.fnmatchcase(entry, old) for old in allowed))


def _listed(
    name: str, control: str, before: list[str] | None, after: list[str] | None, what: str, *, patterns: bool = False
) -> list[Change]:
    """A list that allows things (refs, images, edges): None allows anything, more entries allow more."""
    if before == after or (before is not None and after is not None and set(before) == set(after)):
        return []
    if after is None:
        return [Change(name, control, f"{control}: any {what} allowed (was {', '.join(before or [])})", True)]
    if before is None:
        return [Change(name, control, f"{control}: only {', '.join(after)} (was any {what})", False)]
    added = [x for x in after if x not in before]
    removed = [x for x in before if x not in after]
    wider = [x for x in added if not _covered(x, before, patterns)]
    out = []
    if added:
        out.append(Change(name, control, f"{control}: {', '.join(added)} added", bool(wider)))
    if removed:
        out.append(Change(name, control, f"{control}: {', '.join(removed)} removed", False))
    return out


def _limit(name: str, control: str, before: float | None, after: float | None) -> list[Change]:
    """A limit where None means no limit: raising or dropping it loosens."""
    if before == after:
        return []
    loosens = after is None or (before is not None and after > before)
    return [Change(name, control, f"{control}: {_number(before)} -> {_number(after)}", loosens)]


def _number(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def _environment(name: str, old: Environment, new: Environment) -> list[Change]:
    changes: list[Change] = []
    if old.tier != new.tier:
        loosens = tier_rank(new.tier) < tier_rank(old.tier)
        changes.append(Change(name, "tier", f"tier: {old.tier} -> {new.tier}", loosens))
    changes += _listed(name, "promote_from", old.promote_from, new.promote_from, "source")
    if old.promotion.mode != new.promotion.mode:
        changes.append(Change(name, "mode", f"promotion mode: {old.promotion.mode} -> {new.promotion.mode}", False))
    if old.required_approvals != new.required_approvals:
        changes.append(
            Change(
                name,
                "approvals",
                f"approvals: {old.required_approvals} -> {new.required_approvals}",
                new.required_approvals < old.required_approvals,
            )
        )
    changes += _gates(name, old, new)
    changes += _listed(name, "refs", old.required_refs, new.required_refs, "ref", patterns=True)
    if old.clean_tree_required != new.clean_tree_required:
        changes.append(
            Change(
                name,
                "require_clean_tree",
                f"require_clean_tree: {old.clean_tree_required} -> {new.clean_tree_required}",
                not new.clean_tree_required,
            )
        )
    changes += _listed(name, "images", old.images, new.images, "image")
    changes += _scan(name, old, new)
    changes += _limit(name, "max_concurrent_runs", old.quotas.max_concurrent_runs, new.quotas.max_concurrent_runs)
    changes += _limit(name, "monthly_budget", old.quotas.monthly_budget, new.quotas.monthly_budget)
    if old.blobs != new.blobs:
        # Where versions are written and read: pointing production at another store is never a tightening.
        changes.append(Change(name, "blobs", f"blobs: {old.blobs or 'default'} -> {new.blobs or 'default'}", True))
    changes += _data(name, old, new)
    changes += _aliases(name, old, new)
    if old.cost != new.cost:
        changes.append(Change(name, "cost", "cost rates or tags changed", False))
    if old.schedules != new.schedules:
        changes.append(Change(name, "schedules", "schedules changed", False))
    return changes


def _scan(name: str, old: Environment, new: Environment) -> list[Change]:
    before, after = old.vulnerability_scan, new.vulnerability_scan
    if before == after:
        return []
    if after is None:
        return [Change(name, "vulnerability_scan", "vulnerability scan removed", True)]
    if before is None:
        return [Change(name, "vulnerability_scan", "vulnerability scan added", False)]
    loosens = (
        not set(before.fail_on) <= set(after.fail_on)
        or before.lockfile != after.lockfile
        or before.advisories != after.advisories
    )
    return [Change(name, "vulnerability_scan", "vulnerability scan changed", loosens)]


def _data(name: str, old: Environment, new: Environment) -> list[Change]:
    changes: list[Change] = []
    for store, declared in new.data.items():
        before = old.data.get(store)
        if before is None:
            changes.append(Change(name, "data", f"data store {store} added ({declared.uri}, {declared.access})", True))
        elif before != declared:
            loosens = before.uri != declared.uri or (declared.writable and not before.writable)
            changes.append(Change(name, "data", f"data store {store}: {before.access} -> {declared.access}", loosens))
    for store in old.data:
        if store not in new.data:
            changes.append(Change(name, "data", f"data store {store} removed", False))
    return changes


def _aliases(name: str, old: Environment, new: Environment) -> list[Change]:
    changes: list[Change] = []
    for alias in sorted({*old.aliases, *new.aliases}):
        before, after = old.alias_protected(alias), new.alias_protected(alias)
        if before != after:
            what = "protected" if after else "unprotected"
            changes.append(Change(name, "aliases", f"alias {alias} {what}", before and not after))
    return changes


def _baseline(env: Environment) -> Environment:
    """What a project starts from in an environment: the tier's defaults (approvals, refs, clean tree, alias
    protection), with the edges, data stores and blob store it declares, since nothing stood there before."""
    return Environment.model_validate(
        {
            "tier": env.tier,
            "promote_from": env.promote_from,
            "data": {name: store.model_dump() for name, store in env.data.items()},
            "blobs": env.blobs,
        }
    )


def diff(applied: PolicyDocument | None, working: PolicyDocument) -> list[Change]:
    """Every change from APPLIED (None: nothing applied yet) to WORKING."""
    before = applied.environments if applied is not None else {}
    changes: list[Change] = []
    for name, env in working.environments.items():
        if name in before:
            changes += _environment(name, before[name], env)
        else:
            changes.append(Change(name, "environment", f"{name} ({env.tier}) enters the policy", False))
            changes += _environment(name, _baseline(env), env)
    for name in before:
        if name not in working.environments:
            changes.append(Change(name, "environment", f"{name} leaves the policy", False))
    old_generators = applied.generators if applied is not None else {}
    for name, generator in working.generators.items():
        if name not in old_generators:
            changes.append(Change(None, "generators", f"generator {name} added: {' '.join(generator.command)}", True))
        elif old_generators[name] != generator:
            changes.append(Change(None, "generators", f"generator {name} changed: {' '.join(generator.command)}", True))
    for name in old_generators:
        if name not in working.generators:
            changes.append(Change(None, "generators", f"generator {name} removed", False))
    return changes


@dataclass(frozen=True)
class Requirements:
    manage: list[str]  # environments where the applier needs access.manage
    approval: list[str]  # production-tier environments whose loosening needs approvers


def requirements(changes: list[Change], applied: PolicyDocument | None, working: PolicyDocument) -> Requirements:
    """Who must agree: access.manage wherever a change lands; approvers where production is loosened.

    A generator runs commands for every environment's secrets, so changing one needs access.manage in all of them.
    """
    manage: set[str] = set()
    approval: set[str] = set()
    everywhere = {*working.environments, *(applied.environments if applied else {})}
    for change in changes:
        if change.environment is None:
            manage |= everywhere
            continue
        manage.add(change.environment)
        if change.loosens and _is_production(change.environment, applied, working):
            approval.add(change.environment)
    return Requirements(sorted(manage), sorted(approval))


def _is_production(name: str, applied: PolicyDocument | None, working: PolicyDocument) -> bool:
    tiers = [doc.environments[name].tier for doc in (applied, working) if doc is not None and name in doc.environments]
    return "production" in tiers
