"""Demo steps of runs: the project in git, a guarded run refused, a run that registers a model with its lineage."""

from __future__ import annotations

import shlex
import subprocess
import sys

from stageward.client import Client, LocalTransport
from stageward.demo import StepFailed, Walk
from stageward.errors import Denied

# A digest-pinned image staging admits: the refused run below names the same image by a tag.
STAGING_IMAGE = "docker.io/library/python@sha256:" + "5e" * 32


def _git(walk: Walk, *arguments: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(walk.root), "-c", "user.name=alice", "-c", "user.email=alice@example.com", *arguments],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise StepFailed(f"git {' '.join(arguments)}: {done.stderr.strip()}")
    return done.stdout.strip()


def steps(walk: Walk) -> None:
    bob = walk.as_("bob")

    def commit() -> str:
        project = walk.root / "stageward.yaml"
        text = project.read_text(encoding="utf-8")
        # The pipeline runs with this interpreter (it has stageward); staging admits one pinned image.
        text = text.replace("  train: python -m train", f"  train: {shlex.join([sys.executable, '-m', 'train'])}")
        text = text.replace(
            '    refs: ["refs/heads/develop", "refs/tags/v*"]\n',
            f'    refs: ["refs/heads/develop", "refs/tags/v*"]\n    images: ["{STAGING_IMAGE}"]\n',
        )
        project.write_text(text, encoding="utf-8")
        _git(walk, "init", "-q", "-b", "main")
        _git(walk, "add", "-A")
        _git(walk, "commit", "-q", "-m", "lp-crosssell: first commit")
        head = _git(walk, "rev-parse", "--short", "HEAD")
        # A fresh client reads the changed stageward.yaml; a tightening applies at once for alice (SPEC §12).
        with Client(LocalTransport(walk.root, principal="alice", environ=walk.environ)) as fresh:
            applied = fresh.result("policy.apply", reason="staging admits one pinned image")
        return f"git main at {head}; policy v{applied.version} applied: staging admits only {STAGING_IMAGE[:40]}..."

    walk.step("alice commits the project to git on main; staging admits one pinned image", commit)

    def refused() -> str:
        scratch = walk.root / "scratch.py"
        scratch.write_text("print('not committed')\n", encoding="utf-8")
        try:
            error = walk.expect_error(
                Denied,
                lambda: bob.result(
                    "runs.launch",
                    env="staging",
                    image="docker.io/library/python:3.11",
                    command=[sys.executable, "-m", "train"],
                ),
            )
        finally:
            scratch.unlink()
        for expected in ("clean_tree:", "image: image docker.io/library/python:3.11 is not pinned", "ref:"):
            if expected not in error.message:
                raise StepFailed(f"the refusal should list {expected!r}; it said: {error.message}")
        lines = error.message.splitlines()
        return f"exit {error.exit_code}: {lines[0]}\n" + "\n".join(f"      {line.strip()}" for line in lines[1:])

    walk.step("bob runs training in staging from a dirty tree with an unpinned image: refused", refused)

    def trained() -> str:
        record = bob.result("runs.launch", env="development", command=[sys.executable, "-m", "train"])
        version = bob.result("model.show", ref="development/model")
        if version.run != record.id or version.git_commit != record.commit:
            raise StepFailed(f"the version should record run {record.id}; it records {version.run}")
        checked = bob.result("verify.asset", ref="development/model")
        return (
            f"run {record.id} {record.status} ({record.cpu_seconds or 0:.2f} CPU s); {version.ref} records it "
            f"(commit {str(record.commit)[:12]}); verify: {' <- '.join(checked.lineage)}, "
            f"back to run {checked.origin.run}"
        )

    walk.step("bob runs training in development: it registers a model that records its run", trained)
