"""`stageward audit verify|anchor` as a user meets them: exit codes, one-or-two-line errors, the anchor workflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

import stageward
from stageward.secrets.envelope import generate_master_key
from tests.audit.support import edit_details, make_legacy, rehash_without_the_key, truncate

STAGEWARD = str(Path(sys.executable).parent / "stageward")
SOURCE = str(Path(stageward.__file__).resolve().parents[1])  # the code under test, whatever is installed


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = root / "store" / "stageward.db"
        self.key_file = root / "keys" / "master.key"

    def run(self, *args: str, user: str = "alice", **env: str) -> subprocess.CompletedProcess[str]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
        environ.update(
            {
                "PYTHONPATH": SOURCE,
                "STAGEWARD_USER": user,
                "STAGEWARD_STORE": f"sqlite:///{self.store}",
                "STAGEWARD_MASTER_KEY_FILE": str(self.key_file),
                **env,
            }
        )
        return subprocess.run(
            [STAGEWARD, *args], cwd=self.root / "project", env=environ, capture_output=True, text=True, timeout=60
        )

    def ok(self, *args: str, **env: str) -> str:
        result = self.run(*args, **env)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def engine(self) -> Engine:
        return create_engine(f"sqlite:///{self.store}")


def _error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "project").mkdir()
    p = Project(tmp_path)
    p.ok("init", "--project", "lp-crosssell", "--team", "lp")
    for role in ("viewer", "developer", "deployer"):
        p.ok("access", "grant", "bob", role, "--env", "staging")  # entries 3..5, after the store and its policy
    return p


def test_anchor_prints_writes_and_verify_checks_it(project: Project):
    printed = project.ok("audit", "anchor")
    line = printed.splitlines()[0]
    sequence, digest = line.split(":")
    assert sequence == "5" and len(digest) == 64
    assert f"  store {project.store} (created 20" in printed and f"stageward audit verify --anchor {line}" in printed
    as_json = json.loads(project.ok("audit", "anchor", "--json"))
    assert as_json["anchor"] == line and as_json["format"] == "stageward-audit-anchor/1"
    assert project.ok("audit", "anchor", "--output", "anchor.json").strip() == f"anchor {line} written to anchor.json"
    written = json.loads((project.root / "project" / "anchor.json").read_text())
    assert written["sequence"] == 5 and written["hash"] == digest
    project.ok("access", "grant", "carol", "viewer", "--env", "staging")
    assert project.ok("audit", "verify", "--anchor", "anchor.json").strip() == (
        "audit chain intact: 6 entries; anchor 5 holds"
    )
    assert project.ok("audit", "verify", "--anchor", line).strip().endswith("anchor 5 holds")
    verified = json.loads(project.ok("audit", "verify", "--anchor", line, "--json"))
    assert verified["anchor"] == line and verified["entries"] == 6


def test_an_attacker_who_rehashes_and_fixes_the_head_is_caught(project: Project):
    engine = project.engine()
    edit_details(engine, 3, {"role": "admin", "principal": "bob"})
    rehash_without_the_key(engine, 3)  # plain sha256 of every later entry, relinked, head fixed
    engine.dispose()
    result = project.run("audit", "verify")
    assert _error(result, 1) == (
        "error: audit chain broken at entry 3: its content does not match its hash "
        "(edited after writing, or rehashed without the chain key)"
    )


def test_truncation_is_caught_by_the_anchor(project: Project):
    project.ok("audit", "anchor", "--output", "anchor.json")
    engine = project.engine()
    truncate(engine, 2)
    engine.dispose()
    assert project.ok("audit", "verify").strip() == "audit chain intact: 2 entries"
    assert _error(project.run("audit", "verify", "--anchor", "anchor.json"), 1).startswith(
        "error: anchor 5:"
    )
    assert "the chain ends at entry 2, before the anchored entry 5 (entries removed" in project.run(
        "audit", "verify", "--anchor", "anchor.json"
    ).stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "not an anchor",
            "is not an audit anchor: expected the JSON `stageward audit anchor --output FILE` writes, or SEQUENCE:HASH",
        ),
        ('{"format": "stageward-audit-anchor/1", "sequence": 4}', "the anchor's hash is not 64 lowercase hex digits"),
    ],
)
def test_a_malformed_anchor_file_exits_2_naming_it(project: Project, content: str, message: str):
    path = project.root / "project" / "anchor.json"
    path.write_text(content)
    assert _error(project.run("audit", "verify", "--anchor", "anchor.json"), 2) == (
        f"error: anchor file anchor.json{':' if 'hash' in message else ''} {message}"
    )


def test_a_missing_anchor_file_exits_2(project: Project):
    assert _error(project.run("audit", "verify", "--anchor", "gone.json"), 2) == (
        "error: anchor file gone.json does not exist"
    )


def test_verify_needs_the_master_key(project: Project):
    elsewhere = project.root / "elsewhere" / "master.key"
    line = _error(project.run("audit", "verify", STAGEWARD_MASTER_KEY_FILE=str(elsewhere)), 2)
    assert line.startswith("error: no master key: ")
    assert "STAGEWARD_MASTER_KEY is not set" in line and str(elsewhere) in line
    wrong = _error(project.run("audit", "verify", STAGEWARD_MASTER_KEY=generate_master_key()), 2)
    assert wrong.startswith("error: wrong master key: STAGEWARD_MASTER_KEY has key id")
    assert "entry" not in wrong


def test_verify_says_how_many_entries_are_legacy(project: Project):
    engine = project.engine()
    make_legacy(engine)
    engine.dispose()
    assert project.ok("audit", "verify").strip() == (
        "audit chain intact: 5 entries, of which the first 5 are legacy "
        "(plain sha256, written before the chain was keyed)"
    )
    project.ok("access", "grant", "carol", "viewer", "--env", "staging")
    assert project.ok("audit", "verify").startswith("audit chain intact: 6 entries, of which the first 5 are legacy")


def test_anchor_output_that_cannot_be_written_exits_2(project: Project):
    line = _error(project.run("audit", "anchor", "--output", "no/such/folder/anchor.json"), 2)
    assert line == "error: cannot write the anchor to no/such/folder/anchor.json (No such file or directory)"


def test_anchor_is_a_read_needing_audit_read(project: Project):
    assert _error(project.run("audit", "anchor", user="bob"), 3) == (
        "error: denied: bob lacks audit.read in every environment"
    )
