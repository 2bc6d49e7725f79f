"""The workflow `stageward init` writes, played for real: each job's `run:` steps in order, against a real server
on a free port, with one API key per environment under the names the workflow's secrets give them.

The jobs play in a clone of the project (a CI runner's checkout, detached at the commit, its ref in GITHUB_REF as
GitHub sets it); the server serves the project's own folder. One kind of step is not played as written:
`pip install -r requirements.txt` (this environment has Stageward and pytest installed already, and the suite
does not reach PyPI). The develop and staging jobs end in `stageward run`: the command executes on the runner,
the server checks the guardrails and records the run, and the train module registers its model through the
server, with the run's lineage.
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
TRAINED_IN = {"develop": "development", "staging": "staging"}
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
    git = ("git", "-c", "user.name=t", "-c", "user.email=t@example.com")
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "stageward init"], cwd=root, check=True)
    runner = tmp_path / "runner"
    subprocess.run(["git", "clone", "-q", str(root), str(runner)], check=True)
    subprocess.run(["git", "checkout", "-q", "--detach"], cwd=runner, check=True)  # as actions/checkout leaves it
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=runner, check=True, capture_output=True, text=True)
    (root / "m").mkdir()
    (root / "m" / "weights.bin").write_bytes(b"w")
    local("model", "register", "model", "m", "--env", "staging", "--metric", "auc=0.95")
    local("model", "alias", "set", "model", "1", "champion", "--env", "staging")
    local("access", "grant", "spn:ci", "deployer", "--all-environments")
    server = TeamServer(root=root, store_url=f"sqlite:///{root / '.stageward' / 'stageward.db'}")
    server.extra["STAGEWARD_MASTER_KEY_FILE"] = environ["STAGEWARD_MASTER_KEY_FILE"]
    values = {"github.sha": commit.stdout.strip()}
    # What GitHub sets for the push that starts each job (the check job's pull request needs none).
    github_ref = {"develop": "refs/heads/develop", "staging": "refs/tags/v0.1.0", "production": "refs/heads/main"}
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
            if name in github_ref:
                job_env["GITHUB_REF"] = github_ref[name]
            for step in job["steps"]:
                if "run" not in step or step["run"].strip() == "pip install -r requirements.txt":
                    continue
                script = _expand(step["run"], values)
                result = subprocess.run(
                    ["bash", "-eo", "pipefail", "-c", script],
                    cwd=runner,
                    env={**environ, **job_env},
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                played.append((name, result.returncode, result.stdout))
                assert result.returncode == 0, (name, script, result.stdout, result.stderr)
                if "stageward run" in script:
                    assert f" succeeded in {TRAINED_IN[name]} (exit 0, " in result.stderr, result.stderr
                    assert "registered " in result.stdout
    finally:
        server.stop()
    assert [name for name, _, _ in played] == ["check", "check", "develop", "staging", "production"]
    # The production job asked for version 1 (staging's @champion) to go to production, as spn:ci over the server.
    assert played[-1][2] == "promotion 1 pending: 0/2 approval(s)\n"
    with server.admin() as alice:
        requests = alice.call("promotion.list", env="production")
        assert [(r["name"], r["source_version"], r["requested_by"]) for r in requests] == [("model", 1, "spn:ci")]
        # Each run is recorded on the server as the runner reported it, and the version it registered names it.
        for job, env in TRAINED_IN.items():
            (run,) = alice.call("runs.list", env=env)
            assert (run["principal"], run["status"], run["exit_code"]) == ("spn:ci", "succeeded", 0)
            assert (run["commit"], run["ref"], run["dirty"]) == (values["github.sha"], github_ref[job], False)
            assert run["command"] == ["python", "-m", "train"]
            assert [m["key"] for m in alice.call("runs.show", run_id=run["id"])["metrics"]] == ["auc"]
            version = alice.call("model.show", ref=f"{env}/model")
            assert version["run"] == run["id"], version
