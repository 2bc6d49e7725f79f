"""Read-only views of one environment for the web UI (and any client): the asset x alias matrix, an asset's
versions and alias history with an as-of view, one version's lineage step, the change feed (the events
outbox, by topic), and what the caller may do there. Each is one read transaction with a fixed number of
queries.
"""

from __future__ import annotations

from typing import Any

from stageward.access.roles import PERMISSIONS
from stageward.errors import BadInput, NotFound
from stageward.registry.alias_as_of import holders_at
from stageward.registry.names import check_asset_name, check_version
from stageward.service.assets import find_asset
from stageward.service.catalogue import verb
from stageward.service.clock import parse_instant
from stageward.service.results.overview import (
    AliasAt,
    AliasHistoryEntry,
    AssetOverview,
    Change,
    ChangeFeed,
    EnvironmentOverview,
    Standing,
    VersionSummary,
)
from stageward.service.unit import Unit
from stageward.store.db import overview_repo, registry_repo

MAX_VERSIONS = 100  # an asset page lists the newest ones; older versions stay reachable by reference
MAX_CHANGES = 500


def _ref(env: str | None, name: str | None, version: int | None) -> str | None:
    return f"{env}/{name}:{version}" if env is not None and name is not None and version is not None else None


def _topic(event_type: str) -> str:
    """promotion, alias, version or denied: what a page needs to know to fetch its part again, and no more."""
    group = event_type.partition(".")[0]
    return {"promotion": "promotion", "alias": "alias", "version": "version", "access": "denied"}.get(group, "other")


@verb("overview.matrix", permission="env.read", http=("GET", "/envs/{env}/overview"))
def matrix(unit: Unit, *, env: str) -> EnvironmentOverview:
    """Every model and dataset in ENV with the version each alias holds and where it was promoted from."""
    rows = overview_repo.assets_with_aliases(unit.conn, unit.ctx.project.spec.project, env)
    for row in rows:
        for held in row["aliases"]:
            held["promoted_from"] = _ref(
                held["promoted_from_env"], held["promoted_from_name"], held["promoted_from_version"]
            )
    # Validated in one call over the whole tree: building thousands of small models one by one costs more
    # than the query (the matrix asks for 500 assets in each of four environments).
    return EnvironmentOverview.model_validate(
        {"env": env, "cursor": overview_repo.last_change(unit.conn, env), "assets": rows}
    )


def _summary(env: str, name: str, kind: str, row: dict[str, Any]) -> VersionSummary:
    return VersionSummary(
        env=env,
        name=name,
        kind=kind,
        version=row["version"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        metrics=row["metrics"],
        tags=row["tags"],
        run=row["run"],
        git_commit=row["git_commit"],
        promoted_from=_ref(row["promoted_from_env"], row["promoted_from_name"], row["promoted_from_version"]),
        promoted_from_env=row["promoted_from_env"],
        promoted_from_name=row["promoted_from_name"],
        promoted_from_version=row["promoted_from_version"],
    )


@verb("overview.asset", permission="env.read", http=("GET", "/envs/{env}/overview/assets/{name}"))
def asset(unit: Unit, *, env: str, name: str, as_of: str | None = None) -> AssetOverview:
    """One asset in ENV: its newest versions with metrics, its aliases, their history, and the aliases at AS_OF."""
    record = find_asset(unit, env, check_asset_name(name), None)
    instant = parse_instant(as_of, option="--as-of") if as_of is not None else None
    history = registry_repo.history(unit.conn, record.id)
    held = registry_repo.aliases_of(unit.conn, record.id)
    return AssetOverview(
        env=env,
        name=record.name,
        kind=record.kind,
        versions=[
            _summary(env, record.name, record.kind, row)
            for row in overview_repo.versions(unit.conn, record.id, MAX_VERSIONS)
        ],
        aliases=[AliasAt(alias=alias, version=version) for alias, version in sorted(held.items())],
        history=[
            AliasHistoryEntry(
                alias=move.alias,
                action=move.action,
                version=move.version,
                previous_version=move.previous_version,
                at=move.at,
                by=move.by,
                promotion_id=move.promotion_id,
            )
            for move in history
        ],
        as_of=instant,
        aliases_as_of=(
            [AliasAt(alias=a, version=v) for a, v in holders_at(history, instant).items()]
            if instant is not None
            else None
        ),
    )


@verb("overview.version", permission="env.read", http=("GET", "/envs/{env}/overview/assets/{name}/{version}"))
def version(unit: Unit, *, env: str, name: str, version: int) -> VersionSummary:
    """One version of an asset in ENV: metrics, tags, run, commit and where it was promoted from."""
    record = find_asset(unit, env, check_asset_name(name), None)
    check_version(version)
    for row in overview_repo.versions(unit.conn, record.id, 1, only=version):
        return _summary(env, record.name, record.kind, row)
    raise NotFound(f"{env}/{record.name}:{version} does not exist")


@verb("overview.changes", permission="env.read", http=("GET", "/envs/{env}/overview/changes"))
def changes(unit: Unit, *, env: str, after: int | None = None) -> ChangeFeed:
    """What changed in ENV after the cursor AFTER (none given: no changes, only the cursor to start from)."""
    if after is None:
        return ChangeFeed(env=env, cursor=overview_repo.last_change(unit.conn, env), changes=[])
    if after < 0:
        raise BadInput(f"overview.changes: after {after}: expected 0 or more")
    found = overview_repo.changes_after(unit.conn, env, after, MAX_CHANGES)
    return ChangeFeed(
        env=env,
        cursor=found[-1][0] if found else after,
        changes=[Change(sequence=sequence, topic=_topic(action)) for sequence, action in found],
    )


@verb("overview.standing", permission="env.read", http=("GET", "/envs/{env}/overview/standing"))
def standing(unit: Unit, *, env: str) -> Standing:
    """Who the caller is in ENV and which permissions they hold there."""
    return Standing(
        principal=unit.principal, env=env, permissions=[p for p in PERMISSIONS if unit.can(p, env)]
    )
