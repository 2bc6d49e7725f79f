"""Anchors: the chain's head written down outside the store, so a later rewrite or truncation before it is caught."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from stageward.errors import BadInput

FORMAT = "stageward-audit-anchor/1"
_LINE = re.compile(r"([1-9][0-9]{0,17}):([0-9a-f]{64})")
_MAX_BYTES = 64 * 1024  # an anchor is a few hundred bytes; anything this big is not one
_EXPECTED = "expected the JSON `stageward audit anchor --output FILE` writes, or SEQUENCE:HASH"


@dataclass(frozen=True)
class Anchor:
    sequence: int
    hash: str

    def line(self) -> str:
        """The one-line form `audit anchor` prints and `verify --anchor` takes: SEQUENCE:HASH."""
        return f"{self.sequence}:{self.hash}"


def parse_anchor(text: str, *, source: str) -> Anchor:
    """An anchor from the JSON `audit anchor` writes or from its one-line form; bad input naming SOURCE otherwise."""
    stripped = text.strip()
    line = _LINE.fullmatch(stripped)
    if line is not None:
        return Anchor(int(line.group(1)), line.group(2))
    try:
        data = json.loads(stripped)
    except ValueError:
        raise BadInput(f"{source} is not an audit anchor: {_EXPECTED}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BadInput(f"{source} is not an audit anchor (no \"format\": \"{FORMAT}\"): {_EXPECTED}")
    sequence, digest = data.get("sequence"), data.get("hash")
    if not isinstance(sequence, int) or isinstance(sequence, bool) or not 1 <= sequence < 10**18:
        raise BadInput(f"{source}: the anchor's sequence is not an entry number (expected an integer from 1)")
    if not isinstance(digest, str) or re.fullmatch(r"[0-9a-f]{64}", digest) is None:
        raise BadInput(f"{source}: the anchor's hash is not 64 lowercase hex digits")
    return Anchor(sequence, digest)


def read_anchor(value: str) -> Anchor:
    """`verify --anchor VALUE`: the one-line form SEQUENCE:HASH, else the path of an anchor file."""
    line = _LINE.fullmatch(value.strip())
    path = Path(value).expanduser()
    if line is not None and not path.exists():
        return Anchor(int(line.group(1)), line.group(2))
    source = f"anchor file {path}"
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_BYTES + 1)
    except FileNotFoundError:
        raise BadInput(f"{source} does not exist", hint=_EXPECTED) from None
    except IsADirectoryError:
        raise BadInput(f"{source} is a folder: {_EXPECTED}") from None
    except OSError as exc:
        raise BadInput(f"{source} cannot be read ({exc.strerror or type(exc).__name__})") from None
    if len(raw) > _MAX_BYTES:
        raise BadInput(f"{source} is not an audit anchor (larger than 64 KiB)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{source} is not an audit anchor (not UTF-8 text)") from None
    return parse_anchor(text, source=source)
