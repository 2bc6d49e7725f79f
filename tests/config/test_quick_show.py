"""The cold `config show --env E --json` (service/quick_config.py): same answer, same walls, or the full path."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from stageward.service.quick_config import MEMO

# Runs the CLI in a fresh process and says, on its last stderr line, whether pydantic was ever imported:
# the quick read never imports it, the full path always does.
PROBE = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write('\\nfull path: %s\\n' % ('pydantic' in sys.modules)))\n"
    "from stageward.cli.main import main\n"
    "sys.argv = ['stageward', *sys.argv[1:]]\n"
    "main()\n"
)


class Run:
    def __init__(self, done: subprocess.CompletedProcess[str]) -> None:
        self.code = done.returncode
        self.out = done.stdout
        lines = done.stderr.rstrip("\n").split("\n")
        self.full_path = lines[-1] == "full path: True"
        self.err = "\n".join(lines[:-1]).strip("\n")


@pytest.fixture
def show(project_root: Path, tmp_path: Path, conf: Callable[[str, str], Path]) -> Callable[..., Run]:
    conf("production/db.yaml", "db:\n  password: ${secret:DB_PASSWORD}\n  host: ${env:DB_HOST}\n")

    def run(*args: str, user: str = "alice", extra: dict[str, str] | None = None) -> Run:
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("STAGEWARD_", "CROSSSELL_"))}
        environ.update(
            {
                "STAGEWARD_USER": user,
                "STAGEWARD_STORE": f"sqlite:///{tmp_path / 'cli.db'}",
                "DB_HOST": "db.internal",
                "CROSSSELL_TRAINING__EPOCHS": "7",
            }
        )
        environ.update(extra or {})
        done = subprocess.run(
            [sys.executable, "-c", PROBE, *args], cwd=project_root, env=environ, capture_output=True, text=True,
            timeout=60,
        )
        return Run(done)

    first = run("config", "show", "--env", "production", "--json")  # creates the store, applies the policy
    assert first.code == 0 and first.full_path, first.err
    return run


ARGS = ("config", "show", "--env", "production", "--json")


def test_the_second_cold_show_answers_from_the_memo_exactly_as_the_full_path(show, project_root):
    full = show(*ARGS)  # finds the working copy applied: validates it and leaves the memo
    assert full.code == 0 and full.full_path
    memo = project_root / MEMO
    assert stat.S_IMODE(memo.stat().st_mode) == 0o600
    quick = show(*ARGS)
    assert (quick.code, quick.err, quick.full_path) == (0, "", False)
    assert quick.out == full.out
    data = json.loads(quick.out)
    assert data["config"]["db"] == {"password": "***", "host": "db.internal"}  # masked; ${env:} resolved
    assert data["config"]["training"]["epochs"] == 7  # the CROSSSELL_ variable, as the full path reads it


def test_only_the_exact_command_is_quick_in_any_of_its_spellings(show):
    show(*ARGS)
    for args in [("config", "show", "--env=production", "--json"), ("config", "show", "--json", "-e", "production")]:
        assert show(*args).full_path is False, args
    for extra in [("--explain",), ("--set", "training.lr=0.5"), ("--json",), ("--env", "staging")]:
        assert show(*ARGS, *extra).full_path, extra


def test_a_caller_without_config_read_is_denied_by_the_full_path_and_audited(show):
    show(*ARGS)
    result = show(*ARGS, user="bob")
    assert result.code == 3 and result.full_path
    assert result.err.startswith("error: denied: bob lacks config.read in production")
    audit = json.loads(show("audit", "list", "--env", "production", "--json").out)
    assert (audit[-1]["principal"], audit[-1]["action"], audit[-1]["outcome"]) == ("bob", "config.show", "denied")


def test_an_api_key_even_a_blank_one_leaves_it_to_the_full_path(show):
    show(*ARGS)
    blank = show(*ARGS, extra={"STAGEWARD_API_KEY": ""})
    assert blank.full_path and blank.code == 3
    assert blank.err.startswith("error: STAGEWARD_API_KEY is set but empty")
    forged = show(*ARGS, extra={"STAGEWARD_API_KEY": "swk_not_a_key"})
    assert forged.full_path and forged.code == 3


def test_an_environment_the_policy_does_not_declare_is_the_full_paths_error(show):
    show(*ARGS)
    result = show("config", "show", "--env", "nowhere", "--json")
    assert result.code == 4 and result.full_path
    assert result.err.startswith("error: no environment 'nowhere' in the policy applied for")


def test_an_edited_project_file_is_validated_again(show, project_root):
    show(*ARGS)
    path = project_root / "stageward.yaml"
    path.write_text(path.read_text() + "# one more byte\n")
    assert show(*ARGS).full_path  # the bytes differ from those validated: the full path, which notes the memo again
    assert show(*ARGS).full_path is False


def test_a_memo_for_another_policy_or_no_memo_at_all_is_not_trusted(show, project_root):
    show(*ARGS)
    memo_path = project_root / MEMO
    memo = json.loads(memo_path.read_text())
    memo["policy_digest"] = "sha256:" + "0" * 64  # as if the store had applied another policy since
    memo_path.write_text(json.dumps(memo))
    result = show(*ARGS)
    assert result.code == 0 and result.full_path
    for text in ['{"fingerprint": "x"}', "not json"]:
        memo_path.write_text(text)
        assert show(*ARGS).full_path, text
