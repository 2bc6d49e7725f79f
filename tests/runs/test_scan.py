"""The offline scan: lockfiles and OSV advisories parsed, ranges evaluated at their bounds, bad files located."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.version import Version

from stageward.errors import BadInput
from stageward.runs.scan import _parse_advisory, match, read_advisories, read_lockfile, scan


def _advisory(folder: Path, ident: str, package: str, events: list[dict[str, str]], severity: str = "HIGH", **extra):
    document = {
        "id": ident,
        "summary": f"{package} is vulnerable",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": package},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
                **extra,
            }
        ],
        "database_specific": {"severity": severity},
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{ident}.json").write_text(json.dumps(document, indent=1))


def _affected(events: list[dict[str, str]], version: str) -> bool:
    ((_, advisory),) = _parse_advisory(
        {
            "id": "X",
            "affected": [
                {"package": {"ecosystem": "PyPI", "name": "p"}, "ranges": [{"type": "ECOSYSTEM", "events": events}]}
            ],
        },
        "x.json",
    )
    return advisory.affects(Version(version))


@pytest.mark.parametrize(
    ("version", "affected"), [("0.9", False), ("1.0", True), ("1.4.9", True), ("1.5", False), ("2.0", False)]
)
def test_introduced_is_inclusive_and_fixed_exclusive(version: str, affected: bool):
    assert _affected([{"introduced": "1.0"}, {"fixed": "1.5"}], version) is affected


@pytest.mark.parametrize(("version", "affected"), [("2.3", True), ("2.3.0.post1", False), ("2.4", False)])
def test_last_affected_is_inclusive(version: str, affected: bool):
    assert _affected([{"introduced": "0"}, {"last_affected": "2.3"}], version) is affected


def test_several_ranges_in_one_list_and_the_lowest_fix_above_the_pin(tmp_path: Path):
    _advisory(
        tmp_path / "adv",
        "GHSA-1",
        "Requests",
        [{"introduced": "0"}, {"fixed": "2.0"}, {"introduced": "2.5"}, {"fixed": "2.31.0"}],
    )
    lock = tmp_path / "requirements.txt"
    lock.write_text("requests==2.30.0\nurllib3==2.0.7\nflask==1.0\n")
    findings = scan(lock, "requirements.txt", tmp_path / "adv", "adv/", ["HIGH"])
    assert [(f.package, f.version, f.advisory, f.fixed, f.blocking) for f in findings] == [
        ("requests", "2.30.0", "GHSA-1", "2.31.0", True)
    ]
    lock.write_text("requests==2.3\n")
    assert scan(lock, "requirements.txt", tmp_path / "adv", "adv/", ["HIGH"]) == []


def test_fail_on_decides_what_blocks_and_medium_is_moderate(tmp_path: Path):
    _advisory(tmp_path / "adv", "A-LOW", "pkg", [{"introduced": "0"}], severity="LOW")
    _advisory(tmp_path / "adv", "A-MOD", "pkg", [{"introduced": "0"}], severity="MODERATE")
    lock = tmp_path / "requirements.txt"
    lock.write_text("pkg==1.0\n")
    findings = scan(lock, "r", tmp_path / "adv", "adv", ["MEDIUM"])
    assert {(f.advisory, f.blocking) for f in findings} == {("A-LOW", False), ("A-MOD", True)}
    assert [f.advisory for f in findings] == ["A-MOD", "A-LOW"]  # most severe first


def test_explicit_versions_match_by_normalized_version(tmp_path: Path):
    folder = tmp_path / "adv"
    folder.mkdir()
    (folder / "a.json").write_text(
        json.dumps(
            {
                "id": "PYSEC-1",
                "affected": [{"package": {"ecosystem": "PyPI", "name": "Foo_Bar"}, "versions": ["1.0.0"]}],
            }
        )
    )
    lock = tmp_path / "requirements.txt"
    lock.write_text("foo-bar==1.0\n")
    (finding,) = scan(lock, "r", folder, "adv", ["HIGH"])
    assert (finding.package, finding.severity, finding.blocking) == ("foo-bar", "UNKNOWN", False)


def test_requirements_with_hashes_extras_markers_and_comments(tmp_path: Path):
    lock = tmp_path / "requirements.txt"
    lock.write_text(
        "# pinned by pip-compile\n--index-url https://pypi.org/simple\n"
        "requests[socks]==2.31.0 ; python_version >= '3.8' \\\n    --hash=sha256:abc \\\n    --hash=sha256:def\n"
        "idna==3.6  # via requests\n"
    )
    pins = read_lockfile(lock, "requirements.txt")
    assert [(p.name, str(p.version), p.where) for p in pins] == [
        ("requests", "2.31.0", "requirements.txt:3"),
        ("idna", "3.6", "requirements.txt:6"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("idna==3.6\nrequests>=2.0\n", "requirements.txt:2: requests is not pinned with =="),
        ("requests==2.*\n", "requirements.txt:1: requests is not pinned with =="),
        ("requests\n", "requirements.txt:1: requests is not pinned"),
        ("-r other.txt\n", "requirements.txt:1: -r is not allowed in a lockfile"),
        ("ok==1\nthis is not it\n", "requirements.txt:2: not a requirement"),
    ],
)
def test_a_bad_requirements_lockfile_names_its_line(tmp_path: Path, text: str, message: str):
    lock = tmp_path / "requirements.txt"
    lock.write_text(text)
    with pytest.raises(BadInput, match=message):
        read_lockfile(lock, "requirements.txt")


def test_pylock_and_uv_lock(tmp_path: Path):
    pylock = tmp_path / "pylock.toml"
    pylock.write_text(
        'lock-version = "1.0"\ncreated-by = "uv"\n\n[[packages]]\nname = "Requests"\nversion = "2.30.0"\n\n'
        '[[packages]]\nname = "idna"\nversion = "3.6"\n'
    )
    assert [(p.name, str(p.version), p.where) for p in read_lockfile(pylock, "pylock.toml")] == [
        ("requests", "2.30.0", "pylock.toml:4"),
        ("idna", "3.6", "pylock.toml:8"),
    ]
    uv = tmp_path / "uv.lock"
    uv.write_text(
        'version = 1\n\n[[package]]\nname = "myproject"\nversion = "0.1.0"\nsource = { editable = "." }\n\n'
        '[[package]]\nname = "numpy"\nversion = "1.26.4"\nsource = { registry = "https://pypi.org/simple" }\n'
    )
    assert [(p.name, str(p.version)) for p in read_lockfile(uv, "uv.lock")] == [("numpy", "1.26.4")]


def test_bad_toml_lockfiles_name_file_and_line(tmp_path: Path):
    uv = tmp_path / "uv.lock"
    uv.write_text('version = 1\n[[package]]\nname = "numpy"\nversion = \n')
    with pytest.raises(BadInput, match=r"uv.lock: not valid TOML: .*line 4"):
        read_lockfile(uv, "uv.lock")
    uv.write_text('version = 1\n\n[[package]]\nname = "numpy"\n')
    with pytest.raises(BadInput, match=r"uv.lock:3: package numpy has no version"):
        read_lockfile(uv, "uv.lock")


def test_a_bad_advisory_names_its_file_and_line(tmp_path: Path):
    folder = tmp_path / "advisories"
    (folder / "nested").mkdir(parents=True)
    (folder / "nested" / "GHSA-bad.json").write_text('{\n  "id": "GHSA-bad",\n  "affected": [,]\n}')
    with pytest.raises(BadInput, match=r"^advisories/nested/GHSA-bad.json:3: not valid JSON"):
        read_advisories(folder, "advisories/")
    (folder / "nested" / "GHSA-bad.json").write_text('{"affected": []}')
    with pytest.raises(BadInput, match=r"GHSA-bad.json:1: an OSV advisory needs a string id"):
        read_advisories(folder, "advisories/")


def test_other_ecosystems_are_ignored():
    parsed = _parse_advisory(
        {"id": "N", "affected": [{"package": {"ecosystem": "npm", "name": "requests"}, "versions": ["1.0"]}]}, "n.json"
    )
    assert parsed == []
    assert match([], {}, ["HIGH"]) == []
