"""`config export`: the resolved config as dotenv, JSON, or a Kubernetes ConfigMap plus Secret manifest.

Secret values never leave: a value that uses a secret is exported with its
`${secret:NAME}` references as written, and in the k8s format it goes to the
Secret manifest (for a deploy step or a secrets operator to fill), never to
the ConfigMap; so does any value under a secret-like key.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from stageward.configuration.model import ConfigError, Path_, is_secret_like
from stageward.configuration.resolve import Resolved, _leaves
from stageward.yamlfile import YamlError, load_yaml

FORMATS = ("dotenv", "json", "k8s")


def variable_name(path: Path_, prefix: str | None) -> str:
    """training.batch-size -> PREFIX_TRAINING__BATCH_SIZE: what the environment variable layer reads back."""
    return (prefix or "") + "__".join(str(part).upper().replace("-", "_") for part in path)


def as_text(value: Any) -> str:
    """A value as the text that the variable layer parses back to the same value."""
    if isinstance(value, str):
        try:
            same = load_yaml(value, "value").data == value
        except YamlError:
            same = False
        return value if same and value != "" else json.dumps(value, ensure_ascii=False)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def flat(resolved: Resolved, prefix: str | None) -> list[tuple[str, str, bool]]:
    """(variable, text, uses a secret) for every leaf."""
    found: list[tuple[Path_, Any]] = []
    _leaves(resolved.values, (), found)
    rows = []
    for path, value in found:
        uses_secret = any(r.startswith("secret:") for r in resolved.refs.get(path, ())) or any(
            is_secret_like(str(part)) for part in path
        )
        rows.append((variable_name(path, prefix), as_text(value), uses_secret))
    names = [name for name, _, _ in rows]
    clash = next((n for n in names if names.count(n) > 1), None)
    if clash:
        raise ConfigError(
            f"two keys export to the same variable {clash} (keys differing only in case or - and _)"
        )
    return rows


def dotenv(resolved: Resolved, prefix: str | None) -> str:
    lines = [f"# stageward config export --env {resolved.environment} --format dotenv"]
    for name, text, _ in flat(resolved, prefix):
        lines.append(f"{name}={_quoted(text)}")
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    # Single quotes: dotenv readers and docker compose take them literally (no ${...} expansion).
    if "'" not in text and "\n" not in text:
        return f"'{text}'"
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("\n", "\\n")
    return f'"{escaped}"'


def as_json(resolved: Resolved) -> str:
    return json.dumps(resolved.values, indent=2, ensure_ascii=False) + "\n"


def exported(resolved: Resolved, as_written: Resolved) -> Resolved:
    """RESOLVED with every value under a secret-like key taken from AS_WRITTEN.

    AS_WRITTEN is the same config resolved with `${env:}` kept as written, so
    `token: ${env:API_TOKEN}` is exported as its reference, never as the value
    the exporting shell happened to hold.
    """
    values = copy.deepcopy(resolved.values)
    for path, _ in as_written.leaves():
        if any(is_secret_like(str(part)) for part in path):
            _put(values, path, _get(as_written.values, path))
    return Resolved(resolved.environment, values, resolved.layers, resolved.refs)


def _get(node: Any, path: Path_) -> Any:
    for part in path:
        node = node[part]
    return node


def _put(node: Any, path: Path_, value: Any) -> None:
    for part in path[:-1]:
        if not isinstance(node, dict) or part not in node:
            return
        node = node[part]
    if isinstance(node, dict) and path[-1] in node:
        node[path[-1]] = value


def k8s(resolved: Resolved, *, project: str, prefix: str | None, digest: str) -> str:
    """A ConfigMap of the values, and a Secret of references for secret values and secret-like keys."""
    import yaml

    environment = resolved.environment
    labels = {"app.kubernetes.io/part-of": project, "stageward.dev/environment": environment}
    plain: dict[str, str] = {}
    referenced: dict[str, str] = {}
    for name, text, uses_secret in flat(resolved, prefix):
        (referenced if uses_secret else plain)[name] = text
    documents: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": _dns_name(f"{project}-{environment}-config"),
                "labels": labels,
                "annotations": {"stageward.dev/config-digest": digest},
            },
            "data": plain,
        }
    ]
    if referenced:
        documents.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "Opaque",
                "metadata": {
                    "name": _dns_name(f"{project}-{environment}-secrets"),
                    "labels": labels,
                    "annotations": {
                        "stageward.dev/config-digest": digest,
                        "stageward.dev/values": "references: each ${secret:NAME} is filled at deploy",
                    },
                },
                "stringData": referenced,
            }
        )
    return yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True, explicit_start=True)


def _dns_name(name: str) -> str:
    cleaned = re.sub(r"[^a-z0-9-]", "-", name.lower()).strip("-")
    return cleaned[:253]
