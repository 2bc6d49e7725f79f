"""Resolve one environment's config: layers merged in SPEC §4's order, then interpolated, origins kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stageward.configuration.interpolate import SECRET_REFERENCE, EnvRefs, Resolver
from stageward.configuration.layers import BASE, env_layer, file_layer, load_file, merge, set_layer, yaml_files
from stageward.configuration.model import Layer, Origin, Path_, dotted, is_secret_like
from stageward.configuration.secrets import SecretSource
from stageward.errors import NotFound

MASK = "***"


class ConfigFiles:
    """The YAML files under a project's config folder, each read once however many environments use it."""

    def __init__(self, folder: Path, display_root: Path) -> None:
        self.folder = folder
        self.display_root = display_root
        self._layers: dict[str, Layer] = {}

    def display(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.display_root))
        except ValueError:
            return str(path)

    def layer(self, name: str) -> Layer:
        """conf/base (name "base") or conf/<environment>, as one layer."""
        if name not in self._layers:
            files = yaml_files(self.folder / name)
            self._layers[name] = file_layer(name, (load_file(p, self.display(p)) for p in files))
        return self._layers[name]

    def folders(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if p.is_dir() and not p.name.startswith("."))


@dataclass
class Resolved:
    """One environment's resolved config, secret references as written, and where each value came from."""

    environment: str
    values: dict[str, Any]
    layers: list[Layer]
    refs: dict[Path_, frozenset[str]] = field(default_factory=dict)

    def origin(self, path: Path_) -> Origin | None:
        """The topmost layer holding PATH set it; inside an interpolated subtree, the reference's origin."""
        probe = path
        while probe:
            for layer in reversed(self.layers):
                origin = layer.origins.get(probe)
                if origin is not None:
                    return origin
            probe = probe[:-1]
        return None

    def where(self, path: Path_) -> str | None:
        origin = self.origin(path)
        return str(origin) if origin else None

    def leaves(self) -> list[tuple[Path_, Any]]:
        """Every value that is not a mapping, lists whole, in document order."""
        found: list[tuple[Path_, Any]] = []
        _leaves(self.values, (), found)
        return found

    def origins(self) -> dict[str, str]:
        """dotted key -> where it was set, for every leaf."""
        return {dotted(path): str(self.origin(path) or "") for path, _ in self.leaves()}

    def secrets(self) -> set[str]:
        names: set[str] = set()
        for found in self.refs.values():
            names.update(ref[7:] for ref in found if ref.startswith("secret:"))
        return names

    def masked(self) -> dict[str, Any]:
        """The values with every secret reference shown as ***, set or not.

        A value under a secret-like key (password, token, api_key, ...) is masked too,
        whatever it was written as: `${env:DB_PASSWORD}` or a literal must not reach a
        terminal or a CI log either. `--reveal` shows them.
        """
        shown = _replace_secrets(self.values, lambda _: MASK)
        return _mask_secret_like(shown, False)  # type: ignore[no-any-return]

    def revealed(self, source: SecretSource) -> dict[str, Any]:
        """The values with each referenced secret revealed, asking SOURCE once for them all."""
        try:
            values = source.reveal_many(sorted(self.secrets())) if self.secrets() else {}
        except NotFound as missing:
            raise self._located(missing) from None
        # A name not referenced came from `$${secret:...}`, a literal: it stays as written.
        return _replace_secrets(  # type: ignore[no-any-return]
            self.values, lambda name: values.get(name, f"${{secret:{name}}}")
        )

    def _located(self, missing: NotFound) -> NotFound:
        """A missing secret's error, led by the file:line and key of its first reference."""
        for path, refs in self.refs.items():
            for ref in sorted(refs):
                if ref.startswith("secret:") and missing.message == f"no secret {ref[7:]} in {self.environment}":
                    origin = self.origin(path)
                    located = f"{origin.named} {dotted(path)}" if origin else dotted(path)
                    if origin is None or origin.kind != "file":
                        # The name came from a variable or --set: nothing of those is repeated.
                        return NotFound(f"{located}: a secret it references does not exist in {self.environment}")
                    return NotFound(f"{located}: ${{{ref}}}: {missing.message}", hint=missing.hint)
        return missing


def _leaves(value: Any, path: Path_, found: list[tuple[Path_, Any]]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _leaves(item, (*path, key), found)
    elif path:
        found.append((path, value))


def _mask_secret_like(value: Any, under: bool) -> Any:
    if isinstance(value, dict):
        return {k: _mask_secret_like(v, under or is_secret_like(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_secret_like(v, under) for v in value]
    if under and value is not None and not isinstance(value, bool):
        return MASK
    return value


def _replace_secrets(value: Any, replacement: Any) -> Any:
    if isinstance(value, str):
        if "${secret:" not in value:
            return value
        return SECRET_REFERENCE.sub(lambda m: replacement(m.group(1).strip()), value)
    if isinstance(value, dict):
        return {k: _replace_secrets(v, replacement) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secrets(v, replacement) for v in value]
    return value


def resolve(
    files: ConfigFiles,
    environment: str,
    *,
    env_prefix: str | None = None,
    environ: Mapping[str, str] | None = None,
    env_refs: EnvRefs = "resolve",
    overrides: Sequence[str] = (),
) -> Resolved:
    """Merge base -> environment files -> PREFIX_ variables -> --set, then interpolate.

    ENVIRON is the environment of the process that uses the config; with
    env_refs="keep" (a server) `${env:...}` stays as written and, with an empty
    ENVIRON, no variable overrides anything.
    """
    environ = environ or {}
    layers = [files.layer(BASE), files.layer(environment)]
    merged: dict[str, Any] = {}
    for layer in layers:
        merge(merged, layer.data)
    variables = env_layer(merged, environ, env_prefix)
    if variables.data:
        merge(merged, variables.data)
        layers.append(variables)
    if overrides:
        sets = set_layer(merged, overrides)
        merge(merged, sets.data)
        layers.append(sets)
    resolved = Resolved(environment, merged, layers)
    resolver = Resolver(merged, resolved.origin, environ, env_refs)
    resolved.values = resolver.resolve()
    resolved.refs = resolver.refs
    return resolved
