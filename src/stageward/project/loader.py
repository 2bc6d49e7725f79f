"""Find and read stageward.yaml; turn every validation error into file:line key: expected/got."""

from __future__ import annotations

import difflib
import hashlib
import os
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stageward.errors import ProjectFileError
from stageward.yamlfile import LoadedYaml, YamlError, load_yaml

if TYPE_CHECKING:
    from pydantic import ValidationError

    from stageward.project.model import Project

PROJECT_FILE = "stageward.yaml"


@dataclass(frozen=True)
class ProjectFile:
    """A validated project with where it lives and the line of each key."""

    path: Path
    spec: Project
    source: LoadedYaml
    # sha256 of the exact bytes validated: what a cold read may compare instead of validating again
    # (service/quick_config.py).
    fingerprint: str = ""

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def name(self) -> str:
        return self.spec.project

    def where(self, *path: str | int) -> str:
        return self.source.where(tuple(path))


def find_project_file(start: Path | None = None) -> Path:
    """Walk up from START (default: the current folder) to the first stageward.yaml, as git finds .git."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    raise ProjectFileError(
        f"no {PROJECT_FILE} in {here} or any folder above it",
        hint="run `stageward init --project NAME` to create one, or cd into a project",
    )


def load_project(path: Path) -> ProjectFile:
    # pydantic and the model are imported here, not at the top: a cold `config show` that finds this very
    # file already validated (service/quick_config.py) never needs them.
    from pydantic import ValidationError

    from stageward.project.model import Project, promotion_edge_problems

    display = _display_name(path)
    try:
        raw = _read(path, display)
        # Parsed from the bytes read once, so the fingerprint is of exactly what was validated.
        loaded = load_yaml(raw.decode("utf-8"), display)
    except UnicodeDecodeError as exc:
        raise ProjectFileError(f"{display}: not UTF-8 text (byte {exc.start})") from None
    except YamlError as exc:
        raise ProjectFileError(exc.message) from None
    if not isinstance(loaded.data, dict):
        raise ProjectFileError(f"{display}:1: expected a mapping with project: and environments:")
    try:
        spec = Project.model_validate(loaded.data)
    except ValidationError as exc:
        raise _project_error(exc, loaded) from None
    problems = promotion_edge_problems(spec)
    if problems:
        key_path, message = problems[0]
        raise ProjectFileError(_line(loaded, key_path, message, more=len(problems) - 1))
    return ProjectFile(path=path.resolve(), spec=spec, source=loaded, fingerprint=hashlib.sha256(raw).hexdigest())


def _read(path: Path, display: str) -> bytes:
    from stageward.errors import TooLarge
    from stageward.yamlfile import MAX_FILE_BYTES

    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise TooLarge(f"{display}: {size} bytes is over the {MAX_FILE_BYTES} byte limit for a YAML file")
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise YamlError(f"{display}: no such file") from None
    if len(raw) > MAX_FILE_BYTES:  # it grew after the fstat
        raise TooLarge(f"{display}: over the {MAX_FILE_BYTES} byte limit for a YAML file")
    return raw


def _display_name(path: Path) -> str:
    """The path as the user would type it: relative to the current folder when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _project_error(exc: ValidationError, loaded: LoadedYaml) -> ProjectFileError:
    errors = exc.errors(include_url=False)
    # An unknown key first: a misspelt `enviroments:` also makes `environments` missing, and the did-you-mean
    # of the unknown key is what tells the user what to fix.
    first = min(errors, key=lambda error: error["type"] != "extra_forbidden")
    return ProjectFileError(
        _line(loaded, tuple(first["loc"]), _describe(first, loaded.data), more=len(errors) - 1)
    )


def _line(loaded: LoadedYaml, loc: tuple[Any, ...], message: str, *, more: int = 0) -> str:
    dotted = ".".join(str(part) for part in loc if not _is_variant_tag(part))
    text = f"{loaded.where(loc)} {dotted}: {message}" if dotted else f"{loaded.where(loc)}: {message}"
    if more > 0:
        text += f"\n  (and {more} more problem{'s' if more > 1 else ''} in this file)"
    return text


def _is_variant_tag(part: Any) -> bool:
    # pydantic puts the chosen union member in the loc ("function-after[...]", "str"); users never wrote it.
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "float", "bool", "list", "dict"})


_EXPECTED = {
    "int_parsing": "an integer",
    "int_type": "an integer",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "finite_number": "a finite number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "a string",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
}


def _describe(error: Any, data: Any) -> str:
    kind = error["type"]
    got = _shown(error.get("input"))
    ctx = error.get("ctx") or {}
    loc = tuple(error["loc"])
    if kind == "extra_forbidden":
        key = str(loc[-1])
        known = _known_keys(loc[:-1])
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        suggestion = f"; did you mean {close[0]!r}?" if close else ""
        listing = f" (expected one of: {', '.join(sorted(known))})" if known and not close else ""
        return f"unknown key{suggestion}{listing}"
    if kind == "missing":
        return "missing required key"
    if kind == "literal_error":
        return _not_one_of(str(ctx.get("expected")), error.get("input"), got, tier=bool(loc) and loc[-1] == "tier")
    if kind == "string_pattern_mismatch":
        return f"expected a name matching {ctx.get('pattern')}, got {got}"
    if kind in ("too_short",) and isinstance(error.get("input"), dict | list):
        return f"expected at least {ctx.get('min_length')} entr{'y' if ctx.get('min_length') == 1 else 'ies'}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()), "?")
        return f"expected a value {op} {bound}, got {got}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {got}"
    return f"{error['msg']}, got {got}"


def _not_one_of(expected: str, value: Any, got: str, *, tier: bool) -> str:
    """A value outside its choices, with the tier's other names (SPEC §1: staging is also `acceptance`) and the
    closest choice when one is close (`prod` is not, `stagin` is)."""
    import re

    choices = re.findall(r"'([^']*)'", expected)
    if tier:
        from stageward.project.tiers import TIER_ALIASES

        choices += list(TIER_ALIASES)
        expected += "".join(f" (or {alias!r} for {name!r})" for alias, name in TIER_ALIASES.items())
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.8) if isinstance(value, str) else []
    return f"expected {expected}, got {got}" + (f"; did you mean {close[0]!r}?" if close else "")


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return repr(value)


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys the model accepts at LOC, for a did-you-mean."""
    from pydantic import BaseModel

    from stageward.project.model import Project

    current: Any = Project
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next(
                (f for name, f in current.model_fields.items() if (f.alias or name) == part),
                None,
            )
            if field is None:
                return []
            current = field.annotation
        elif typing.get_origin(current) in (dict, list):
            current = typing.get_args(current)[-1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(members[0]) if len(members) == 1 else annotation
    return annotation
