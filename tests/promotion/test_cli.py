"""Promotion commands as a user runs them: exit codes and messages of every refusal."""

from pathlib import Path

import pytest

from stageward.testing import write_project
from tests.registry.support import run_cli

# Its tests share one store made by a module-scoped fixture, and so the configuration folder holding its key.
pytestmark = pytest.mark.shared_config_home

@pytest.fixture(scope="module")
def project(tmp_path_factory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("promotion-cli") / "project"
    write_project(root)
    (root / "m.bin").write_bytes(b"weights")
    store = f"sqlite:///{root / '.stageward' / 'stageward.db'}"
    for metric in ("auc=0.91", "auc=0.5"):
        done = run_cli(
            root,
            store,
            "alice",
            "model",
            "register",
            "ranker",
            "m.bin",
            "--env",
            "staging",
            "--metric",
            metric,
        )
        assert done.returncode == 0, done.stderr
    opened = run_cli(
        root, store, "alice", "promote", "ranker", "1", "--from", "staging", "--to", "production"
    )
    assert opened.returncode == 0 and "promotion 1 pending: 0/2 approval(s)" in opened.stdout, opened.stderr
    return root, store


@pytest.mark.parametrize(
    ("user", "args", "code", "message"),
    [
        (
            "alice",
            ["promote", "ranker", "2", "--from", "staging", "--to", "production"],
            1,
            "rejected: 1 gate(s) failed: auc 0.5 < min 0.8",
        ),
        (
            "alice",
            ["promote", "ranker", "1", "--from", "production", "--to", "staging"],
            3,
            "promotions only go up the tiers",
        ),
        (
            "alice",
            ["promote", "ranker", "1", "--from", "development", "--to", "production"],
            3,
            "production.promote_from allows staging",
        ),
        (
            "alice",
            ["promote", "ranker", "7", "--from", "staging", "--to", "production"],
            4,
            "staging/ranker has no version 7 (latest is 2)",
        ),
        (
            "alice",
            ["promote", "ranker", "1", "--from", "staging", "--to", "production", "--mode", "retrain"],
            2,
            "retrain runs the pipeline at the source version's commit, and the version records none",
        ),
        (
            "alice",
            ["promote", "ranker", "1", "--from", "staging", "--to", "production", "--mode", "move"],
            2,
            "--mode 'move': expected 'copy', 'retrain' or 'auto'",
        ),
        ("alice", ["promotion", "approve", "1"], 3, "alice requested promotion 1 and cannot approve it"),
        ("mallory", ["promotion", "approve", "1"], 3, "mallory lacks env.read in production"),
        ("alice", ["promotion", "approve", "42"], 4, "no promotion 42"),
        (
            "mallory",
            ["promote", "ranker", "1", "--from", "staging", "--to", "production"],
            3,
            "mallory lacks promotions.request in production",
        ),
    ],
)
def test_refusals(project, user, args, code, message):
    root, store = project
    result = run_cli(root, store, user, *args)
    assert result.returncode == code, result.stderr
    assert message in result.stderr and result.stderr.startswith("error: ")


def test_plan_prints_gates_and_the_alias_move(project):
    root, store = project
    result = run_cli(root, store, "alice", "plan", "ranker", "1", "--from", "staging", "--to", "production")
    assert result.returncode == 0, result.stderr
    assert "promote would open a request needing 2 approval(s)" in " ".join(result.stdout.split())
    for text in (
        "copy (production.promotion.mode is copy)",
        "@champion: nobody -> production/ranker:1",
        "auc 0.91 >= min 0.8",
        "no bytes move",
    ):
        assert text in " ".join(result.stdout.split()), text
    listed = run_cli(root, store, "alice", "promotion", "list", "--json")
    assert '"state": "pending"' in listed.stdout


@pytest.mark.parametrize("as_json", [False, True])
def test_plan_exits_1_when_the_gates_would_reject(project, as_json):
    root, store = project
    args = ["plan", "ranker", "2", "--from", "staging", "--to", "production", *(["--json"] if as_json else [])]
    result = run_cli(root, store, "alice", *args)
    assert result.returncode == 1, result.stderr
    assert result.stderr == "error: plan: promote would be rejected: auc 0.5 < min 0.8\n"
    if as_json:
        import json

        assert json.loads(result.stdout)["gates_pass"] is False
    else:
        assert "auc 0.5 < min 0.8" in result.stdout  # the plan is still shown in full


def test_plan_exits_1_when_the_mode_would_be_refused(project):
    root, store = project
    args = ["plan", "ranker", "1", "--from", "staging", "--to", "production", "--mode", "retrain"]
    result = run_cli(root, store, "alice", *args)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("error: plan: promote would be refused: ") and "commit" in result.stderr


def test_plan_exits_1_when_the_promotion_would_be_denied(project):
    root, store = project
    for env in ("staging", "production"):
        granted = run_cli(root, store, "alice", "access", "grant", "vera", "viewer", "--env", env)
        assert granted.returncode == 0, granted.stderr
    result = run_cli(root, store, "vera", "plan", "ranker", "1", "--from", "staging", "--to", "production")
    assert result.returncode == 1, result.stderr
    assert result.stderr == "error: plan: promote would be denied: vera lacks promotions.request in production\n"
