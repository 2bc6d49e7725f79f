"""Retrain and auto promotions (SPEC §6): the train pipeline in the target at the source version's commit, in a
worktree, through runs.launch; the version it registers passes the gates before the alias moves."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from stageward.client import Client, LocalTransport
from stageward.errors import BadInput, CheckFailed, NotFound
from stageward.testing import FrozenClock, make_context, write_project
from tests.runs.support import git

PROJECT = f"""\
project: lp-retrain
team: lp
model_paths: ["model/**", "conf/**"]
pipelines:
  train: {sys.executable} train.py
environments:
  staging:
    tier: staging
  production:
    tier: production
    promote_from: [staging]
    refs: ["refs/heads/main"]
    promotion: {{approvals: 0, gates: [{{metric: auc, min: 0.8}}]}}
"""
TRAIN = """\
import pathlib, stageward
run = stageward.run_context()
weights = pathlib.Path("model/weights.txt").read_text()
out = pathlib.Path(".stageward/out") / run.run_id
out.mkdir(parents=True)
(out / "weights.txt").write_text(weights)
print("trained", run.environment, weights.strip())
stageward.register_model("ranker", str(out), metrics={"auc": run.config["auc"]})
"""


@pytest.fixture
def project_root(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    write_project(root, PROJECT)
    for env, auc in (("staging", 0.85), ("production", 0.9)):
        (root / "conf" / env).mkdir(parents=True)
        (root / "conf" / env / "main.yaml").write_text(f"auc: {auc}\n")
    (root / "model").mkdir()
    (root / "model" / "weights.txt").write_text("v1\n")
    (root / "train.py").write_text(TRAIN)
    (root / ".gitignore").write_text(".stageward/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "v1")
    return root


@pytest.fixture
def client(project_root: Path, store_url: str, clock: FrozenClock, tmp_path: Path) -> Iterator[Client]:
    environ = {
        **os.environ,
        "STAGEWARD_MASTER_KEY_FILE": str(tmp_path / "keys" / "master.key"),
        "STAGEWARD_STORE": store_url,
        "STAGEWARD_BLOBS": f"file://{tmp_path / 'blobs'}",
        "STAGEWARD_USER": "alice",
    }
    ctx = make_context(project_root, principal="alice", store_url=store_url, clock=clock, environ=environ)
    made = Client(LocalTransport(context=ctx))
    yield made
    made.close()


def _publish(client: Client, root: Path) -> dict:
    return client.result("model.publish", env="staging", name="ranker", path=str(root / "model"), metrics={"auc": 0.85})


def test_auto_copies_until_a_file_under_model_paths_changes(client: Client, project_root: Path):
    source = _publish(client, project_root)
    arguments = {"env": "production", "source": "staging", "name": "ranker", "version": source.version}
    (project_root / "README.md").write_text("docs\n")
    git(project_root, "add", "-A")
    git(project_root, "commit", "-qm", "docs only")
    planned = client.result("promotion.plan", mode="auto", **arguments)
    assert planned.mode == "copy" and planned.deciding_files == []
    assert "no file under model_paths changed since" in planned.mode_reason
    (project_root / "model" / "weights.txt").write_text("v2\n")
    git(project_root, "commit", "-qam", "new weights")
    planned = client.result("promotion.plan", mode="auto", **arguments)
    assert planned.mode == "retrain" and planned.deciding_files == ["model/weights.txt"]
    assert "pipelines.train runs in production at" in (planned.retrain or "")


def test_a_retrain_runs_in_a_worktree_at_the_source_commit_and_moves_the_alias(client: Client, project_root: Path):
    source = _publish(client, project_root)
    (project_root / "model" / "weights.txt").write_text("v2\n")
    git(project_root, "commit", "-qam", "v2 weights, not yet trained")
    head = git(project_root, "rev-parse", "HEAD")
    done = client.result(
        "promotion.request", env="production", source="staging", name="ranker", version=source.version,
        mode="retrain",
    )  # fmt: skip
    assert done.state == "executed" and done.mode == "retrain" and done.run_id
    run = client.result("runs.show", run_id=done.run_id).run
    assert run.environment == "production" and run.commit == source.git_commit != head
    assert run.tags["promotion"] == str(done.id) and run.ref == "refs/heads/main" and run.dirty is False
    champion = client.result("model.show", ref="production/ranker@champion")
    assert champion.run == run.id and champion.metrics == {"auc": 0.9}  # production's config
    logs = client.result("runs.logs", run_id=run.id)
    import base64

    assert base64.b64decode(logs.data).startswith(b"trained production v1")  # the source commit's weights
    assert git(project_root, "rev-parse", "HEAD") == head and "stageward-retrain" not in git(
        project_root, "worktree", "list"
    )
    assert client.result("promotion.show", id=done.id).run_id == run.id
    assert client.result("verify.asset", ref="production/ranker@champion").origin.run_record["id"] == run.id


def test_a_retrained_version_failing_the_gates_does_not_move_the_alias(client: Client, project_root: Path):
    # The retrain reads the config at the source version's commit: production's there is worse.
    (project_root / "conf" / "production" / "main.yaml").write_text("auc: 0.5\n")
    git(project_root, "commit", "-qam", "worse config")
    source = _publish(client, project_root)
    with pytest.raises(CheckFailed, match=r"retrain run [0-9a-f]+ rejected: 1 gate\(s\) failed: auc 0.5 < min 0.8"):
        client.result(
            "promotion.request", env="production", source="staging", name="ranker", version=source.version,
            mode="retrain",
        )  # fmt: skip
    with pytest.raises(NotFound):
        client.result("model.show", ref="production/ranker@champion")


def test_registrations_name_a_run_of_their_environment(client: Client, project_root: Path):
    with pytest.raises(NotFound, match="--run abc123: no such run in project lp-retrain"):
        client.result("model.publish", env="staging", name="ranker", path=str(project_root / "model"), run="abc123")
    with pytest.raises(BadInput, match="--run '../x': expected a run id of"):
        client.result("model.publish", env="staging", name="ranker", path=str(project_root / "model"), run="../x")
    record = client.result("runs.launch", env="staging", command=[sys.executable, "train.py"], echo=lambda _: None)
    with pytest.raises(BadInput, match=f"--run {record.id}: the run ran in staging, not in production"):
        client.result("model.publish", env="production", name="ranker", path=str(project_root / "model"), run=record.id)
    version = client.result("model.show", ref="staging/ranker")
    assert version.run == record.id and version.git_commit == record.commit
    assert version.config_digest == record.config_digest
    checked = client.result("verify.asset", ref="staging/ranker")
    assert checked.origin.run_record["commit"] == record.commit


def test_verify_fails_when_the_run_disagrees(client: Client, project_root: Path, store_url: str):
    record = client.result("runs.launch", env="staging", command=[sys.executable, "train.py"], echo=lambda _: None)
    from sqlalchemy import create_engine, text

    engine = create_engine(store_url)
    with engine.begin() as conn:
        forged = {"digest": "sha256:" + "0" * 64, "id": record.id}
        conn.execute(text("UPDATE runs SET config_digest = :digest WHERE id = :id"), forged)
    engine.dispose()
    with pytest.raises(CheckFailed, match="its config_digest .* is not its run's"):
        client.result("verify.asset", ref="staging/ranker")
