"""`stageward init`: a new project's stageward.yaml, conf/ layout, .gitignore, and a CI workflow with the files
it reads: requirements.txt, a starter test, the train module its `stageward run` steps run, and the pinned
lockfile and advisories folder production's vulnerability scan reads (SPEC §10)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from stageward import __version__
from stageward.errors import BadInput, Conflict
from stageward.project.loader import PROJECT_FILE, load_project
from stageward.project.model import NAME_PATTERN
from stageward.project.tiers import TIERS
from stageward.scaffold import pipeline

_NAME = re.compile(NAME_PATTERN)


@dataclass(frozen=True)
class Scaffolded:
    root: Path
    files: list[str]


def project_yaml(project: str, team: str | None) -> str:
    env_prefix = re.sub(r"[^A-Z0-9]", "_", project.upper()) + "_"
    team_line = f"team: {team}\n" if team else ""
    return f"""\
# Stageward project file. Reference: SPEC §1 (docs/project-file.md).
project: {project}
{team_line}config:
  dir: conf                      # conf/base/*.yaml, then conf/<environment>/*.yaml
  env_prefix: {env_prefix}
  intentional_differences: [training.epochs, data.sample_fraction]
model_paths: ["src/**", "conf/**"]   # a change here needs retraining
pipelines:
  train: python -m train
environments:
  sandbox:
    tier: sandbox
    data:
      scratch: {{uri: "file://./data/sandbox", access: read-write}}
  development:
    tier: development
    promote_from: [sandbox]
    data:
      dev_out: {{uri: "file://./data/development", access: read-write}}
  staging:
    tier: staging
    promote_from: [development]
    refs: ["refs/heads/develop", "refs/tags/v*"]
    data:
      staging_out: {{uri: "file://./data/staging", access: read-write}}
  production:
    tier: production
    promote_from: [staging]
    promotion:
      mode: copy
      approvals: 2
      gates:
        - {{metric: auc, min: 0.80}}
        - {{metric: auc, max_drop: 0.01}}
    refs: ["refs/heads/main", "refs/tags/v*"]
    require_clean_tree: true
    vulnerability_scan: {{lockfile: requirements.lock, advisories: advisories/, fail_on: [HIGH, CRITICAL]}}
    quotas: {{max_concurrent_runs: 2, monthly_budget: 300}}
    cost: {{per_cpu_hour: 0.048, tags: {{cost_center: CC-0000}}}}
    data:
      prod_out: {{uri: "file://./data/production", access: read-write}}
"""


BASE_CONFIG = """\
# Lowest layer: every environment starts from these values.
training:
  lr: 0.01
  epochs: 20
  batch_size: 256
data:
  root: ./data
  sample_fraction: 1.0
paths:
  models: ${data.root}/models        # interpolation: see docs/config.md
flags:
  new_ranker: {value: true, rollout: 0.1}   # stageward.flag("new_ranker", entity_id=user_id)
"""

ENV_CONFIG = {
    "sandbox": "training:\n  epochs: 2\ndata:\n  sample_fraction: 0.01\n  output: file://./data/sandbox/out\n",
    "development": "training:\n  epochs: 5\ndata:\n  sample_fraction: 0.1\n"
    "  output: file://./data/development/out\n",
    "staging": "training:\n  epochs: 20\ndata:\n  sample_fraction: 0.5\n  output: file://./data/staging/out\n",
    "production": "training:\n  epochs: 20\ndata:\n  output: file://./data/production/out\n",
}

GITIGNORE_LINES = [".stageward/", "data/"]

# The workflow's first job reads these: `pip install -r requirements.txt`, then `python -m pytest`.
REQUIREMENTS_FILE = "requirements.txt"
STARTER_TEST = "tests/test_stageward_config.py"
STARTER_TEST_TEXT = """\
\"\"\"Written by `stageward init`: every environment's config resolves. Keep it, change it, add yours.\"\"\"

import pytest

import stageward


@pytest.mark.parametrize("env", ["sandbox", "development", "staging", "production"])
def test_each_environment_has_a_training_config(env):
    config = stageward.config(env)
    assert config["training"]["epochs"] > 0
    assert config["data"]["output"].startswith("file://./data/" + env)
"""

WORKFLOW = """\
# The git flow Stageward expects (SPEC §10):
#   feature branch -> pull request into develop: tests and `stageward config check`
#   develop        -> a run in development
#   tag v*         -> a run in staging
#   main           -> promote to production (approvals happen in Stageward)
#
# The develop and staging jobs train with `stageward run` (train.py, behind the environment's
# guardrails; on a detached checkout the ref comes from GITHUB_REF). The jobs after the first act on
# your team's shared Stageward (STAGEWARD_URL, an API key per environment), served by
# `stageward server`. The server never executes a caller's command: `stageward run` executes train.py
# here, on the runner, after the server has checked the guardrails on what this checkout reports
# (commit, ref, clean tree, lockfile), and the server records the run, its masked log and its end;
# train.py registers its model there with the run's lineage. Run locally, without STAGEWARD_URL, the
# same command uses the embedded store.
name: stageward
on:
  pull_request:
    branches: [develop]
  push:
    branches: [develop, main]
    tags: ["v*"]
jobs:
  check:
    if: github.event_name == 'pull_request'
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with: {python-version: "3.11"}
      - run: pip install -r requirements.txt
      - run: python -m pytest
      - run: stageward config check
  develop:
    if: github.ref == 'refs/heads/develop'
    runs-on: ubuntu-latest
    env: {STAGEWARD_URL: "${{ vars.STAGEWARD_URL }}", STAGEWARD_API_KEY: "${{ secrets.STAGEWARD_DEVELOPMENT_KEY }}"}
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with: {python-version: "3.11"}
      - run: pip install -r requirements.txt
      - name: train in development
        run: stageward run --env development -- python -m train
  staging:
    if: startsWith(github.ref, 'refs/tags/v')
    runs-on: ubuntu-latest
    env: {STAGEWARD_URL: "${{ vars.STAGEWARD_URL }}", STAGEWARD_API_KEY: "${{ secrets.STAGEWARD_STAGING_KEY }}"}
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with: {python-version: "3.11"}
      - run: pip install -r requirements.txt
      - name: train in staging
        run: stageward run --env staging -- python -m train
  production:
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
    env: {STAGEWARD_URL: "${{ vars.STAGEWARD_URL }}", STAGEWARD_API_KEY: "${{ secrets.STAGEWARD_PRODUCTION_KEY }}"}
    steps:
      - uses: actions/checkout@v5
      - uses: actions/setup-python@v6
        with: {python-version: "3.11"}
      - run: pip install -r requirements.txt
      # promote takes a version number: the one that holds @champion in staging.
      - run: |
          version=$(stageward model show staging/model@champion --json | jq -r .version)
          stageward promote model "$version" --from staging --to production --alias champion \\
            --reason "${{ github.sha }}"
"""


def requirements() -> dict[str, str]:
    """What the workflow installs, by package name: this Stageward's minor series (0.x minors may
    break; from 1.0, its major), and pytest."""
    from packaging.version import Version

    from stageward import __version__

    current = Version(__version__)
    major, minor = current.major, current.minor
    upper = f"{major}.{minor + 1}" if major == 0 else str(major + 1)
    return {"stageward": f"stageward>={major}.{minor},<{upper}", "pytest": "pytest>=8"}


_REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _missing_requirements(text: str) -> list[str]:
    """The lines of requirements() for the packages that TEXT, a requirements file, does not name."""
    named = set()
    for line in text.splitlines():
        if match := _REQUIREMENT_NAME.match(line):
            named.add(re.sub(r"[-_.]+", "-", match.group(1)).lower())
    return [line for name, line in requirements().items() if name not in named]


def _append_lines(path: Path, lines: list[str]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        if path.stat().st_size and not path.read_text(encoding="utf-8").endswith("\n"):
            handle.write("\n")
        handle.write("\n".join(lines) + "\n")


def check_project_name(project: str, team: str | None, team_prefix: str | None = None) -> None:
    if not _NAME.fullmatch(project):
        raise BadInput(f"--project {project!r}: expected a name matching {NAME_PATTERN}")
    if team is not None:
        if not _NAME.fullmatch(team):
            raise BadInput(f"--team {team!r}: expected a name matching {NAME_PATTERN}")
        prefix = team_prefix or f"{team}-"
        if not project.startswith(prefix):
            raise BadInput(f"--project {project!r} must start with team {team!r}'s prefix {prefix!r}")


def init_project(root: Path, *, project: str, team: str | None = None) -> Scaffolded:
    """Write a new project into ROOT; refuse to overwrite an existing stageward.yaml."""
    check_project_name(project, team)
    root = root.resolve()
    if (root / PROJECT_FILE).exists():
        raise Conflict(f"{root / PROJECT_FILE} already exists; refusing to overwrite it")
    if root.exists() and not root.is_dir():
        raise BadInput(f"{root} exists and is not a folder")
    files: dict[str, str] = {
        "conf/base/main.yaml": BASE_CONFIG,
        ".github/workflows/stageward.yml": WORKFLOW,
        STARTER_TEST: STARTER_TEST_TEXT,
        pipeline.TRAIN_MODULE: pipeline.TRAIN_MODULE_TEXT,
        pipeline.LOCKFILE: pipeline.lockfile_text({"stageward": __version__}),
        pipeline.ADVISORIES_README: pipeline.ADVISORIES_README_TEXT,
    }
    for tier in TIERS:
        files[f"conf/{tier}/main.yaml"] = ENV_CONFIG[tier]
    files[PROJECT_FILE] = project_yaml(project, team)  # last: a folder without it is no project yet
    written: list[str] = []
    try:
        for relative, content in files.items():
            target = root / relative
            if target.exists():
                continue  # never clobber a user's file; the project file was checked above
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
            written.append(relative)
        # Files the user may have already: add the lines the project needs, keep theirs.
        gitignore = root / ".gitignore"
        present = gitignore.read_text(encoding="utf-8").splitlines() if gitignore.exists() else []
        missing = [line for line in GITIGNORE_LINES if line not in present]
        if missing:
            _append_lines(gitignore, missing)
            written.append(".gitignore")
        needs = root / REQUIREMENTS_FILE
        missing = _missing_requirements(needs.read_text(encoding="utf-8") if needs.exists() else "")
        if missing:
            _append_lines(needs, missing)
            written.append(REQUIREMENTS_FILE)
    except OSError as exc:
        for relative in written:  # nothing half-written: take back what this call wrote
            if relative in files:
                (root / relative).unlink(missing_ok=True)
        where = exc.filename or root
        raise BadInput(f"cannot write the project into {root}: {where}: {exc.strerror}") from None
    load_project(root / PROJECT_FILE)  # what we write must load
    return Scaffolded(root, written)
