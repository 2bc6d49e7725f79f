"""Results of the `access.*`, `team.*`, `keys.*` and `env.*` verbs."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Self

from pydantic import Field

from stageward.service.results.base import Result

if TYPE_CHECKING:
    from stageward.project.model import Cost, DataStore, Environment, Gate, Quotas, Schedule, VulnerabilityScan
    from stageward.store.db.access_repo import GrantRecord, TeamListing


def _absent(value: object) -> bool:
    return value is None


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

    @classmethod
    def from_record(cls, grant: GrantRecord) -> Self:
        return cls(
            principal=grant.principal,
            role=grant.role,
            environment=grant.environment,
            scope=grant.scope,
            granted_by=grant.granted_by,
            granted_at=grant.granted_at,
        )


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

    @classmethod
    def from_record(cls, listing: TeamListing) -> Self:
        return cls(
            name=listing.name,
            prefix=listing.prefix,
            created_at=listing.created_at,
            created_by=listing.created_by,
            members=listing.members,
            maintainers=listing.maintainers,
        )


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


class DeclaredGate(Result):
    """A metric gate as declared: its one bound (the others are absent, not null)."""

    metric: str
    min: float | None = Field(default=None, exclude_if=_absent)
    max: float | None = Field(default=None, exclude_if=_absent)
    max_drop: float | None = Field(
        default=None, exclude_if=_absent, description="the most the metric may fall below the alias holder's"
    )

    @classmethod
    def from_declared(cls, gate: Gate) -> Self:
        return cls(metric=gate.metric, min=gate.min, max=gate.max, max_drop=gate.max_drop)


class PromotionControls(Result):
    mode: str
    approvals: int
    gates: list[DeclaredGate] = Field(description="the metric gates, as declared")


class AliasProtection(Result):
    protected: list[str]
    unprotected: list[str]
    others_protected: bool = Field(description="whether aliases the environment does not declare are protected")

    @classmethod
    def from_declared(cls, env: Environment) -> Self:
        return cls(**env.alias_protection())


class VulnerabilityScanControls(Result):
    lockfile: str
    advisories: str
    fail_on: list[str] = Field(description="the severities that fail the scan")

    @classmethod
    def from_declared(cls, scan: VulnerabilityScan) -> Self:
        return cls(lockfile=scan.lockfile, advisories=scan.advisories, fail_on=list(scan.fail_on))


class QuotaLimits(Result):
    """The declared limits (an undeclared one is absent, not null)."""

    max_concurrent_runs: int | None = Field(default=None, exclude_if=_absent)
    monthly_budget: float | None = Field(default=None, exclude_if=_absent)

    @classmethod
    def from_declared(cls, quotas: Quotas) -> Self:
        return cls(max_concurrent_runs=quotas.max_concurrent_runs, monthly_budget=quotas.monthly_budget)


class CostRates(Result):
    per_cpu_hour: float
    tags: dict[str, str]

    @classmethod
    def from_declared(cls, cost: Cost) -> Self:
        return cls(per_cpu_hour=cost.per_cpu_hour, tags=dict(cost.tags))


class DataStoreDeclared(Result):
    uri: str
    access: str = Field(description="read or read-write")

    @classmethod
    def from_declared(cls, store: DataStore) -> Self:
        return cls(uri=store.uri, access=store.access)


class ScheduleDeclared(Result):
    name: str
    cron: str
    pipeline: str

    @classmethod
    def from_declared(cls, schedule: Schedule) -> Self:
        return cls(name=schedule.name, cron=schedule.cron, pipeline=schedule.pipeline)


class EnvironmentControls(Result):
    """One environment's controls as enforced (tier defaults applied), as `policy show` summarises them."""

    tier: str
    promote_from: list[str]
    approvals: int
    gates: list[DeclaredGate]
    refs: list[str]
    require_clean_tree: bool
    images: list[str] | None
    aliases: AliasProtection

    @classmethod
    def from_declared(cls, env: Environment) -> Self:
        return cls(
            tier=env.tier,
            promote_from=env.promote_from,
            approvals=env.required_approvals,
            gates=[DeclaredGate.from_declared(g) for g in env.promotion.gates],
            refs=env.required_refs,
            require_clean_tree=env.clean_tree_required,
            images=env.images,
            aliases=AliasProtection.from_declared(env),
        )


class EnvironmentDetail(Result):
    """One environment with the controls the store enforces there."""

    name: str
    tier: str
    promote_from: list[str]
    promotion: PromotionControls
    refs: list[str] = Field(description="git refs a run is launched from (a detached HEAD: the CI's ref)")
    require_clean_tree: bool
    images: list[str] | None
    vulnerability_scan: VulnerabilityScanControls | None
    quotas: QuotaLimits
    cost: CostRates
    blobs: str | None = Field(description="URL of the environment's blob store")
    data: dict[str, DataStoreDeclared] = Field(description="data store name -> its declaration")
    schedules: list[ScheduleDeclared]
    aliases: AliasProtection
    roles: list[str] = Field(description="the caller's roles here")
    enforced: dict[str, str] = Field(description="control -> where it is enforced (at run launch, at promotion)")

    @classmethod
    def from_declared(cls, name: str, env: Environment, *, roles: list[str], enforced: dict[str, str]) -> Self:
        return cls(
            name=name,
            tier=env.tier,
            promote_from=env.promote_from,
            promotion=PromotionControls(
                mode=env.promotion.mode,
                approvals=env.required_approvals,
                gates=[DeclaredGate.from_declared(g) for g in env.promotion.gates],
            ),
            refs=env.required_refs,
            require_clean_tree=env.clean_tree_required,
            images=env.images,
            vulnerability_scan=(
                VulnerabilityScanControls.from_declared(env.vulnerability_scan) if env.vulnerability_scan else None
            ),
            quotas=QuotaLimits.from_declared(env.quotas),
            cost=CostRates.from_declared(env.cost),
            blobs=env.blobs,
            data={store_name: DataStoreDeclared.from_declared(store) for store_name, store in env.data.items()},
            schedules=[ScheduleDeclared.from_declared(s) for s in env.schedules],
            aliases=AliasProtection.from_declared(env),
            roles=roles,
            enforced=enforced,
        )
