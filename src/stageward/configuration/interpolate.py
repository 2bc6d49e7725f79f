"""`${a.b}`, `${env:NAME}`, `${env:NAME,default}` and `${secret:NAME}` inside config values.

Type rules: a value that is exactly one `${...}` takes the type of what it
refers to (a number stays a number, a mapping stays a mapping); `${env:NAME}`
alone is read as a YAML scalar, as an override variable is. Inside a longer
string every reference becomes text: numbers as written, booleans as
`true`/`false`; a null, a list or a mapping there is an error. `$${` writes a
literal `${`. Secret references are never resolved here: they stay as written,
so the digest is stable, and are masked or revealed afterwards.

Errors name the key and where it was set, and quote the text as written only
when it came from a committed file and not under a secret-like key
(`model.may_quote`): a value from a variable or `--set` may be a credential.
Stageward's own credentials (`model.is_own_credential`) are never read by
`${env:}`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from stageward.configuration.model import (
    KEY_PATTERN,
    ConfigError,
    Origin,
    Path_,
    dotted,
    is_own_credential,
    may_quote,
)

EnvRefs = Literal["resolve", "keep"]

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SECRET_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
SECRET_REFERENCE = re.compile(r"\$\{secret:([^}]*)\}")
_KEY = re.compile(KEY_PATTERN)
_SCALAR_WORDS = {True: "true", False: "false"}


@dataclass(frozen=True, slots=True)
class Reference:
    kind: Literal["key", "env", "secret"]
    text: str  # as written, ${...} included
    path: Path_ = ()
    name: str = ""
    default: str | None = None


Segment = str | Reference


def parse(text: str, where: Callable[[], str], *, quote: bool = True) -> list[Segment]:
    """Split TEXT into literal text and references; WHERE names the value for errors.

    With QUOTE false an error says what is wrong without a word of TEXT.
    """
    segments: list[Segment] = []
    position = 0
    literal: list[str] = []
    for match in _TOKEN.finditer(text):
        literal.append(text[position : match.start()])
        position = match.end()
        token = match.group(0)
        if token == "$${":
            literal.append("${")
            continue
        if match.group(1) is None:
            shown = f" in {text!r}" if quote else ""
            raise ConfigError(f"{where()}: unclosed '${{'{shown} (write $${{ for a literal ${{)")
        body = match.group(1)
        if "${" in body:
            shown = f" {token}}}" if quote else ""
            raise ConfigError(f"{where()}: nested interpolation{shown} is not supported")
        if any(literal):
            segments.append("".join(literal))
        literal = []
        segments.append(_reference(body.strip(), token, where, token if quote else "a reference"))
    literal.append(text[position:])
    tail = "".join(literal)
    if tail:
        segments.append(tail)
    return segments


def _reference(body: str, written: str, where: Callable[[], str], shown: str) -> Reference:
    """The reference WRITTEN, of body BODY; errors show it as SHOWN (as written, or only "a reference")."""
    kind, colon, argument = body.partition(":")
    if colon:
        kind = kind.strip()
        if kind == "env":
            name, comma, default = argument.partition(",")
            name = name.strip()
            if not _ENV_NAME.fullmatch(name):
                raise ConfigError(
                    f"{where()}: {shown} needs an environment variable name, as ${{env:HOME}}"
                )
            return Reference("env", written, name=name, default=default.strip() if comma else None)
        if kind == "secret":
            name = argument.strip()
            if not SECRET_NAME.fullmatch(name):
                raise ConfigError(f"{where()}: {shown} needs a secret name, as ${{secret:DB_PASSWORD}}")
            return Reference("secret", written, name=name)
        quoted = f" {kind + ':'!r} in {written}" if shown == written else ""
        raise ConfigError(
            f"{where()}: unknown interpolation{quoted}; "
            "expected ${a.b}, ${env:NAME}, ${env:NAME,default} or ${secret:NAME}"
        )
    if not body:
        raise ConfigError(f"{where()}: empty interpolation ${{}}")
    path: list[str | int] = []
    for part in body.split("."):
        if part.isdigit():
            path.append(int(part))
        elif _KEY.fullmatch(part):
            path.append(part)
        else:
            raise ConfigError(f"{where()}: {shown} is not a key path such as ${{data.root}}")
    return Reference("key", written, path=tuple(path))


class Resolver:
    """Resolves a merged tree once; each string is resolved at most once and cycles are caught."""

    def __init__(
        self,
        tree: dict[str, Any],
        origin_of: Callable[[Path_], Origin | None],
        environ: Mapping[str, str],
        env_refs: EnvRefs,
    ) -> None:
        self.tree = tree
        self.origin_of = origin_of
        self.environ = environ
        self.env_refs = env_refs
        self.done: dict[Path_, Any] = {}
        self.refs: dict[Path_, frozenset[str]] = {}
        self.active: list[tuple[Path_, str]] = []
        self.collecting: list[set[str]] = []

    def resolve(self) -> dict[str, Any]:
        return self.node((), self.tree)  # type: ignore[no-any-return]

    def node(self, path: Path_, value: Any) -> Any:
        if isinstance(value, str):
            return self.string(path, value) if "${" in value else value
        if isinstance(value, dict):
            return {key: self.node((*path, key), item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.node((*path, index), item) for index, item in enumerate(value)]
        return value

    def quotes(self, path: Path_) -> bool:
        return may_quote(self.origin_of(path), path)

    def shown(self, path: Path_, reference: Reference) -> str:
        return reference.text if self.quotes(path) else "a reference"

    def link(self, path: Path_, text: str) -> str:
        """PATH with where it was set, and TEXT as written when it may be quoted."""
        origin = self.origin_of(path)
        located = f"{origin.named} {dotted(path)}" if origin else dotted(path)
        if origin is not None and origin.kind == "set" and origin.source == dotted(path):
            located = origin.named  # "--set a.b", not "--set a.b a.b"
        return f"{located}: {text}" if self.quotes(path) else located

    def string(self, path: Path_, text: str) -> Any:
        if path in self.done:
            if self.collecting:
                self.collecting[-1].update(self.refs.get(path, ()))
            return self.done[path]
        if any(active == path for active, _ in self.active):
            chain = [self.link(p, t) for p, t in self.active[self.position(path) :]]
            raise ConfigError("interpolation cycle: " + " -> ".join(chain) + f" -> back to {dotted(path)}")
        segments = parse(text, lambda: self.link(path, text), quote=self.quotes(path))
        self.active.append((path, text))
        self.collecting.append(set())
        try:
            if len(segments) == 1 and isinstance(segments[0], Reference):
                value = self.whole(segments[0])
            else:
                value = "".join(
                    segment if isinstance(segment, str) else self.inside(segment, path, text)
                    for segment in segments
                )
        finally:
            self.active.pop()
            found = self.collecting.pop()
        self.done[path] = value
        if found:
            self.refs[path] = frozenset(found)
            if self.collecting:
                self.collecting[-1].update(found)
        return value

    def position(self, path: Path_) -> int:
        return next(i for i, (active, _) in enumerate(self.active) if active == path)

    def whole(self, reference: Reference) -> Any:
        if reference.kind == "key":
            return self.lookup(reference)
        if reference.kind == "secret":
            self.collecting[-1].add(f"secret:{reference.name}")
            return reference.text
        return self.env(reference, whole=True)

    def inside(self, reference: Reference, path: Path_, text: str) -> str:
        if reference.kind == "secret":
            self.collecting[-1].add(f"secret:{reference.name}")
            return reference.text
        if reference.kind == "env":
            return str(self.env(reference, whole=False))
        value = self.lookup(reference)
        if isinstance(value, bool):
            return _SCALAR_WORDS[value]
        if isinstance(value, str | int | float):
            return str(value)
        shown = "null" if value is None else ("a list" if isinstance(value, list) else "a mapping")
        raise ConfigError(
            f"{self.link(path, text)}: {self.shown(path, reference)} is {shown}; only a string, number or boolean "
            "can be interpolated inside a longer string (use the reference alone to keep its type)"
        )

    def env(self, reference: Reference, *, whole: bool) -> Any:
        self.collecting[-1].add(f"env:{reference.name}")
        if self.env_refs == "keep":
            # Nothing is read: `config check` reports a reference to an own credential as a finding.
            return reference.text
        path, written = self.active[-1]
        if is_own_credential(reference.name):
            raise ConfigError(
                f"{self.link(path, written)}: {self.shown(path, reference)} reads one of Stageward's own credentials; "
                "they are never interpolated (a config is shown, exported and handed to runs)"
            )
        text = self.environ.get(reference.name)
        if text is None:
            if reference.default is None:
                if not self.quotes(path):
                    raise ConfigError(
                        f"{self.link(path, written)}: an environment variable it references is not set "
                        "and the reference has no default"
                    )
                raise ConfigError(
                    f"{self.link(path, written)}: environment variable {reference.name} is not set "
                    f"and {reference.text} has no default (write ${{env:{reference.name},DEFAULT}})"
                )
            text = reference.default
        return _scalar(text) if whole else text

    def lookup(self, reference: Reference) -> Any:
        self.collecting[-1].add("key:" + dotted(reference.path))
        node: Any = self.tree
        walked: list[str | int] = []
        for part in reference.path:
            in_mapping = isinstance(node, dict) and isinstance(part, str) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
            if in_mapping or in_list:
                node = node[part]
            else:
                raise ConfigError(self.missing(reference, tuple(walked), part, node))
            walked.append(part)
        return self.node(reference.path, node)

    def missing(self, reference: Reference, walked: Path_, part: str | int, node: Any) -> str:
        chain = " -> ".join(self.link(p, t) for p, t in self.active)
        if not self.quotes(self.active[-1][0]):
            return f"{chain} -> a reference: no such key"
        wanted = dotted(reference.path)
        hint = ""
        if isinstance(node, dict):
            known = [dotted((*walked, key)) for key in node]
            close = difflib.get_close_matches(dotted((*walked, part)), known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
        elif walked:
            hint = f" ({dotted(walked)} is not a mapping)"
        return f"{chain} -> {wanted}: no such key{hint}"


def _scalar(text: str) -> Any:
    """An environment value read as a YAML scalar, or kept as text when it is not one."""
    from stageward.errors import TooLarge
    from stageward.yamlfile import YamlError, load_yaml

    try:
        value = load_yaml(text, "environment value").data
    except (YamlError, TooLarge):
        return text
    if isinstance(value, dict | list):
        return text
    return value if value is not None or text.strip() in ("", "null", "~", "Null", "NULL") else text
