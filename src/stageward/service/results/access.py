"""Results of the `access.*`, `team.*`, `keys.*` and `env.*` verbs."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from stageward.service.results.base import Result


class RolePermissions(Result):
    role: str
    permissions: list[str]


class Binding(Result):
    """One role binding."""

    columns: ClassVar[tuple[str, ...]] = ("environment", "principal", "role", "scope", "granted_by", "granted_at")

    principal: str = Field(description="a person, spn:NAME or team:NAME")
    role: str
    environment: str = Field(description="an environment, or '*' for every environment")
    scope: str = Field(description="'' (everything), team:NAME or project:NAME")
    granted_by: str
    granted_at: str


class Granted(Result):
    principal: str
    role: str
    environment: str
    scope: str
    granted_by: str


class Revoked(Result):
    principal: str
    role: str
    environment: str
    scope: str
    revoked_by: str


class Team(Result):
    columns: ClassVar[tuple[str, ...]] = ("name", "prefix", "members", "maintainers", "created_by")

    name: str
    prefix: str = Field(description="the name prefix of the team's secrets and assets")
    created_at: str
    created_by: str
    members: list[str]
    maintainers: list[str]


class TeamCreated(Result):
    name: str
    prefix: str
    members: list[str]


class MemberAdded(Result):
    team: str
    member: str
    maintainer: bool


class MemberRemoved(Result):
    team: str
    member: str


class KeyIssued(Result):
    """A new API key: `key` is shown this once and stored only as a hash."""

    key: str = Field(description="the API key itself (shown once)")
    prefix: str = Field(description="the key's public prefix, its name in listings")
    principal: str
    environment: str
    expires_at: str


class KeyRotated(KeyIssued):
    replaces: str = Field(description="the prefix of the key this one succeeds")
    old_key_expires_at: str = Field(description="when the replaced key stops working")


class KeyInfo(Result):
    """An API key as listed (never the key itself)."""

    columns: ClassVar[tuple[str, ...]] = ("prefix", "principal", "environment", "expires_at", "last_used_at", "status")

    prefix: str
    principal: str
    environment: str
    expires_at: str
    last_used_at: str | None
    status: str = Field(description="active, expired, revoked or overlap until expiry (successor ...)")
    created_at: str
    created_by: str


class KeyRevoked(Result):
    prefix: str
    principal: str
    environment: str
    revoked_at: str


class EnvironmentSummary(Result):
    columns: ClassVar[tuple[str, ...]] = ("name", "tier", "promote_from", "approvals", "roles")

    name: str
    tier: str
    promote_from: list[str] = Field(description="the environments promotions into this one come from")
    approvals: int = Field(description="approvals a promotion into it needs")
    roles: list[str] = Field(description="the caller's roles here")


class PromotionControls(Result):
    mode: str
    approvals: int
    gates: list[dict[str, Any]] = Field(description="the metric gates, as declared")


class AliasProtection(Result):
    protected: list[str]
    unprotected: list[str]
    others_protected: bool = Field(description="whether aliases the environment does not declare are protected")


class EnvironmentDetail(Result):
    """One environment with the controls the store enforces there."""

    name: str
    tier: str
    promote_from: list[str]
    promotion: PromotionControls
    refs: list[str] = Field(description="git refs a promotion's commit must be on")
    require_clean_tree: bool
    images: list[str] | None
    vulnerability_scan: dict[str, Any] | None
    quotas: dict[str, Any]
    cost: dict[str, Any]
    blobs: str | None = Field(description="URL of the environment's blob store")
    data: dict[str, dict[str, Any]] = Field(description="data store name -> its declaration")
    schedules: list[dict[str, Any]]
    aliases: AliasProtection
    roles: list[str] = Field(description="the caller's roles here")
