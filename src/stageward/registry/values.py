"""Metrics, params and tags of a version: validated before anything is written."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from stageward.errors import BadInput

KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]{0,127}$")
MAX_VALUE = 4096


def _check_key(what: str, key: object) -> str:
    if not isinstance(key, str) or not KEY.fullmatch(key) or ".." in key:
        raise BadInput(
            f"{what} name {key!r}: expected letters, digits, '_', '.', '-' or '/' (starting with a letter)"
        )
    return key


def check_metrics(metrics: Mapping[str, Any] | None) -> dict[str, float]:
    """Metric values are finite numbers: NaN, infinities, booleans and text are refused."""
    checked: dict[str, float] = {}
    for key, value in (metrics or {}).items():
        _check_key("metric", key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadInput(f"metric {key}: expected a finite number, got {value!r}")
        if not math.isfinite(value):
            raise BadInput(f"metric {key}: expected a finite number, got {value!r}")
        checked[key] = float(value)
    return checked


def check_strings(what: str, values: Mapping[str, Any] | None) -> dict[str, str]:
    checked: dict[str, str] = {}
    for key, value in (values or {}).items():
        _check_key(what, key)
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise BadInput(f"{what} {key}: expected text, got {value!r}")
        text = str(value)
        if len(text) > MAX_VALUE:
            raise BadInput(f"{what} {key}: longer than {MAX_VALUE} characters")
        checked[key] = text
    return checked


def parse_assignments(option: str, items: Iterable[str]) -> dict[str, str]:
    """`--metric auc=0.91` style arguments as a mapping; the value stays text."""
    parsed: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise BadInput(f"{option} {item!r}: expected KEY=VALUE")
        if key in parsed:
            raise BadInput(f"{option} {key}: given twice")
        parsed[key] = value
    return parsed


def parse_metrics(items: Iterable[str]) -> dict[str, float]:
    """`--metric auc=0.91`: each value must read as a finite number."""
    metrics: dict[str, float] = {}
    for key, text in parse_assignments("--metric", items).items():
        try:
            value = float(text)
        except ValueError:
            raise BadInput(f"--metric {key}={text}: expected a finite number, got {text!r}") from None
        if not math.isfinite(value):
            raise BadInput(f"--metric {key}={text}: expected a finite number, got {text!r}")
        metrics[key] = value
    return check_metrics(metrics)
