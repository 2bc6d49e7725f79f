"""Names of assets and aliases, and references to versions: NAME, NAME:VERSION, NAME@ALIAS, ENV/NAME@ALIAS."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stageward.errors import BadInput

KINDS = ("model", "dataset")
ASSET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
ALIAS_NAME = re.compile(r"^[a-z0-9-]{1,63}$")
ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_COMMIT = re.compile(r"^[0-9a-f]{7,64}$")
_DIGITS = re.compile(r"^[0-9]+$")  # ASCII only: str.isdigit() also takes '²', which int() refuses
# Versions and promotion ids are 32-bit integer columns (PostgreSQL `integer`); a larger number
# names nothing, and would fail in the driver rather than as bad input.
MAX_ID = 2**31 - 1


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise BadInput(f"asset kind {kind!r}: expected 'model' or 'dataset'")
    return kind


def check_asset_name(name: str) -> str:
    if not isinstance(name, str) or not ASSET_NAME.fullmatch(name) or ".." in name:
        raise BadInput(
            f"asset name {name!r}: expected lower-case letters, digits, '.', '_' or '-' "
            "(starting with a letter or digit, no '/' and no '..')"
        )
    return name


def check_alias(alias: str) -> str:
    if not isinstance(alias, str) or not ALIAS_NAME.fullmatch(alias):
        raise BadInput(f"alias {alias!r}: expected [a-z0-9-]+ (at most 63 characters)")
    return alias


def check_version(version: object) -> int:
    return check_id("version", version)


def check_id(what: str, value: object) -> int:
    """A version or promotion id: a whole number from 1 to MAX_ID (text of ASCII digits is read)."""
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise BadInput(f"{what} {value!r}: expected a positive whole number (at most {MAX_ID})")
    return value


def check_run_id(run: str) -> str:
    if not isinstance(run, str) or not RUN_ID.fullmatch(run):
        raise BadInput(f"--run {run!r}: expected a run id of letters, digits, '.', '_' or '-'")
    return run


def check_commit(commit: str) -> str:
    if not isinstance(commit, str) or not _COMMIT.fullmatch(commit):
        raise BadInput(f"git commit {commit!r}: expected a hexadecimal commit id")
    return commit


PROJECT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class Reference:
    """A version named one of four ways; `env` is None when the caller's --env applies, `project` None for
    the caller's own project (SPEC §12: `lp-crosssell:production/ranker@champion`)."""

    name: str
    env: str | None = None
    version: int | None = None
    alias: str | None = None
    project: str | None = None

    def __str__(self) -> str:
        head = f"{self.env}/{self.name}" if self.env else self.name
        if self.project:
            head = f"{self.project}:{head}"
        if self.version is not None:
            return f"{head}:{self.version}"
        if self.alias is not None:
            return f"{head}@{self.alias}"
        return head


def parse_reference(text: str) -> Reference:
    """NAME (latest), NAME:VERSION, NAME@ALIAS, any of them prefixed by ENV/, and that by PROJECT:."""
    if not isinstance(text, str) or not text:
        raise BadInput("reference: expected NAME, NAME:VERSION, NAME@ALIAS or ENV/NAME@ALIAS, got nothing")
    env: str | None = None
    project: str | None = None
    rest = text
    if "/" in rest:
        env, rest = rest.split("/", 1)
        if ":" in env:
            project, env = env.split(":", 1)
            if not PROJECT_NAME.fullmatch(project):
                raise BadInput(f"reference {text!r}: project {project!r} is not a valid project name")
        if not ENV_NAME.fullmatch(env):
            raise BadInput(f"reference {text!r}: environment {env!r} is not a valid environment name")
        if "/" in rest:
            raise BadInput(f"reference {text!r}: expected ENV/NAME@ALIAS, found more than one '/'")
    if "@" in rest and ":" in rest:
        raise BadInput(f"reference {text!r}: name a version (:N) or an alias (@A), not both")
    if "@" in rest:
        name, alias = rest.split("@", 1)
        return Reference(check_asset_name(name), env, alias=check_alias(alias), project=project)
    if ":" in rest:
        name, version = rest.split(":", 1)
        if not _DIGITS.fullmatch(version):
            raise BadInput(f"reference {text!r}: version {version!r} is not a positive whole number")
        return Reference(check_asset_name(name), env, version=check_version(version), project=project)
    return Reference(check_asset_name(rest), env, project=project)
