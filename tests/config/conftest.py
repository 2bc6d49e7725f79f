"""Fixtures for config tests: conf/ files, a domain-level resolve, the CLI as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from stageward.configuration import ConfigFiles, Resolved, resolve

STAGEWARD = str(Path(sys.executable).with_name("stageward"))

BASE = """\
training:
  lr: 0.01
  epochs: 20
  batch_size: 256
  layers: [64, 32]
data:
  root: /srv/data
  sample_fraction: 1.0
paths:
  models: ${data.root}/models
"""


@pytest.fixture
def write(project_root: Path) -> Callable[[str, str], Path]:
    """write("conf/base/main.yaml", text) in the example project."""

    def put(relative: str, text: str) -> Path:
        path = project_root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return put


@pytest.fixture
def conf(write: Callable[[str, str], Path]) -> Callable[[str, str], Path]:
    """The example project with a base layer; conf("production/main.yaml", text) adds a file."""
    write("conf/base/main.yaml", BASE)
    return lambda relative, text: write(f"conf/{relative}", text)


@pytest.fixture
def resolved(project_root: Path) -> Callable[..., Resolved]:
    def run(
        env: str = "production",
        *,
        environ: Mapping[str, str] | None = None,
        overrides: Sequence[str] = (),
        env_refs: str = "resolve",
    ) -> Resolved:
        files = ConfigFiles(project_root / "conf", project_root)
        return resolve(
            files,
            env,
            env_prefix="CROSSSELL_",
            environ=environ or {},
            env_refs=env_refs,  # type: ignore[arg-type]
            overrides=overrides,
        )

    return run


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(project_root: Path, tmp_path: Path) -> Callable[..., Result]:
    """cli("config", "show", "--env", "production", user="bob", env={...}) as a separate process."""

    def run(*args: str, user: str = "alice", env: Mapping[str, str] | None = None) -> Result:
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("STAGEWARD_", "CROSSSELL_"))}
        environ.update({"STAGEWARD_USER": user, "STAGEWARD_STORE": f"sqlite:///{tmp_path / 'cli.db'}"})
        environ.update(env or {})
        if user != "alice" and not (tmp_path / "cli.db").exists():
            # Whoever opens a new store becomes its admin: alice first, as in the rest of the suite.
            subprocess.run(
                [STAGEWARD, "env", "list"],
                cwd=project_root,
                env={**environ, "STAGEWARD_USER": "alice"},
                capture_output=True,
                check=True,
                timeout=60,
            )
        done = subprocess.run(
            [STAGEWARD, *args], cwd=project_root, env=environ, capture_output=True, text=True, timeout=60
        )
        return Result(done.returncode, done.stdout, done.stderr)

    return run
