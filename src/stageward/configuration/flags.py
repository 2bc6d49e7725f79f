"""Feature flags under `flags.`: a plain value, or `{value, rollout, default}` rolled out per entity.

Bucketing, so another language can match it exactly:
  key    = UTF-8 bytes of  FLAG_NAME + ":" + ENTITY_ID   (FLAG_NAME without the "flags." prefix)
  h      = SHA-256(key)
  bucket = the first 8 bytes of h as a big-endian unsigned integer, divided by 2**64  (0 <= bucket < 1)
  on     = bucket < rollout
An entity inside a 25 % rollout stays inside when the rollout grows, and the
same entity gets the same answer on every machine and in every process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from stageward.errors import BadInput, NotFound

_FIELDS = {"value", "rollout", "default"}


def bucket(name: str, entity_id: str) -> float:
    digest = hashlib.sha256(f"{name}:{entity_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def is_rollout(definition: Any) -> bool:
    return isinstance(definition, Mapping) and "rollout" in definition


def problem(definition: Any) -> str | None:
    """Why a rollout flag's definition cannot be used, or None."""
    if not is_rollout(definition):
        return None
    extra = set(definition) - _FIELDS
    if extra:
        return f"a rollout flag takes value, rollout and default; unknown: {', '.join(sorted(extra))}"
    if "value" not in definition:
        return "a rollout flag needs a value"
    rollout = definition["rollout"]
    if isinstance(rollout, bool) or not isinstance(rollout, int | float) or not 0 <= rollout <= 1:
        # The kind of value, never the value: a flag may be set by --set or a variable.
        return f"rollout must be a number from 0 to 1, got {_kind(rollout)}"
    return None


def _kind(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number outside that range"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "a mapping"


def evaluate(flags: Mapping[str, Any], name: str, entity_id: object = None) -> Any:
    """The value of flag NAME for ENTITY_ID: deterministic per entity, the same everywhere."""
    name = name.removeprefix("flags.")
    if name not in flags:
        known = ", ".join(sorted(flags)) or "none"
        raise NotFound(f"no flag {name!r} under flags: (known: {known})")
    definition = flags[name]
    if not is_rollout(definition):
        return definition
    reason = problem(definition)
    if reason is not None:
        raise BadInput(f"flags.{name}: {reason}")
    value = definition["value"]
    default = definition.get("default", False if isinstance(value, bool) else None)
    rollout = float(definition["rollout"])
    if rollout >= 1:
        return value
    if rollout <= 0:
        return default
    if entity_id is None:
        raise BadInput(f"flags.{name} is rolled out to {rollout:g} of entities: pass entity_id")
    return value if bucket(name, str(entity_id)) < rollout else default
