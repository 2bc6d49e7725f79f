"""Numbers of thousands of digits: int() refuses them (ValueError), which reached users as an internal error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stageward.errors import BadInput
from stageward.secrets.durations import parse_duration
from stageward.secrets.rotation import parse_generator

HUGE = "9" * 5000

STAGEWARD = str(Path(sys.executable).parent / "stageward")


def test_a_huge_duration_is_bad_input_and_not_echoed_whole():
    with pytest.raises(BadInput, match="expected a number and a unit") as caught:
        parse_duration(HUGE + "d", option="--ttl")
    assert len(caught.value.message) < 200


def test_a_huge_random_length_is_bad_input():
    with pytest.raises(BadInput, match="expected random:N") as caught:
        parse_generator("random:" + HUGE)
    assert len(caught.value.message) < 200


def test_the_cli_answers_a_huge_ttl_with_exit_2(tmp_path: Path):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ["STAGEWARD_USER"] = "alice"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([STAGEWARD, *args], cwd=tmp_path, env=environ, capture_output=True, text=True)

    assert run("init", "--project", "lp-x").returncode == 0
    result = run("keys", "create", "--principal", "bob", "--env", "development", "--ttl", HUGE + "d")
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: --ttl '9999")
    assert len(result.stderr.splitlines()) == 1
