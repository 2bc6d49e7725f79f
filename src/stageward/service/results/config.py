"""Results of the `config.*` verbs."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from stageward.service.results.base import Result


class ExplainedKey(Result):
    """Where one key of the resolved config came from."""

    key: str = Field(description="the dotted key")
    value: Any = Field(description="its value as shown (a secret masked unless revealed)")
    origin: str = Field(description="FILE:LINE of the layer that set it, or the override or variable")
    references: list[str] = Field(description="the ${...} references it was built from")


class ConfigShown(Result):
    """An environment's resolved config."""

    environment: str
    digest: str = Field(description="sha256 of the resolved values (secrets as references)")
    config: dict[str, Any] = Field(description="the resolved values, secrets masked unless revealed")
    # Absent, not null, without explain: the JSON users already script against.
    explain: list[ExplainedKey] | None = Field(
        default=None, exclude_if=lambda rows: rows is None, description="with explain: where each key came from"
    )


class ConfigDiff(Result):
    """Differences between two environments' configs."""

    environments: list[str] = Field(description="the two environments, in the order given")
    digests: dict[str, str] = Field(description="environment -> digest of its resolved config")
    differences: list[dict[str, Any]] = Field(
        description="one row a differing key: key, each environment's value (keyed by its name), and notes"
    )


class Finding(Result):
    """One problem `config check` found."""

    kind: str
    message: str
    environment: str | None
    key: str | None
    where: str | None = Field(description="FILE:LINE")
    line: str = Field(description="the finding as one printed line")


class ConfigChecked(Result):
    ok: bool
    environments: list[str]
    findings: list[Finding]


class ConfigExported(Result):
    environment: str
    format: str = Field(description="dotenv, json or k8s")
    digest: str
    text: str = Field(description="the exported document")
