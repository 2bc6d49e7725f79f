"""The workflow `stageward init` writes, played for real: each job's `run:` steps in order, against a real server
on a free port, with one API key per environment under the names the workflow's secrets give them.

Two kinds of step are not played as written: `pip install -r requirements.txt` (this environment has Stageward and
pytest installed already, and the suite does not reach PyPI), and nothing else. The develop and staging jobs end
in `stageward run`, which launches on the machine that calls it and cannot yet record on a server: they are
played, and must fail saying so, as the workflow promises.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.server.support import SRC, TeamServer

BIN = Path(sys.executable).parent
JOBS = ("check", "develop", "staging", "production")
pytestmark = [
    pytest.mark.shared_config_home,
    pytest.mark.skipif(shutil.which("jq") is None or shutil.which("bash") is None, reason="needs bash and jq"),
]


def _expand(text: str, values: dict[str, str]) -> str:
    """`${{ vars.X }}`, `${{ secrets.X }}` and `${{ github.sha }}` as GitHub would fill them."""
    return re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: values[m.group(1)], text)


def test_every_job_of_the_init_workflow_runs_against_a_server(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ.update(
        PATH=f"{BIN}{os.pathsep}{environ.get('PATH', '')}",
        PYTHONPATH=SRC,
        STAGEWARD_USER="alice",
        STAGEWARD_MASTER_KEY_FILE=str(tmp_path / "keys" / "master.key"),
        CI="1",
    )

    def local(*args: str) -> str:
        result = subprocess.run(
            [str(BIN / "stageward"), *args], cwd=root, env=environ, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, (args, result.stderr)
        return result.stdout

    local("init", "--project", "lp-churn")
    (root / "m").mkdir()
    (root / "m" / "weights.bin").write_bytes(b"w")
    local("model", "register", "model", "m", "--env", "staging", "--metric", "auc=0.95")
    local("model", "alias", "set", "model", "1", "champion", "--env", "staging")
    local("access", "grant", "spn:ci", "deployer", "--all-environments")
    server = TeamServer(root=root, store_url=f"sqlite:///{root / '.stageward' / 'stageward.db'}")
    server.extra["STAGEWARD_MASTER_KEY_FILE"] = environ["STAGEWARD_MASTER_KEY_FILE"]
    values = {"github.sha": "0123abcd"}
    for env in ("development", "staging", "production"):
        values[f"secrets.STAGEWARD_{env.upper()}_KEY"] = server.make_key(env, "spn:ci", env)
    server.start()
    values["vars.STAGEWARD_URL"] = server.url
    workflow = yaml.safe_load((root / ".github" / "workflows" / "stageward.yml").read_text(encoding="utf-8"))
    played: list[tuple[str, int, str]] = []
    try:
        for name in JOBS:
            job = workflow["jobs"][name]
            job_env = {k: _expand(str(v), values) for k, v in (job.get("env") or {}).items()}
            for step in job["steps"]:
                if "run" not in step or step["run"].strip() == "pip install -r requirements.txt":
                    continue
                script = _expand(step["run"], values)
                result = subprocess.run(
                    ["bash", "-eo", "pipefail", "-c", script],
                    cwd=root,
                    env={**environ, **job_env},
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                played.append((name, result.returncode, result.stdout + result.stderr))
                if "stageward run" in script:
                    # The server never executes a caller's command; a run recorded on a server is not built yet.
                    assert result.returncode == 2, result.stdout + result.stderr
                    assert "runs.launch runs in local mode only; unset STAGEWARD_URL" in result.stderr
                    break
                assert result.returncode == 0, (name, script, result.stdout, result.stderr)
    finally:
        server.stop()
    assert [name for name, _, _ in played] == ["check", "check", "develop", "staging", "production"]
    # The production job asked for version 1 (staging's @champion) to go to production, as spn:ci over the server.
    assert played[-1][2] == "promotion 1 pending: 0/2 approval(s)\n"
    with server.admin() as alice:
        requests = alice.call("promotion.list", env="production")
    assert [(r["name"], r["source_version"], r["requested_by"]) for r in requests] == [("model", 1, "spn:ci")]
