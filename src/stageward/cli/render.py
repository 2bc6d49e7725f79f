"""Output of read commands: a Rich table for people, JSON with --json. Errors go to stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False, default=str)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value) if value else "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items()) if value else "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], *, as_json: bool, title: str | None = None) -> None:
    if as_json:
        sys.stdout.write(to_json(list(rows)) + "\n")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    grid = Table(title=Text(title) if title else None, show_lines=False, header_style="bold")
    for column in columns:
        grid.add_column(column.replace("_", " "))
    for row in rows:
        # Text, not str: a value such as "[/x]" or ":smile:" is data, never Rich markup or an emoji code.
        grid.add_row(*(Text(_cell(row.get(column))) for column in columns))
    console = Console()
    if not rows:
        console.print(Text(f"{title + ': ' if title else ''}nothing to show", style="dim"))
        return
    console.print(grid)


def record(data: dict[str, Any], *, as_json: bool, title: str | None = None) -> None:
    """One object: key/value lines for people, JSON with --json."""
    if as_json:
        sys.stdout.write(to_json(data) + "\n")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    grid = Table(title=Text(title) if title else None, show_header=False, box=None, pad_edge=False)
    grid.add_column(style="bold")
    grid.add_column()
    for key, value in data.items():
        grid.add_row(Text(key.replace("_", " ")), Text(_cell(value)))
    Console().print(grid)


def done(message: str, *, as_json: bool = False, data: Any = None) -> None:
    """Confirmation of a change: one line for people, the result as JSON with --json."""
    if as_json:
        sys.stdout.write(to_json(data) + "\n")
    else:
        sys.stdout.write(message + "\n")
