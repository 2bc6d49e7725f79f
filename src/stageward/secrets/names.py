"""What a secret's name and value may be."""

from __future__ import annotations

import re
import unicodedata

from stageward.errors import BadInput, TooLarge

# Names end up in file:line messages, audit targets, URLs and environment variables:
# plain ASCII, no path separators, no look-alike or invisible characters.
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$"
_NAME = re.compile(NAME_PATTERN)
MAX_VALUE_BYTES = 64 * 1024


def _describe(char: str) -> str:
    if char.isascii() and char.isprintable():
        return repr(char)
    name = unicodedata.name(char, "unnamed character")
    return f"U+{ord(char):04X} ({name.lower()})"


def check_name(name: str) -> str:
    """NAME unchanged, or BadInput saying which character or rule it breaks."""
    if _NAME.fullmatch(name):
        return name
    expected = "letters, digits, '_', '-' or '.', starting with a letter or '_', at most 128 characters"
    if not name:
        raise BadInput(f"secret name is empty: expected {expected}")
    if len(name) > 128:
        raise BadInput(f"secret name {name[:20]!r}...: {len(name)} characters, expected at most 128")
    if not (name[0].isascii() and (name[0].isalpha() or name[0] == "_")):
        raise BadInput(f"secret name {name!r}: starts with {_describe(name[0])}; expected {expected}")
    bad = next(c for c in name if not (c.isascii() and (c.isalnum() or c in "_.-")))
    shown = repr(name) if all(c.isascii() and c.isprintable() for c in name) else ascii(name)
    raise BadInput(f"secret name {shown}: contains {_describe(bad)}; expected {expected}")


def check_value(raw: bytes | str) -> str:
    """The value as text. Messages never quote the value, only its size or the offending byte offset."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    if len(data) > MAX_VALUE_BYTES:
        raise TooLarge(
            f"secret value is {len(data)} bytes; the limit is {MAX_VALUE_BYTES} bytes (64 KiB)",
            hint="store a large credential (a keystore, a certificate bundle) as a file in the registry "
            "and keep only its password here",
        )
    if isinstance(raw, str):
        text = raw
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadInput(f"secret value is not UTF-8 text (invalid byte at offset {exc.start})") from None
    if text == "":
        raise BadInput("secret value is empty", hint='pipe the value on stdin: printf %s "$VALUE" | stageward ...')
    return text


def strip_one_newline(data: bytes) -> bytes:
    """`echo value |` adds one newline; the value the user meant has none."""
    if data.endswith(b"\r\n"):
        return data[:-2]
    if data.endswith(b"\n"):
        return data[:-1]
    return data
