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


# Stageward's own credentials, which `${env:NAME}` never reads and no override variable
# sets. A config value is printed by `config show`, exported to a ConfigMap and handed to
# every run, so a reference to one of these would carry the key that opens every secret
# (STAGEWARD_MASTER_KEY, or the file holding it), the caller's API key, or the store URL
# (it may hold the database password) to wherever the config goes. The scaffold's CI
# secrets (STAGEWARD_<ENV>_KEY) are API keys too: any STAGEWARD_ name ending in _KEY, or
# secret-like by its last word (_TOKEN, _PASSWORD, ...), counts.
OWN_CREDENTIALS = frozenset(
    {"STAGEWARD_MASTER_KEY", "STAGEWARD_MASTER_KEY_FILE", "STAGEWARD_API_KEY", "STAGEWARD_STORE"}
)


def is_own_credential(variable: str) -> bool:
    """NAME is one of Stageward's own credentials (case-insensitively: Windows' variables are)."""
    name = variable.upper()
    if name in OWN_CREDENTIALS:
        return True
    return name.startswith("STAGEWARD_") and (name.endswith("_KEY") or is_secret_like(name))


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
    """Where a value was set: a file and line, an environment variable, or a --set argument.

    `str()` is what `--explain` shows (a --set origin with its value, *** under a
    secret-like key); `named` is what an error shows: never a value.
    """

    kind: Literal["file", "env", "set"]
    source: str  # the file, the variable's name, or the --set key
    line: int | None = None
    shown: str | None = None  # --set only: the value as --explain shows it

    def __str__(self) -> str:
        if self.kind == "set" and self.shown is not None:
            return f"--set {self.source}={self.shown}"
        return self.named

    @property
    def named(self) -> str:
        if self.kind == "file":
            return f"{self.source}:{self.line}" if self.line else self.source
        if self.kind == "env":
            return f"environment variable {self.source}"
        return f"--set {self.source}"


def may_quote(origin: Origin | None, path: Path_) -> bool:
    """Whether an error may quote the text written at PATH.

    Text from a committed file may be quoted (a reference as written is what the
    reader needs to find the mistake), except under a secret-like key; text from
    an environment variable or --set never is: it may be a credential.
    """
    return (
        origin is not None
        and origin.kind == "file"
        and not any(isinstance(part, str) and is_secret_like(part) for part in path)
    )


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
