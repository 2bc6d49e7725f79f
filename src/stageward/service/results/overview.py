"""Results of the `overview.*` verbs: what the web UI shows of one environment."""

from __future__ import annotations

from pydantic import Field

from stageward.service.results.base import Result


class AliasHolder(Result):
    alias: str
    version: int
    promoted_from: str | None = Field(description="ENV/NAME:VERSION the held version was promoted from")
    promoted_from_env: str | None
    promoted_from_name: str | None
    promoted_from_version: int | None


class AssetAliases(Result):
    name: str
    kind: str
    latest: int | None
    aliases: list[AliasHolder]


class EnvironmentOverview(Result):
    """Every asset of one environment with the version each alias holds."""

    env: str
    assets: list[AssetAliases]
    cursor: int = Field(description="ENV's latest event id (overview.changes after=CURSOR follows from here)")


class VersionSummary(Result):
    env: str
    name: str
    kind: str
    version: int
    created_at: str
    created_by: str
    metrics: dict[str, float]
    tags: dict[str, str]
    run: str | None
    git_commit: str | None
    promoted_from: str | None = Field(description="ENV/NAME:VERSION, when the version came by promotion")
    promoted_from_env: str | None
    promoted_from_name: str | None
    promoted_from_version: int | None


class AliasHistoryEntry(Result):
    alias: str
    action: str
    version: int
    previous_version: int | None
    at: str
    by: str
    promotion_id: int | None


class AliasAt(Result):
    alias: str
    version: int


class AssetOverview(Result):
    """One asset: its newest versions, its aliases now, every alias move, and the aliases at AS_OF."""

    env: str
    name: str
    kind: str
    versions: list[VersionSummary]
    aliases: list[AliasAt]
    history: list[AliasHistoryEntry]
    as_of: str | None
    aliases_as_of: list[AliasAt] | None


class Change(Result):
    sequence: int = Field(description="the event's id in the outbox")
    topic: str = Field(description="promotion, alias, denied or other")


class ChangeFeed(Result):
    """What happened in an environment after a cursor (an event id of the outbox), by topic only: the events
    stream of the web UI, which must not hand a viewer more than its pages show."""

    env: str
    cursor: int
    changes: list[Change]


class Standing(Result):
    """Who the caller is in an environment, and what they may do there."""

    principal: str
    env: str
    permissions: list[str]
