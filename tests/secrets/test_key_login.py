"""STAGEWARD_API_KEY in local mode: the CLI acts as the key's principal, in the key's environment only (SPEC §2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from stageward.errors import BadInput, Unauthenticated
from stageward.service.context import open_context
from stageward.testing import FrozenClock

STAGEWARD = str(Path(sys.executable).parent / "stageward")


def run(*args: str, cwd: Path, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ.update({"STAGEWARD_USER": "alice", **env})
    return subprocess.run(
        [STAGEWARD, *args], cwd=cwd, env=environ, input=stdin, capture_output=True, text=True, timeout=60
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def keyed(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A project whose spn:ci deploys in development and production, with a key for development only."""
    _ok(run("init", "--project", "lp-crosssell", "--team", "lp", cwd=tmp_path))
    for env in ("development", "production"):
        _ok(run("access", "grant", "spn:ci", "deployer", "--env", env, cwd=tmp_path))
        _ok(run("secrets", "set", "DB_PASSWORD", "--env", env, cwd=tmp_path, stdin=f"{env}-password"))
    created = json.loads(
        _ok(run("keys", "create", "--principal", "spn:ci", "--env", "development", "--json", cwd=tmp_path))
    )
    return tmp_path, created


def test_a_development_key_cannot_read_production(keyed):
    project, created = keyed
    denied = run("secrets", "get", "DB_PASSWORD", "--env", "production", cwd=project, STAGEWARD_API_KEY=created["key"])
    assert denied.returncode == 3
    assert denied.stdout == "" and created["key"] not in denied.stderr
    assert denied.stderr.splitlines() == [
        "error: denied: spn:ci lacks secrets.read_value in production",
        "  hint: this API key acts in development only; use a key made for production",
    ]
    at_home = run(
        "secrets",
        "get",
        "DB_PASSWORD",
        "--env",
        "development",
        cwd=project,
        STAGEWARD_API_KEY=created["key"],
        STAGEWARD_USER="mallory",  # ignored: the key says who acts
    )
    assert at_home.returncode == 0, at_home.stderr
    assert at_home.stdout == "development-password"
    entries = json.loads(_ok(run("audit", "list", "--json", cwd=project)))
    reads = [(e["principal"], e["action"], e["environment"], e["outcome"]) for e in entries[-2:]]
    assert reads == [
        ("spn:ci", "secrets.get", "production", "denied"),
        ("spn:ci", "secrets.get", "development", "ok"),
    ]


def test_a_key_cannot_make_keys_from_the_cli(keyed):
    project, created = keyed
    minted = run(
        "keys", "create", "--principal", "spn:ci", "--env", "development", cwd=project, STAGEWARD_API_KEY=created["key"]
    )
    assert minted.returncode == 3 and minted.stdout == ""
    assert minted.stderr.splitlines()[0] == (
        "error: denied: spn:ci acts through an API key, and keys are made by a person, not by a key "
        "(keys create refused)"
    )


@pytest.mark.parametrize(
    ("presented", "message"),
    [
        (
            "hunter2",
            "error: STAGEWARD_API_KEY: the API key is malformed: expected sw_<environment>_<44 letters and digits>",
        ),
        ("sw_development_" + "A" * 44, "error: STAGEWARD_API_KEY: the API key is not valid"),
        ("  ", "error: STAGEWARD_API_KEY is set but empty"),
    ],
)
def test_a_bad_key_is_refused_naming_why_without_echoing_it(keyed, presented: str, message: str):
    project, _created = keyed
    refused = run("env", "list", cwd=project, STAGEWARD_API_KEY=presented)
    assert refused.returncode == 3 and refused.stdout == ""
    assert refused.stderr.splitlines()[0] == message
    if presented.strip():
        assert presented not in refused.stderr


def test_a_revoked_key_is_refused_naming_its_prefix(keyed):
    project, created = keyed
    _ok(run("keys", "revoke", created["prefix"], cwd=project))
    refused = run("env", "list", cwd=project, STAGEWARD_API_KEY=created["key"])
    assert refused.returncode == 3
    assert refused.stderr.startswith(f"error: STAGEWARD_API_KEY: API key {created['prefix']} was revoked at ")
    assert created["key"] not in refused.stderr


def test_a_key_for_a_store_that_does_not_exist_founds_nothing(tmp_path: Path):
    _ok(run("init", "--project", "lp-x", "--team", "lp", cwd=tmp_path))
    refused = run("env", "list", cwd=tmp_path, STAGEWARD_API_KEY="sw_development_" + "A" * 44)
    assert refused.returncode == 3
    assert refused.stderr.startswith("error: STAGEWARD_API_KEY: the API key is not valid (the store ")
    assert not (tmp_path / ".stageward" / "stageward.db").exists()


def test_expiry_is_exact(keyed):
    """A key expires at its expiry instant; one second before, it still acts."""
    project, created = keyed
    expiry = datetime.fromisoformat(created["expires_at"].replace("Z", "+00:00"))
    environ = {**os.environ, "STAGEWARD_API_KEY": created["key"]}
    environ.pop("STAGEWARD_USER", None)
    ctx = open_context(project, environ=environ, clock=FrozenClock(expiry - timedelta(seconds=1)))
    try:
        assert (ctx.principal, ctx.bound_environment) == ("spn:ci", "development")
    finally:
        ctx.close()
    with pytest.raises(Unauthenticated) as caught:
        open_context(project, environ=environ, clock=FrozenClock(expiry))
    assert caught.value.exit_code == 3
    assert caught.value.message == f"STAGEWARD_API_KEY: API key {created['prefix']} expired at {created['expires_at']}"


def test_code_naming_another_principal_than_the_key_is_refused(keyed):
    project, created = keyed
    with pytest.raises(BadInput, match="STAGEWARD_API_KEY acts as spn:ci, not as alice"):
        open_context(project, principal="alice", environ={**os.environ, "STAGEWARD_API_KEY": created["key"]})
