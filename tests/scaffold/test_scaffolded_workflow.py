"""The CI workflow init writes must run: its production step said `promote model latest`, and promote takes a number."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stageward.scaffold import WORKFLOW

BIN = Path(sys.executable).parent


@pytest.mark.skipif(shutil.which("jq") is None or shutil.which("bash") is None, reason="needs bash and jq")
def test_the_production_step_promotes_the_version_holding_staging_champion(tmp_path: Path):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ.update(STAGEWARD_USER="alice", PATH=f"{BIN}{os.pathsep}{environ.get('PATH', '')}")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(BIN / "stageward"), *args], cwd=tmp_path, env=environ, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return result

    run("init", "--project", "lp-x")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "weights.bin").write_bytes(b"w")
    for version in (1, 2):
        run("model", "register", "model", "m", "--env", "staging", "--metric", f"auc=0.9{version}")
    run("model", "alias", "set", "model", "1", "champion", "--env", "staging")
    step = yaml.safe_load(WORKFLOW)["jobs"]["production"]["steps"][-1]["run"]
    script = step.replace("${{ github.sha }}", "0123abc")
    result = subprocess.run(["bash", "-ec", script], cwd=tmp_path, env=environ, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("promotion 1 pending: 0/2 approval(s)")
    promotion = json.loads(run("promotion", "show", "1", "--json").stdout)
    assert (promotion["source"], promotion["reason"]) == ("staging/model:1", "0123abc")  # @champion, not the latest
