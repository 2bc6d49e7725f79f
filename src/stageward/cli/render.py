"""Output of read commands: a Rich table for people, JSON with --json. Errors go to stderr.

A table never hides data: a cell that does not fit wraps, and a word longer than its column
folds onto the next line; nothing is cut to an ellipsis. Piped or redirected, a table is as
wide as its longest row (a script or a pager gets whole lines); on a terminal it fits the
terminal, except that the columns a caller names `whole` (the file:line of `config show
--explain`) are never broken, and the table grows past the terminal rather than break them.

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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

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


def plain(data: Any) -> Any:
    """A verb's result (a result model, a list of them) as plain JSON values: `model_dump(mode="json")`, the
    one shape `--json` prints and REST returns. Rows the CLI built itself (dicts) pass as they are."""
    # pydantic is imported only if a model can be here at all: the cold `config show` prints a plain dict
    # and must not pay for importing pydantic (service/quick_config.py).
    if "pydantic" in sys.modules:
        from pydantic import BaseModel

        if isinstance(data, BaseModel):
            return data.model_dump(mode="json")
    if isinstance(data, list | tuple):
        return [plain(item) for item in data]
    return data


def to_json(data: Any, *, indent: int | None = 2, sort_keys: bool = False) -> str:
    """JSON that is JSON: NaN and Infinity are refused (ValueError), never written. A result model is dumped
    as its JSON (`plain`)."""
    text = json.dumps(plain(data), indent=indent, sort_keys=sort_keys, ensure_ascii=False, default=str, allow_nan=False)
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


# Room a breakable column keeps when the whole ones claim the terminal: a cell of a few characters a line.
_MIN_BREAKABLE = 8
# "Wide enough" for a pipe: every row of any table we print fits on one line.
_PIPE_WIDTH = 1_000_000


def _console(whole_widths: Sequence[int] = (), breakable: int = 0, edges: int = 0) -> Console:
    """A Console for people: terminal width, widened to keep WHOLE_WIDTHS unbroken; unbounded when piped.

    WHOLE_WIDTHS are the cell widths of the columns that may not break, BREAKABLE the number of the
    others, EDGES what borders and padding take on a line.
    """
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        return Console(width=_PIPE_WIDTH)
    if not whole_widths:
        return console
    needed = sum(whole_widths) + breakable * _MIN_BREAKABLE + edges
    return Console(width=needed) if needed > console.width else console


def _column_width(header: str, cells: Sequence[Text]) -> int:
    return max([len(header), *(cell.cell_len for cell in cells)])


def _columns_of(row: Any) -> Sequence[str]:
    """The columns a result model declares for its tables (its fields when it declares none)."""
    columns: Sequence[str] = row.table_columns() if hasattr(row, "table_columns") else list(row)
    return columns


def _as_mapping(row: Any) -> dict[str, Any]:
    from pydantic import BaseModel

    if isinstance(row, BaseModel):
        # The JSON form (by alias, nested models as dicts): a cell shows what --json shows.
        return dict(row.model_dump(mode="json"))
    return dict(row)


def table(
    rows: Sequence[Any],
    columns: Sequence[str] | None = None,
    *,
    as_json: bool,
    title: str | None = None,
    whole: Sequence[str] = (),
) -> None:
    """ROWS (result models, or rows the CLI built) as a table of COLUMNS, by default the columns the rows' model
    declares; a column named in WHOLE is never broken across lines. With --json: the rows' JSON."""
    if as_json:
        sys.stdout.write(to_json(list(rows)) + "\n")
        return
    from rich.table import Table
    from rich.text import Text

    if not rows:
        _console().print(Text(printable(f"{title + ': ' if title else ''}nothing to show"), style="dim"))
        return
    columns = columns if columns is not None else _columns_of(rows[0])
    mappings = [_as_mapping(row) for row in rows]
    # Text, not str: a value such as "[/x]" or ":smile:" is data, never Rich markup or an emoji code.
    cells = [[Text(_cell(row.get(column))) for column in columns] for row in mappings]
    grid = Table(title=Text(printable(title)) if title else None, show_lines=False, header_style="bold")
    whole_widths = []
    for index, column in enumerate(columns):
        header = column.replace("_", " ")
        kept = column in whole
        grid.add_column(header, overflow="fold", no_wrap=kept)
        if kept:
            whole_widths.append(_column_width(header, [line[index] for line in cells]))
    for line in cells:
        grid.add_row(*line)
    # Each column has a space of padding either side and a border on its left, plus the last border.
    edges = 3 * len(columns) + 1
    _console(whole_widths, len(columns) - len(whole_widths), edges).print(grid)


def record(data: Any, *, as_json: bool, title: str | None = None) -> None:
    """One object (a result model, or a mapping the CLI built): key/value lines for people, JSON with --json."""
    if as_json:
        sys.stdout.write(to_json(data) + "\n")
        return
    data = _as_mapping(data)
    from rich.table import Table
    from rich.text import Text

    grid = Table(title=Text(printable(title)) if title else None, show_header=False, box=None, pad_edge=False)
    keys = [Text(printable(key.replace("_", " "))) for key in data]
    grid.add_column(style="bold", no_wrap=True, overflow="fold")
    grid.add_column(overflow="fold")
    for key, value in zip(keys, data.values(), strict=True):
        grid.add_row(key, Text(_cell(value)))
    console = _console([_column_width("", keys)], 1, 2)
    if console.is_terminal:
        console.print(grid)
        return
    # Piped, each line would be padded out to the longest value: a diff or a grep should see only what is there.
    with console.capture() as captured:
        console.print(grid)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))


def done(message: str, *, as_json: bool = False, data: Any = None) -> None:
    """Confirmation of a change: one line for people, the result as JSON with --json."""
    if as_json:
        sys.stdout.write(to_json(data) + "\n")
    else:
        sys.stdout.write(printable(message) + "\n")
