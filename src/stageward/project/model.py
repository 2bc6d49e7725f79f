"""The shape of stageward.yaml as pydantic models; unknown keys are errors."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from stageward.project.tiers import (
    DEFAULT_ALIASES_PROTECTED,
    DEFAULT_APPROVALS,
    DEFAULT_CLEAN_TREE,
    DEFAULT_REFS,
    Tier,
    canonical_tier,
    tier_rank,
)

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,62}$"
_NAME = re.compile(NAME_PATTERN)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class DataStore(_Strict):
    uri: str = Field(min_length=1)
    access: Literal["read", "read-write"] = "read"

    @property
    def writable(self) -> bool:
        return self.access == "read-write"


class Gate(_Strict):
    metric: str = Field(min_length=1)
    # A NaN bound would fail (or pass) every comparison silently: bounds must be finite numbers.
    min: float | None = Field(default=None, allow_inf_nan=False)
    max: float | None = Field(default=None, allow_inf_nan=False)
    max_drop: float | None = Field(default=None, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _one_bound(self) -> Gate:
        bounds = [b for b in (self.min, self.max, self.max_drop) if b is not None]
        if len(bounds) != 1:
            raise ValueError("a gate takes exactly one of min, max or max_drop")
        return self


class Promotion(_Strict):
    mode: Literal["copy", "retrain"] = "copy"
    approvals: int | None = Field(default=None, ge=0, le=10)
    gates: list[Gate] = Field(default_factory=list)


Severity = Literal["LOW", "MODERATE", "MEDIUM", "HIGH", "CRITICAL"]
_DEFAULT_FAIL_ON: tuple[Severity, ...] = ("HIGH", "CRITICAL")


class VulnerabilityScan(_Strict):
    lockfile: str = "requirements.lock"
    advisories: str = "advisories/"
    fail_on: list[Severity] = Field(default_factory=lambda: list(_DEFAULT_FAIL_ON))


class Quotas(_Strict):
    max_concurrent_runs: int | None = Field(default=None, ge=1)
    monthly_budget: float | None = Field(default=None, ge=0, allow_inf_nan=False)


class Cost(_Strict):
    per_cpu_hour: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    tags: dict[str, str] = Field(default_factory=dict)


class Schedule(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    cron: str = Field(min_length=1)
    pipeline: str = Field(min_length=1)


class AliasPolicy(_Strict):
    # A protected alias moves only by an executed promotion or an admin's rollback (SPEC §12).
    protected: bool = True


class Environment(_Strict):
    tier: Annotated[Tier, BeforeValidator(canonical_tier)]
    promote_from: list[str] = Field(default_factory=list)
    promotion: Promotion = Field(default_factory=Promotion)
    refs: list[str] | None = None
    require_clean_tree: bool | None = None
    images: list[str] | None = None
    vulnerability_scan: VulnerabilityScan | None = None
    quotas: Quotas = Field(default_factory=Quotas)
    cost: Cost = Field(default_factory=Cost)
    blobs: str | None = None
    data: dict[str, DataStore] = Field(default_factory=dict)
    schedules: list[Schedule] = Field(default_factory=list)
    aliases: dict[str, AliasPolicy] = Field(default_factory=dict)

    @field_validator("aliases")
    @classmethod
    def _alias_names(cls, value: dict[str, AliasPolicy]) -> dict[str, AliasPolicy]:
        for name in value:
            if not re.fullmatch(r"[a-z0-9-]{1,63}", name):
                raise ValueError(f"alias name {name!r} must match [a-z0-9-]+")
        return value

    @field_validator("data")
    @classmethod
    def _store_names(cls, value: dict[str, DataStore]) -> dict[str, DataStore]:
        for name in value:
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
                raise ValueError(f"data store name {name!r} must match [a-z][a-z0-9_]*")
        return value

    @property
    def required_approvals(self) -> int:
        if self.promotion.approvals is not None:
            return self.promotion.approvals
        return DEFAULT_APPROVALS.get(self.tier, 0)

    @property
    def required_refs(self) -> list[str]:
        if self.refs is not None:
            return list(self.refs)
        return list(DEFAULT_REFS.get(self.tier, []))

    @property
    def clean_tree_required(self) -> bool:
        if self.require_clean_tree is not None:
            return self.require_clean_tree
        return DEFAULT_CLEAN_TREE.get(self.tier, False)

    def alias_protected(self, alias: str) -> bool:
        """Declared aliases say for themselves; any other alias is protected in the production tier only."""
        declared = self.aliases.get(alias)
        if declared is not None:
            return declared.protected
        return self.others_protected

    def alias_protection(self) -> dict[str, Any]:
        """The aliases declared protected or not, and whether undeclared ones are: for show and plan."""
        return {
            "protected": sorted(a for a in self.aliases if self.alias_protected(a)),
            "unprotected": sorted(a for a in self.aliases if not self.alias_protected(a)),
            "others_protected": self.others_protected,
        }

    @property
    def others_protected(self) -> bool:
        """Whether aliases this environment does not declare are protected: in the production tier they are."""
        return DEFAULT_ALIASES_PROTECTED.get(self.tier, False)


class ConfigSection(_Strict):
    dir: str = "conf"
    schema_: str | None = Field(default=None, alias="schema")
    env_prefix: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9_]*$")
    intentional_differences: list[str] = Field(default_factory=list)


_SHELL_SYNTAX = re.compile(r"[$`|;&<>*?(){}\\\s]")


class Generator(_Strict):
    """A named rotation command, run as argv (no shell) by whoever runs `secrets rotate`; its stdout is the value."""

    command: list[str] = Field(min_length=1, max_length=64)

    @model_validator(mode="before")
    @classmethod
    def _list_or_mapping(cls, value: Any) -> Any:
        if isinstance(value, list):
            return {"command": value}
        if isinstance(value, str):
            raise ValueError(
                "expected a list of arguments such as [python, scripts/new_password.py]; a generator runs "
                "without a shell (write [sh, -c, '...'] to use one deliberately)"
            )
        return value

    @field_validator("command")
    @classmethod
    def _argv(cls, value: list[str]) -> list[str]:
        for argument in value:
            if not argument or len(argument) > 4096 or "\x00" in argument:
                raise ValueError("each argument must be 1 to 4096 characters, without NUL")
        if _SHELL_SYNTAX.search(value[0]):
            raise ValueError(
                f"the program {value[0]!r} holds shell syntax; a generator runs without a shell: "
                "write [sh, -c, 'your pipeline'] to use one deliberately"
            )
        return value


class Project(_Strict):
    project: str = Field(pattern=NAME_PATTERN)
    team: str | None = Field(default=None, pattern=NAME_PATTERN)
    config: ConfigSection = Field(default_factory=ConfigSection)
    model_paths: list[str] = Field(default_factory=list)
    pipelines: dict[str, str] = Field(default_factory=dict)
    generators: dict[str, Generator] = Field(default_factory=dict)
    environments: dict[str, Environment] = Field(min_length=1)

    @field_validator("generators")
    @classmethod
    def _generator_names(cls, value: dict[str, Generator]) -> dict[str, Generator]:
        for name in value:
            if not _NAME.fullmatch(name):
                raise ValueError(f"generator name {name!r} must match {NAME_PATTERN}")
        return value

    @field_validator("environments")
    @classmethod
    def _environment_names(cls, value: dict[str, Environment]) -> dict[str, Environment]:
        for name in value:
            if not _NAME.fullmatch(name):
                raise ValueError(f"environment name {name!r} must match {NAME_PATTERN}")
        return value

    def environment(self, name: str) -> Environment:
        """The named environment; the caller raises NotFound for an unknown name."""
        return self.environments[name]

    def promotion_edges(self) -> list[tuple[str, str]]:
        return [(src, dst) for dst, env in self.environments.items() for src in env.promote_from]


def promotion_edge_problems(project: Project) -> list[tuple[tuple[Any, ...], str]]:
    """Edges that name a missing environment or do not go up the tiers, with the key path of each."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    for target, env in project.environments.items():
        for index, source in enumerate(env.promote_from):
            path = ("environments", target, "promote_from", index)
            if source not in project.environments:
                problems.append((path, f"no environment named {source!r}"))
                continue
            source_tier = project.environments[source].tier
            if tier_rank(source_tier) >= tier_rank(env.tier):
                problems.append(
                    (
                        path,
                        f"promotion must go up the tiers: {source} ({source_tier}) -> "
                        f"{target} ({env.tier}) does not",
                    )
                )
    return problems
