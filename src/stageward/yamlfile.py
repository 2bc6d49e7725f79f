"""Safe YAML reading that keeps the line of every key, for errors and for `--explain`.

PyYAML's safe loader throws line numbers away once it builds Python objects, and
ruamel's round-trip loader keeps them but is several times slower. We let
libyaml compose the node graph (fast, C) and build plain values ourselves, which
gives us three things no loader offers together: the line of each key, a bound
on alias expansion (billion-laughs documents are refused), and a refusal of
every tag that is not plain data.

Every value read here ends up as JSON (digests, `--json`, exports), so a
number JSON cannot hold is refused where it is written: `.inf`, `.nan`, a
float past 1.8e308, and an integer too long to print (Python refuses to turn
one of more than 4,300 digits into text).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stageward.errors import BadInput, TooLarge

try:  # libyaml is in every PyYAML wheel; the pure-Python composer is the fallback.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the platform's wheel
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_NODES = 100_000
# Counting nodes alone lets one 1 MB scalar behind 20,000 aliases through (20 GB once
# printed or hashed): every alias expansion also counts the text of its scalars.
MAX_EXPANDED_BYTES = 16 * 1024 * 1024
# Python will not print an int of more than 4,300 digits (ValueError); stay well below.
MAX_INT_DIGITS = 4_000
_MAX_INT_BITS = int(MAX_INT_DIGITS * math.log2(10))

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_MERGE_TAG = _TAG + "merge"
# Neither message repeats the value: it may be a credential (a --set or variable value is read here too).
_TOO_LONG = f"an integer of more than {MAX_INT_DIGITS} digits is refused (quote it to keep it as text)"
_NOT_FINITE = (
    "expected a finite number: .inf, .nan and floats past 1.8e308 have no JSON form "
    "(quote it to keep it as text)"
)

Path_ = tuple[str | int, ...]


class YamlError(BadInput):
    """A YAML document that cannot be read safely, located as file:line."""

    code = "yaml"

    def __init__(self, message: str, *, hint: str | None = None, problem: str | None = None) -> None:
        super().__init__(message, hint=hint)
        # What is wrong, in words that quote nothing of the document (None when the parser's words may).
        self.problem = problem


@dataclass(frozen=True)
class LoadedYaml:
    """Plain data plus the line of every key and list item, by path."""

    data: Any
    source: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """The line of PATH, or of its closest ancestor that has one."""
        probe = tuple(path)
        while probe:
            line = self.lines.get(probe)
            if line is not None:
                return line
            probe = probe[:-1]
        return None

    def where(self, path: Path_) -> str:
        line = self.line_of(path)
        return f"{self.source}:{line}" if line else self.source


def load_yaml_file(path: Path, source: str | None = None, *, max_bytes: int = MAX_FILE_BYTES) -> LoadedYaml:
    name = source or str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise YamlError(f"{name}: no such file") from None
    if size > max_bytes:
        raise TooLarge(f"{name}: {size} bytes is over the {max_bytes} byte limit for a YAML file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    return load_yaml(text, name, max_bytes=max_bytes)


def load_yaml(text: str, source: str, *, max_bytes: int = MAX_FILE_BYTES) -> LoadedYaml:
    if len(text) > max_bytes:
        raise TooLarge(f"{source}: over the {max_bytes} byte limit for a YAML file")
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.composer.ComposerError as exc:
        raise YamlError(_located(source, exc)) from None
    except yaml.MarkedYAMLError as exc:
        raise YamlError(_located(source, exc)) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"{source}: {exc}") from None
    finally:
        loader.dispose()
    if root is None:
        return LoadedYaml(None, source)
    builder = _Builder(source)
    data = builder.build(root, ())
    return LoadedYaml(data, source, builder.lines)


def _located(source: str, exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    line = f":{mark.line + 1}" if mark is not None else ""
    problem = exc.problem or exc.context or "invalid YAML"
    if "expected a single document" in str(exc):
        problem = "expected a single YAML document, found several"
    return f"{source}{line}: {problem}"


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[Path_, int] = {}
        self.visited = 0
        self.expanded = 0
        self.active: set[int] = set()
        # One constructor per document: SafeConstructor caches every node it builds.
        self.constructor = yaml.constructor.SafeConstructor()

    def fail(self, node: yaml.Node, message: str, path: Path_ = (), *, quotes_nothing: bool = False) -> YamlError:
        key = " " + ".".join(str(part) for part in path) if path else ""
        return YamlError(
            f"{self.source}:{node.start_mark.line + 1}{key}: {message}",
            problem=message if quotes_nothing else None,
        )

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.visited += 1
        if self.visited > MAX_NODES:
            # Aliases let a small file expand exponentially; count every visit.
            raise TooLarge(
                f"{self.source}: document expands past {MAX_NODES} nodes (alias expansion); refused"
            )
        if isinstance(node, yaml.ScalarNode):
            self.count_text(node.value)
            return self.scalar(node, path)
        if id(node) in self.active:
            raise self.fail(node, "recursive alias: a node contains itself")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                if node.tag != _TAG + "seq":
                    raise self.fail(node, f"tag {node.tag!r} is not allowed (plain data only)")
                items = []
                for index, item in enumerate(node.value):
                    self.lines[(*path, index)] = item.start_mark.line + 1
                    items.append(self.build(item, (*path, index)))
                return items
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path)
        finally:
            self.active.discard(id(node))
        raise self.fail(node, "unsupported YAML node")  # pragma: no cover - composer yields only three kinds

    def count_text(self, text: str) -> None:
        size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
        self.expanded += size
        if self.expanded > MAX_EXPANDED_BYTES:
            raise TooLarge(
                f"{self.source}: document expands past {MAX_EXPANDED_BYTES} bytes of text "
                "(alias expansion); refused"
            )

    def scalar(self, node: yaml.ScalarNode, path: Path_, *, key: bool = False) -> Any:
        """The value of NODE; PATH names the key it is the value of (or, with KEY, the mapping it is a key in)."""
        tag = node.tag
        prefix = "a key: " if key else ""
        if tag not in _SCALAR_TAGS:
            raise self.fail(node, f"tag {tag!r} is not allowed (plain data only)")
        if tag == _TAG + "timestamp":
            # Dates stay text: a config value should round-trip through JSON unchanged.
            return node.value
        if tag == _TAG + "int" and sum(c.isdigit() for c in node.value) > MAX_INT_DIGITS:
            raise self.fail(node, prefix + _TOO_LONG, path, quotes_nothing=True)
        try:
            value = self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise self.fail(node, str(exc.problem)) from None
        except ValueError:  # int() past Python's digit limit, however the integer was written
            raise self.fail(node, prefix + _TOO_LONG, path, quotes_nothing=True) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(node, prefix + _NOT_FINITE, path, quotes_nothing=True)
        if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
            raise self.fail(node, prefix + _TOO_LONG, path, quotes_nothing=True)
        return value

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        if node.tag != _TAG + "map":
            raise self.fail(node, f"tag {node.tag!r} is not allowed (plain data only)")
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.update(self.merge_source(value_node, path))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, "a key must be a plain scalar")
            self.count_text(key_node.value)
            key = self.scalar(key_node, path, key=True)
            if not isinstance(key, str):
                if isinstance(key, bool) or key is None:
                    raise self.fail(key_node, f"key {key_node.value!r} must be a string (quote it)")
                key = str(key)
            if key in result:
                raise self.fail(key_node, f"duplicate key {key!r}")
            self.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, (*path, key))
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def merge_source(self, node: yaml.Node, path: Path_) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in reversed(sources):
            value = self.build(source, path)
            if not isinstance(value, dict):
                raise self.fail(source, "a merge key '<<' takes a mapping or a list of mappings")
            merged.update(value)
        return merged
