"""Metrics, params and tags of a version: validated before anything is written."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from stageward.errors import BadInput, TooLarge

KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]{0,127}$")
MAX_VALUE = 4096
# A version's metrics, params and tags are stored with it and shown by `show`; the metrics
# are copied into its audit entry too. Far above what a model card needs, far below what
# would make a version row, an audit entry or a `show` slow.
MAX_METRICS = 1_000
MAX_PARAMS = 1_000
MAX_TAGS = 1_000
MAX_TOTAL_BYTES = 256 * 1024  # of the names and values of a version's params (and, apart, of its tags)
_OPTIONS = {"metric": "--metric (metrics)", "param": "--param (params)", "tag": "--tag (tags)"}
_LIMITS = {"metric": MAX_METRICS, "param": MAX_PARAMS, "tag": MAX_TAGS}


def _shown(value: object) -> str:
    """A short value as written; a long or odd one by its kind only (an error must stay one short line)."""
    if isinstance(value, float) or (isinstance(value, str) and len(value) <= 40 and value.isprintable()):
        return repr(value)
    if isinstance(value, str):
        return f"text of {len(value)} characters"
    if isinstance(value, int) and not isinstance(value, bool):
        return "an integer too large for a float"
    return type(value).__name__


def _check_key(what: str, key: object) -> str:
    if not isinstance(key, str) or not KEY.fullmatch(key) or ".." in key:
        raise BadInput(
            f"{what} name {_shown(key)}: expected letters, digits, '_', '.', '-' or '/' "
            "(starting with a letter, at most 128)"
        )
    return key


def _check_count(what: str, values: Mapping[str, Any]) -> None:
    if not isinstance(values, Mapping):
        raise BadInput(f"{_OPTIONS[what]}: expected a mapping of names to values, got {type(values).__name__}")
    if len(values) > _LIMITS[what]:
        raise TooLarge(f"{_OPTIONS[what]}: {len(values)} given; at most {_LIMITS[what]} a version")


def check_metrics(metrics: Mapping[str, Any] | None) -> dict[str, float]:
    """Metric values are finite numbers: NaN, infinities, booleans, text and integers past a float are refused."""
    checked: dict[str, float] = {}
    _check_count("metric", metrics or {})
    for key, value in (metrics or {}).items():
        _check_key("metric", key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadInput(f"metric {key}: expected a finite number, got {_shown(value)}")
        try:
            number = float(value)
        except OverflowError:  # an int such as 10**400
            raise BadInput(f"metric {key}: expected a finite number, got {_shown(value)}") from None
        if not math.isfinite(number):
            raise BadInput(f"metric {key}: expected a finite number, got {_shown(value)}")
        checked[key] = number
    return checked


def check_strings(what: str, values: Mapping[str, Any] | None) -> dict[str, str]:
    """Params or tags (WHAT): names as metric names, values text (a number is kept as its text)."""
    checked: dict[str, str] = {}
    _check_count(what, values or {})
    total = 0
    for key, value in (values or {}).items():
        _check_key(what, key)
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise BadInput(f"{what} {key}: expected text, got {_shown(value)}")
        if isinstance(value, int) and value.bit_length() > MAX_VALUE * 3.33:  # str() past ~4,100 digits
            raise TooLarge(f"{what} {key}: longer than {MAX_VALUE} characters")
        text = str(value)
        if len(text) > MAX_VALUE:
            raise TooLarge(f"{what} {key}: longer than {MAX_VALUE} characters")
        total += len(key) + len(text.encode("utf-8", "surrogatepass"))
        if total > MAX_TOTAL_BYTES:
            raise TooLarge(f"{_OPTIONS[what]}: more than {MAX_TOTAL_BYTES} bytes of names and values in one version")
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
        shown = text if len(text) <= 40 and text.isprintable() else f"({_shown(text)})"
        try:
            value = float(text)
        except ValueError:
            raise BadInput(f"--metric {key}={shown}: expected a finite number, got {_shown(text)}") from None
        if not math.isfinite(value):
            raise BadInput(f"--metric {key}={shown}: expected a finite number, got {_shown(text)}")
        metrics[key] = value
    return check_metrics(metrics)
