"""The offline vulnerability scan: a pinned lockfile matched against OSV advisories in a folder.

Lockfiles: requirements.txt with `==` pins, pylock.toml (PEP 751) and uv.lock. Advisories: OSV JSON files
(https://ossf.github.io/osv-schema/), PyPI ecosystem, read from a folder, never from the network. Versions and
ranges are compared with `packaging`; the range walk follows the OSV specification's evaluation of
`introduced`/`fixed`/`last_affected` events (no library evaluates OSV ranges offline, so it is written here).
A lockfile or advisory that does not parse is bad input naming its file and line.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from stageward.errors import BadInput

# Most severe first; an advisory that states none is UNKNOWN (listed, never blocking: see docs/runs.md).
SEVERITIES = ("CRITICAL", "HIGH", "MODERATE", "MEDIUM", "LOW", "UNKNOWN")


@dataclass(frozen=True)
class Pin:
    name: str  # canonical (PEP 503) name
    version: Version
    where: str  # file:line


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    advisory: str
    severity: str
    fixed: str | None
    summary: str
    blocking: bool


@dataclass(frozen=True)
class _Range:
    events: tuple[tuple[int, Version], ...]  # (kind, version) sorted; kind 0 introduced, 1 fixed, 2 last_affected


@dataclass(frozen=True)
class Advisory:
    id: str
    severity: str
    summary: str
    versions: frozenset[Version]
    ranges: tuple[_Range, ...]

    def affects(self, version: Version) -> bool:
        if version in self.versions:
            return True
        return any(_in_range(version, r) for r in self.ranges)

    def fixed_after(self, version: Version) -> str | None:
        """The lowest `fixed` version above VERSION, the upgrade that leaves this advisory behind."""
        fixes = [v for r in self.ranges for kind, v in r.events if kind == 1 and v > version]
        return str(min(fixes)) if fixes else None


def _in_range(version: Version, found: _Range) -> bool:
    affected = False
    for kind, bound in found.events:
        if kind == 0 and version >= bound:
            affected = True
        elif (kind == 1 and version >= bound) or (kind == 2 and version > bound):
            affected = False
    return affected


# -- lockfiles ---------------------------------------------------------------------------------------------------------


def read_lockfile(path: Path, shown: str) -> list[Pin]:
    """The pins of PATH (SHOWN in messages), chosen by file name: pylock*.toml, uv.lock, else requirements."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"{shown}: lockfile not found", hint="vulnerability_scan.lockfile names it") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{shown}: cannot read the lockfile ({type(exc).__name__})") from None
    return parse_lockfile(text, path.name, shown)


def parse_lockfile(text: str, name: str, shown: str) -> list[Pin]:
    """The pins of TEXT, a lockfile whose file NAME says its format (a server scans the text a launcher sent)."""
    if name == "uv.lock":
        return _toml_pins(text, shown, "package")
    if name.startswith("pylock") and name.endswith(".toml"):
        return _toml_pins(text, shown, "packages")
    return _requirements_pins(text, shown)


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """Lines joined across trailing backslashes, each with the number of its first physical line."""
    start, parts = 0, list[str]()
    for number, raw in enumerate(text.splitlines(), start=1):
        if not parts:
            start = number
        if raw.endswith("\\"):
            parts.append(raw[:-1])
            continue
        parts.append(raw)
        yield start, " ".join(parts)
        parts = []
    if parts:
        yield start, " ".join(parts)


def _requirements_pins(text: str, shown: str) -> list[Pin]:
    pins = []
    for number, line in _logical_lines(text):
        line = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not line:
            continue
        where = f"{shown}:{number}"
        if line.startswith("-"):
            option = line.split()[0]
            if option in ("-r", "-c", "--requirement", "--constraint", "-e", "--editable"):
                raise BadInput(f"{where}: {option} is not allowed in a lockfile: list every package pinned with ==")
            continue  # --hash continuation or index options: they pin nothing
        line = " ".join(part for part in line.split() if not part.startswith("--hash"))
        try:
            requirement = Requirement(line)
        except InvalidRequirement as exc:
            raise BadInput(f"{where}: not a requirement ({str(exc).splitlines()[0]})") from None
        specifiers = list(requirement.specifier)
        if len(specifiers) != 1 or specifiers[0].operator not in ("==", "===") or "*" in specifiers[0].version:
            raise BadInput(f"{where}: {requirement.name} is not pinned with == (a lockfile pins one exact version)")
        pins.append(Pin(canonicalize_name(requirement.name), _version(specifiers[0].version, where), where))
    return pins


def _version(text: str, where: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise BadInput(f"{where}: {text!r} is not a valid version") from None


def _toml_pins(text: str, shown: str, key: str) -> list[Pin]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The message ends "(at line N, column M)": keep it whole, it names the line.
        raise BadInput(f"{shown}: not valid TOML: {exc}") from None
    entries = document.get(key)
    if not isinstance(entries, list):
        raise BadInput(f"{shown}: expected a [[{key}]] array of packages")
    lines = _entry_lines(text, key)
    pins = []
    for index, entry in enumerate(entries):
        where = f"{shown}:{lines[index]}" if index < len(lines) else f"{shown} {key}[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise BadInput(f"{where}: a package without a name")
        source = entry.get("source")
        if isinstance(source, dict) and ({"editable", "virtual", "directory"} & set(source)):
            continue  # the project itself, or a local folder: not a published package an advisory can name
        version = entry.get("version")
        if not isinstance(version, str):
            raise BadInput(f"{where}: package {entry['name']} has no version (a lockfile pins one exact version)")
        pins.append(Pin(canonicalize_name(entry["name"]), _version(version, where), where))
    return pins


def _entry_lines(text: str, key: str) -> list[int]:
    header = f"[[{key}]]"
    return [n for n, line in enumerate(text.splitlines(), start=1) if line.strip() == header]


# -- advisories --------------------------------------------------------------------------------------------------------


def read_advisories(folder: Path, shown: str) -> dict[str, list[Advisory]]:
    """The PyPI advisories under FOLDER (SHOWN in messages), by canonical package name."""
    if not folder.is_dir():
        raise BadInput(f"{shown}: advisories folder not found", hint="vulnerability_scan.advisories names it")
    found: dict[str, list[Advisory]] = {}
    for path in sorted(folder.rglob("*.json")):
        where = f"{shown.rstrip('/')}/{path.relative_to(folder).as_posix()}"
        try:
            document = json.loads(path.read_bytes())
        except json.JSONDecodeError as exc:
            raise BadInput(f"{where}:{exc.lineno}: not valid JSON ({exc.msg})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"{where}: cannot read the advisory ({type(exc).__name__})") from None
        for name, advisory in _parse_advisory(document, where):
            found.setdefault(name, []).append(advisory)
    return found


def _parse_advisory(document: Any, where: str) -> list[tuple[str, Advisory]]:
    if not isinstance(document, dict) or not isinstance(document.get("id"), str):
        raise BadInput(f"{where}:1: an OSV advisory needs a string id")
    affected = document.get("affected", [])
    if not isinstance(affected, list):
        raise BadInput(f"{where}: {document['id']}: affected must be a list")
    severity = _severity(document)
    summary = str(document.get("summary") or document.get("details") or "")[:200]
    parsed: list[tuple[str, Advisory]] = []
    for index, entry in enumerate(affected):
        package = entry.get("package") if isinstance(entry, dict) else None
        if not isinstance(package, dict) or package.get("ecosystem") != "PyPI":
            continue
        if not isinstance(package.get("name"), str):
            raise BadInput(f"{where}: {document['id']}: affected[{index}].package.name must be a string")
        ranges = []
        for r_index, found in enumerate(entry.get("ranges", [])):
            if not isinstance(found, dict) or found.get("type") not in ("ECOSYSTEM", "SEMVER"):
                continue
            ranges.append(_parse_range(found, f"{where}: {document['id']}: affected[{index}].ranges[{r_index}]"))
        versions = entry.get("versions", [])
        if not isinstance(versions, list):
            raise BadInput(f"{where}: {document['id']}: affected[{index}].versions must be a list")
        advisory = Advisory(
            id=document["id"],
            severity=_entry_severity(entry) or severity,
            summary=summary,
            versions=frozenset(_versions(versions)),
            ranges=tuple(ranges),
        )
        parsed.append((canonicalize_name(package["name"]), advisory))
    return parsed


_KINDS = {"introduced": 0, "fixed": 1, "last_affected": 2}


def _parse_range(found: dict[str, Any], where: str) -> _Range:
    events: list[tuple[int, Version]] = []
    for event in found.get("events", []):
        if not isinstance(event, dict) or len(event) != 1:
            raise BadInput(f"{where}: each event holds one of introduced, fixed, last_affected")
        ((kind, text),) = event.items()
        if kind not in _KINDS:
            continue  # `limit` and future kinds narrow git ranges only
        try:
            version = Version("0") if text == "0" else Version(str(text))
        except InvalidVersion:
            continue  # a version PyPI could never serve cannot match a pin
        events.append((_KINDS[kind], version))
    # OSV: evaluate events in version order; at one version, `introduced` comes first.
    return _Range(tuple(sorted(events, key=lambda e: (e[1], e[0]))))


def _versions(texts: list[Any]) -> list[Version]:
    """The listed versions that PyPI could serve (Version("1.0") == Version("1.0.0"), hashes too)."""
    found = []
    for text in texts:
        try:
            found.append(Version(str(text)))
        except InvalidVersion:
            continue
    return found


def _severity(document: dict[str, Any]) -> str:
    specific = document.get("database_specific")
    if isinstance(specific, dict) and isinstance(specific.get("severity"), str):
        return _known(specific["severity"])
    return "UNKNOWN"


def _entry_severity(entry: dict[str, Any]) -> str | None:
    for key in ("ecosystem_specific", "database_specific"):
        specific = entry.get(key)
        if isinstance(specific, dict) and isinstance(specific.get("severity"), str):
            return _known(specific["severity"])
    return None


def _known(text: str) -> str:
    upper = text.strip().upper()
    return upper if upper in SEVERITIES else "UNKNOWN"


# -- matching ----------------------------------------------------------------------------------------------------------


def match(pins: list[Pin], advisories: dict[str, list[Advisory]], fail_on: Iterable[str]) -> list[Finding]:
    """Every advisory that affects a pinned version, most severe first; BLOCKING when its severity is in FAIL_ON.

    MEDIUM and MODERATE name one level (GitHub says MODERATE, others MEDIUM): either in FAIL_ON blocks both.
    """
    blocking = {s.upper() for s in fail_on}
    if blocking & {"MEDIUM", "MODERATE"}:
        blocking |= {"MEDIUM", "MODERATE"}
    findings = []
    for pin in pins:
        for advisory in advisories.get(pin.name, ()):
            if advisory.affects(pin.version):
                findings.append(
                    Finding(
                        package=pin.name,
                        version=str(pin.version),
                        advisory=advisory.id,
                        severity=advisory.severity,
                        fixed=advisory.fixed_after(pin.version),
                        summary=advisory.summary,
                        blocking=advisory.severity in blocking,
                    )
                )
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.package, f.advisory))


def scan(lockfile: Path, lockfile_shown: str, folder: Path, folder_shown: str, fail_on: Iterable[str]) -> list[Finding]:
    return match(read_lockfile(lockfile, lockfile_shown), read_advisories(folder, folder_shown), fail_on)


def scan_text(
    lockfile: str | None, lockfile_shown: str, folder: Path, folder_shown: str, fail_on: Iterable[str]
) -> list[Finding]:
    """The scan of a lockfile's TEXT as a launcher read it (None: it found no such file)."""
    if lockfile is None:
        raise BadInput(f"{lockfile_shown}: lockfile not found", hint="vulnerability_scan.lockfile names it")
    pins = parse_lockfile(lockfile, PurePosixPath(lockfile_shown).name, lockfile_shown)
    return match(pins, read_advisories(folder, folder_shown), fail_on)
