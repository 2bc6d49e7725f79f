"""The layers of SPEC §4, lowest first: base files, environment files, environment variables, --set.

Each layer is plain data plus the origin of every path in it. Mappings merge
deeply; scalars and lists replace. Within one layer a key may be set by one
file only: with two files setting it, the winner would depend on file names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from stageward.configuration.model import (
    ConfigError,
    Layer,
    Origin,
    Path_,
    check_key,
    dotted,
    is_own_credential,
    is_secret_like,
)
from stageward.yamlfile import LoadedYaml, YamlError, load_yaml, load_yaml_file

SUFFIXES = (".yaml", ".yml")
BASE = "base"


def yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file())


def load_file(path: Path, display: str) -> tuple[dict[str, Any], dict[Path_, Origin]]:
    """One config file as data and origins; keys are checked, the top level must be a mapping."""
    loaded = load_yaml_file(path, display)
    if loaded.data is None:
        return {}, {}
    if not isinstance(loaded.data, dict):
        raise ConfigError(f"{display}:1: expected a mapping of keys at the top of a config file")
    origins: dict[Path_, Origin] = {}
    _walk(loaded.data, (), loaded, origins)
    return loaded.data, origins


def _walk(value: Any, path: Path_, loaded: LoadedYaml, origins: dict[Path_, Origin]) -> None:
    if path:
        origins[path] = Origin("file", loaded.source, loaded.line_of(path))
    if isinstance(value, dict):
        for key, item in value.items():
            reason = check_key(key)
            if reason is not None:
                where = loaded.where((*path, key))
                raise ConfigError(f"{where} {dotted((*path, key))}: {reason}")
            _walk(item, (*path, key), loaded, origins)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, (*path, index), loaded, origins)


def file_layer(name: str, files: Iterable[tuple[dict[str, Any], dict[Path_, Origin]]]) -> Layer:
    """Merge the files of one layer, refusing a key that two of them set."""
    layer = Layer(name, {})
    for data, origins in files:
        _merge_unique(layer.data, data, (), layer.origins, origins)
        for path, origin in origins.items():
            layer.origins.setdefault(path, origin)
    return layer


def _merge_unique(
    target: dict[str, Any],
    data: dict[str, Any],
    path: Path_,
    seen: dict[Path_, Origin],
    origins: dict[Path_, Origin],
) -> None:
    for key, value in data.items():
        here = (*path, key)
        current = target.get(key, _MISSING)
        if current is _MISSING:
            target[key] = _copy(value)
        elif isinstance(current, dict) and isinstance(value, dict):
            _merge_unique(current, value, here, seen, origins)
        else:
            raise ConfigError(
                f"{origins[here]} {dotted(here)}: also set in {seen[here]}; "
                "within one layer each key is set by one file only"
            )


_MISSING: Any = object()


def _copy(value: Any) -> Any:
    # Layers keep their own data: merging must never change a cached file's values.
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def merge(target: dict[str, Any], data: Mapping[str, Any]) -> None:
    """Deep-merge DATA into TARGET: mappings merge, everything else replaces."""
    for key, value in data.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merge(current, value)
        else:
            target[key] = _copy(value)


def parse_value(text: str, source: str) -> Any:
    """A value from a variable or --set, read as YAML: 0.1 a float, true a bool, [a, b] a list."""
    try:
        loaded = load_yaml(text, source)
    except YamlError as exc:
        # Nothing of the value is repeated, not even the parser's words (they quote it): it may be a credential.
        if exc.problem is not None:
            raise ConfigError(f"{source}: {exc.problem}") from None
        raise ConfigError(f"{source}: the value is not valid YAML (quote it to keep it as text)") from None
    if isinstance(loaded.data, dict):
        raise ConfigError(f"{source}: expected a YAML scalar or list, got a mapping; set each key on its own")
    return loaded.data


def env_layer(merged: Mapping[str, Any], environ: Mapping[str, str], prefix: str | None) -> Layer:
    """PREFIX_A__B=value overrides a.b; the key must exist (a typo must not pass silently)."""
    layer = Layer("environment variables", {})
    if not prefix:
        return layer
    for variable in sorted(environ):
        if not variable.startswith(prefix) or variable == prefix or is_own_credential(variable):
            continue  # Stageward's own credentials are never config, whatever the prefix
        parts = variable[len(prefix) :].split("__")
        if any(not part for part in parts):
            raise ConfigError(
                f"environment variable {variable}: expected {prefix}KEY or {prefix}KEY__SUBKEY "
                "(levels separated by a double underscore)"
            )
        path = _existing_path(merged, parts, f"environment variable {variable}", case_insensitive=True)
        value = parse_value(environ[variable], f"environment variable {variable}")
        _set(layer, path, value, Origin("env", variable))
    return layer


def set_layer(merged: Mapping[str, Any], assignments: Sequence[str]) -> Layer:
    """--set a.b=value replaces an existing key; --set +a.b=value adds one (as Hydra's +key=value)."""
    layer = Layer("--set", {})
    for assignment in assignments:
        key, equals, text = assignment.partition("=")
        if not equals:
            # Without '=' the argument might be a value typed in the wrong place: it is not repeated.
            raise ConfigError("--set: expected KEY=VALUE, for example --set training.lr=0.1 (no '=' found)")
        adding = key.startswith("+")
        key = key.removeprefix("+").strip()
        if not key:
            raise ConfigError("--set: the key before '=' is empty")
        parts = key.split(".")
        for part in parts:
            reason = check_key(part)
            if reason is not None:
                raise ConfigError(f"--set: {reason}")
        source = f"--set {key}"
        path = tuple(parts) if adding else _existing_path(merged, parts, source, case_insensitive=False)
        if adding:
            _check_addable(merged, path, source)
        value = parse_value(text, source)
        _set(layer, path, value, Origin("set", key, shown="***" if _looks_secret(key) else text))
    return layer


def _looks_secret(key: str) -> bool:
    return is_secret_like(key.rsplit(".", 1)[-1])


def _existing_path(
    merged: Mapping[str, Any], parts: Sequence[str], source: str, *, case_insensitive: bool
) -> Path_:
    node: Any = merged
    path: list[str] = []
    for part in parts:
        if not isinstance(node, dict):
            raise ConfigError(f"{source}: {dotted(tuple(path))} is not a mapping, so it has no key {part!r}")
        match = part if part in node else None
        if match is None and case_insensitive:
            match = next((k for k in node if k.lower() == part.lower()), None)
        if match is None:
            wanted = dotted((*path, part.lower() if case_insensitive else part))
            known = [dotted((*path, k)) for k in node]
            close = difflib.get_close_matches(wanted, known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            add = "" if case_insensitive else f"; use --set +{wanted}=... to add a key"
            raise ConfigError(f"{source}: no key {wanted} in the config files{hint}{add}")
        path.append(match)
        node = node[match]
    return tuple(path)


def _check_addable(merged: Mapping[str, Any], path: Path_, source: str) -> None:
    node: Any = merged
    for depth, part in enumerate(path):
        if not isinstance(node, dict):
            raise ConfigError(
                f"{source}: {dotted(path[:depth])} is not a mapping, so no key can be added under it"
            )
        if part not in node:
            return
        node = node[part]
    raise ConfigError(f"{source}: {dotted(path)} already exists; drop the + to replace it")


def _set(layer: Layer, path: Path_, value: Any, origin: Origin) -> None:
    node = layer.data
    for depth, part in enumerate(path[:-1]):
        layer.origins.setdefault(path[: depth + 1], origin)
        child = node.get(str(part))
        if not isinstance(child, dict):
            child = {}
            node[str(part)] = child
        node = child
    node[str(path[-1])] = value
    _mark(layer.origins, path, value, origin)


def _mark(origins: dict[Path_, Origin], path: Path_, value: Any, origin: Origin) -> None:
    origins[path] = origin
    if isinstance(value, list):
        for index, item in enumerate(value):
            _mark(origins, (*path, index), item, origin)
