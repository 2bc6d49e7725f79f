"""Results of the `secrets.*` verbs. Only `secrets.get`'s carries a value; every other one never does."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from stageward.service.results.base import Result


class SecretSet(Result):
    environment: str
    name: str
    scope: str = Field(description="project:NAME or team:NAME")
    version: int
    expires_at: str | None
    rotate_with: str | None = Field(description="the generator rotation runs (random:N, generator:NAME...)")


class SecretValue(Result):
    """A secret's current value (its read is audited)."""

    environment: str
    name: str
    scope: str
    version: int
    expires_at: str | None
    value: str = Field(description="the secret's value")


class SecretInfo(Result):
    """A secret as listed: everything but its value."""

    columns: ClassVar[tuple[str, ...]] = (
        "environment",
        "name",
        "scope",
        "version",
        "expires_at",
        "rotate_with",
        "applies_here",
        "updated_by",
    )

    environment: str
    name: str
    scope: str
    version: int
    expires_at: str | None
    expired: bool
    rotate_with: str | None
    expires_every: str | None = Field(description="the lifetime each new version gets (30d...)")
    applies_here: bool = Field(description="this project reads this scope of the name (its own wins over its team's)")
    updated_at: str
    updated_by: str


class SecretVersion(Result):
    """One version of a secret (never its value)."""

    columns: ClassVar[tuple[str, ...]] = (
        "scope",
        "version",
        "current",
        "origin",
        "created_at",
        "created_by",
        "expires_at",
    )

    environment: str
    name: str
    scope: str
    version: int
    current: bool
    origin: str = Field(description="set or rotate")
    created_at: str
    created_by: str
    expires_at: str | None


class SecretDeleted(Result):
    environment: str
    name: str
    scope: str
    versions_deleted: int


class RotationOutcome(Result):
    """What rotation did, or could not do, for one secret or API key."""

    columns: ClassVar[tuple[str, ...]] = ("kind", "environment", "name", "scope", "expires_at", "outcome", "detail")

    kind: str = Field(description="secret or api key")
    environment: str
    name: str = Field(description="the secret's name, or the key's prefix")
    scope: str = Field(description="the secret's scope, or the key's principal")
    expires_at: str | None
    outcome: str = Field(description="rotated, failed or rotate by hand")
    detail: str
