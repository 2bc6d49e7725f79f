"""The read-only view the SDK hands out: `cfg.training.lr` and `cfg["training"]["lr"]` alike."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeAlias, TypeVar, overload

from stageward.configuration.model import ConfigError

# What a key of a resolved config can hold: a scalar, a nested view, or a tuple of these.
Scalar: TypeAlias = str | int | float | bool | None
ConfigValue: TypeAlias = "Scalar | ConfigView | tuple[ConfigValue, ...]"

_T = TypeVar("_T", str, int, float, bool)


class ConfigView(Mapping[str, Any]):
    """A resolved config, read-only; nested mappings are views too, lists are tuples."""

    __slots__ = ("_data", "_environment", "_path")

    def __init__(self, data: Mapping[str, Any], environment: str | None = None, path: str = "") -> None:
        object.__setattr__(self, "_data", data)
        object.__setattr__(self, "_environment", environment)
        object.__setattr__(self, "_path", path)

    @property
    def environment(self) -> str | None:
        return self._environment  # type: ignore[no-any-return]

    def _wrap(self, key: str, value: Any) -> Any:
        path = f"{self._path}.{key}" if self._path else key
        if isinstance(value, Mapping):
            return ConfigView(value, self._environment, path)
        if isinstance(value, list):
            return tuple(self._wrap(f"{key}", item) for item in value)
        return value

    def __getitem__(self, key: str) -> Any:
        try:
            value = self._data[key]
        except KeyError:
            where = f" in the {self._environment} config" if self._environment else ""
            full = f"{self._path}.{key}" if self._path else key
            raise KeyError(f"no key {full}{where}") from None
        return self._wrap(key, value)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self[key]
        except KeyError as exc:
            raise AttributeError(exc.args[0]) from None

    def __setattr__(self, key: str, value: Any) -> None:
        raise TypeError("a Stageward config is read-only; change the files, a variable or --set instead")

    def __setitem__(self, key: str, value: Any) -> None:
        raise TypeError("a Stageward config is read-only; change the files, a variable or --set instead")

    def __delattr__(self, key: str) -> None:
        raise TypeError("a Stageward config is read-only")

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        where = f"{self._environment or ''}{': ' + self._path if self._path else ''}"
        return f"ConfigView({where}, {len(self)} keys)"

    # Attribute and item access stay `Any`: the type of `cfg.training.lr` is in the files, not in the code,
    # and a union would make typed code narrow at every step. For code that wants its types checked, these
    # two say what they expect and check it when they run.

    @overload
    def value(self, path: str, kind: type[_T]) -> _T: ...

    @overload
    def value(self, path: str, kind: type[_T], default: _T) -> _T: ...

    def value(self, path: str, kind: type[_T], default: _T | None = None) -> _T:
        """The value at dotted PATH, checked to be a KIND (str, int, float or bool); DEFAULT when the key
        is missing. An int is accepted for float (YAML writes 1 for 1.0); a bool is never an int."""
        try:
            found: Any = self._at(path)
        except KeyError:
            if default is not None:
                return default
            raise
        if kind is float and isinstance(found, int) and not isinstance(found, bool):
            return float(found)  # type: ignore[return-value]
        if isinstance(found, kind) and not (kind is int and isinstance(found, bool)):
            return found
        where = f" in the {self._environment} config" if self._environment else ""
        raise ConfigError(
            f"{self._full(path)}{where}: expected {kind.__name__}, got {_kind_of(found)}"
        )

    def section(self, path: str) -> ConfigView:
        """The mapping at dotted PATH, as a view; ConfigError when it holds something else."""
        found = self._at(path)
        if not isinstance(found, ConfigView):
            where = f" in the {self._environment} config" if self._environment else ""
            raise ConfigError(f"{self._full(path)}{where}: expected a mapping, got {_kind_of(found)}")
        return found

    def _full(self, path: str) -> str:
        return f"{self._path}.{path}" if self._path else path

    def _at(self, path: str) -> ConfigValue:
        node: ConfigValue = self
        walked: list[str] = []
        for part in path.split("."):
            if not isinstance(node, ConfigView):
                where = f" in the {self._environment} config" if self._environment else ""
                raise KeyError(f"no key {self._full('.'.join([*walked, part]))}{where}")
            node = node[part]
            walked.append(part)
        return node

    def to_dict(self) -> dict[str, Any]:
        """A deep, mutable copy."""
        return copy.deepcopy(dict(self._data))


def _kind_of(value: object) -> str:
    if isinstance(value, ConfigView):
        return "a mapping"
    if isinstance(value, tuple):
        return "a list"
    return "null" if value is None else type(value).__name__


def read_resolved_file(path: Path, environment: str | None) -> ConfigView:
    """The resolved config a run was given (STAGEWARD_CONFIG): JSON, or YAML, read safely."""
    from stageward.yamlfile import load_yaml_file

    loaded = load_yaml_file(path, str(path))
    if not isinstance(loaded.data, dict):
        raise ConfigError(f"{path}:1: expected the resolved config as a mapping")
    return ConfigView(loaded.data, environment)
