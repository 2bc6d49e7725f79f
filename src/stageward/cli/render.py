"""Output of read commands: a Rich table for people, JSON with --json. Errors go to stderr.

Everything printed for people passes through `printable`: a requester's
`--reason` must not move an approver's cursor, erase a line or paint
"APPROVED" in green, nor reorder text with a bidi override, even piped into
a pager. JSON carries the same characters as `\\u` escapes.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from typing import Any

# C0 (tab and newline included), DEL, C1, and the bidi embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# json.dumps escapes C0 already; the rest it leaves raw under ensure_ascii=False.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: str) -> str:
    """TEXT with every control character and bidi override shown as a visible escape: \\x1b, \\n, \\u202e."""
    return _UNSAFE.sub(_escape, text)


def printable_message(text: str) -> str:
    """An error message made printable; a line break stays only where it starts an indented continuation.

    Our messages continue on lines indented by two spaces ("  (and 2 more problems ...)"); a
    line break followed by anything else came from data and could fake a line of its own.
    """
    lines = text.split("\n")
    shown = printable(lines[0])
    for line in lines[1:]:
        shown += ("\n" if line.startswith("  ") else "\\n") + printable(line)
    return shown


_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def to_yaml(data: Any) -> str:
    """YAML for people, as valid as safe_dump's, with control characters and bidi overrides escaped.

    PyYAML escapes C0, DEL and C1 itself (in double quotes), but writes a bidi override raw:
    a string holding one is forced into double quotes, where `\\u202e` is a YAML escape.
    """
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = '"' if _BIDI.search(value) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    dumped = yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True)
    return _BIDI.sub(lambda m: f"\\u{ord(m.group(0)):04x}", dumped)


def to_json(data: Any, *, indent: int | None = 2, sort_keys: bool = False) -> str:
    """JSON that is JSON: NaN and Infinity are refused (ValueError), never written."""
    text = json.dumps(data, indent=indent, sort_keys=sort_keys, ensure_ascii=False, default=str, allow_nan=False)
    # Outside strings JSON is ASCII, so these can only be inside a string, where \uXXXX means the same.
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value) if value else "-"
    if isinstance(value, dict):
        return ", ".join(f"{printable(str(k))}={_cell(v)}" for k, v in value.items()) if value else "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return printable(str(value))


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], *, as_json: bool, title: str | None = None) -> None:
    if as_json:
        sys.stdout.write(to_json(list(rows)) + "\n")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    grid = Table(title=Text(printable(title)) if title else None, show_lines=False, header_style="bold")
    for column in columns:
        grid.add_column(column.replace("_", " "))
    for row in rows:
        # Text, not str: a value such as "[/x]" or ":smile:" is data, never Rich markup or an emoji code.
        grid.add_row(*(Text(_cell(row.get(column))) for column in columns))
    console = Console()
    if not rows:
        console.print(Text(printable(f"{title + ': ' if title else ''}nothing to show"), style="dim"))
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

    grid = Table(title=Text(printable(title)) if title else None, show_header=False, box=None, pad_edge=False)
    grid.add_column(style="bold")
    grid.add_column()
    for key, value in data.items():
        grid.add_row(Text(printable(key.replace("_", " "))), Text(_cell(value)))
    Console().print(grid)


def done(message: str, *, as_json: bool = False, data: Any = None) -> None:
    """Confirmation of a change: one line for people, the result as JSON with --json."""
    if as_json:
        sys.stdout.write(to_json(data) + "\n")
    else:
        sys.stdout.write(printable(message) + "\n")
