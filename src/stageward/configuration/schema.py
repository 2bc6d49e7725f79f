"""The optional JSON Schema for resolved configs (`config.schema` in stageward.yaml).

jsonschema is imported only here, and only when a schema is configured.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stageward.configuration.model import ConfigError, Finding, dotted
from stageward.configuration.resolve import Resolved
from stageward.yamlfile import MAX_FILE_BYTES, LoadedYaml, YamlError, load_yaml


@dataclass(frozen=True)
class Schema:
    source: str
    document: Any
    lines: LoadedYaml | None

    def where(self, path: tuple[Any, ...]) -> str:
        return self.lines.where(path) if self.lines is not None else self.source


def load_schema(path: Path, display: str) -> Schema:
    """Read and check a JSON Schema; errors name the file and line."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ConfigError(f"{display}: no such schema file (config.schema in stageward.yaml)") from None
    if size > MAX_FILE_BYTES:
        from stageward.errors import TooLarge

        raise TooLarge(f"{display}: {size} bytes is over the {MAX_FILE_BYTES} byte limit for a schema")
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{display}: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{display}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno})"
        ) from None
    try:
        # JSON is YAML: the YAML reader gives the line of every key for errors.
        lines: LoadedYaml | None = load_yaml(text, display)
    except YamlError:
        lines = None
    schema = Schema(display, document, lines)
    if not isinstance(document, dict | bool):
        raise ConfigError(f"{display}:1: not a valid JSON Schema: expected an object at the top")
    from jsonschema import exceptions, validators

    cls = validators.validator_for(document)
    try:
        cls.check_schema(document)
    except exceptions.SchemaError as exc:
        at = tuple(exc.absolute_path)
        key = f" at {'/'.join(str(p) for p in at)}" if at else ""
        raise ConfigError(f"{schema.where(at)}: not a valid JSON Schema{key}: {exc.message}") from None
    return schema


def _unresolved(resolved: Resolved, path: tuple[Any, ...]) -> bool:
    refs = resolved.refs.get(path, frozenset())
    return any(ref.startswith(("env:", "secret:")) for ref in refs)


def violations(schema: Schema, resolved: Resolved) -> list[Finding]:
    from jsonschema import validators

    cls = validators.validator_for(schema.document)
    validator = cls(schema.document)
    findings = []
    errors = sorted(validator.iter_errors(resolved.values), key=lambda e: list(map(str, e.absolute_path)))
    for error in errors:
        path = tuple(error.absolute_path)
        if _unresolved(resolved, path):
            continue  # `${env:}` and `${secret:}` are checked where they resolve, not as their written text
        findings.append(
            Finding(
                "schema",
                f"{error.message} (schema {schema.where(tuple(error.absolute_schema_path))})",
                resolved.environment,
                dotted(path) if path else "(top level)",
                resolved.where(path) if path else None,
            )
        )
    return findings
