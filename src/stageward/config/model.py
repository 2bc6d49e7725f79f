"""The values the config domain passes around: origins, layers, errors, findings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from stageward.errors import BadInput

Path_ = tuple[str | int, ...]

# A key is plain ASCII so that `${a.b}`, `--set a.b=v` and PREFIX_A__B can all name it
# unambiguously, and so that two keys never look alike (no zero-width or look-alike letters).
KEY_PATTERN = r"[A-Za-z_][A-Za-z0-9_-]*"
_KEY = re.compile(KEY_PATTERN)
_SECRET_KEY = re.compile(
    r"(^|[_-])(password|passwd|passphrase|secret|token|api[_-]?key|apikey|private[_-]?key|"
    r"access[_-]?key|secret[_-]?key|client[_-]?secret|credentials?)$",
    re.IGNORECASE,
)


def is_secret_like(key: str) -> bool:
    """A key whose value is a credential by its name: password, token, api_key, ..."""
    return bool(_SECRET_KEY.search(key))


class ConfigError(BadInput):
    """A config file, override or reference that cannot be used, located as file:line."""

    code = "config"


def dotted(path: Path_) -> str:
    return ".".join(str(part) for part in path)


def check_key(key: str) -> str | None:
    """Why KEY cannot be a config key, or None when it can."""
    if _KEY.fullmatch(key):
        return None
    reason = (
        f"key {key!a} is not allowed: a config key is ASCII letters, digits, _ and -, "
        "starting with a letter or _"
    )
    if "." in key:
        reason += " (a dot separates levels: nest the key instead)"
    return reason


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a value was set: a file and line, an environment variable, or a --set argument."""

    kind: Literal["file", "env", "set"]
    source: str
    line: int | None = None

    def __str__(self) -> str:
        if self.kind == "file":
            return f"{self.source}:{self.line}" if self.line else self.source
        if self.kind == "env":
            return f"environment variable {self.source}"
        return f"--set {self.source}"


@dataclass
class Layer:
    """One layer of SPEC §4's order: plain values and the origin of every path in them."""

    name: str
    data: dict[str, Any]
    origins: dict[Path_, Origin] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """One problem `config check` reports, printed one a line."""

    kind: str
    message: str
    environment: str | None = None
    key: str | None = None
    where: str | None = None

    def __str__(self) -> str:
        located = " ".join(part for part in (self.where, self.key) if part)
        line = f"{located}: {self.message}" if located else self.message
        return f"{self.environment}: {line}" if self.environment else line

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "environment": self.environment,
            "key": self.key,
            "where": self.where,
            "message": self.message,
            "line": str(self),
        }
