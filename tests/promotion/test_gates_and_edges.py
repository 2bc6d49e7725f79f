import pytest

from stageward.errors import BadInput
from stageward.project.loader import load_project
from stageward.project.model import Gate
from stageward.promotion.edges import choose_mode, edge_problem, unavailable_reason
from stageward.promotion.gates import evaluate, failures
from stageward.testing import write_project


def test_min_and_max():
    results = evaluate(
        [Gate(metric="auc", min=0.8), Gate(metric="latency", max=20)], {"auc": 0.79, "latency": 20}, None
    )
    assert [r.passed for r in results] == [False, True]
    assert results[0].reason == "auc 0.79 < min 0.8"
    assert results[1].reason == "latency 20 <= max 20"


def test_max_drop_against_the_holder():
    gate = Gate(metric="auc", max_drop=0.01)
    (ok,) = evaluate([gate], {"auc": 0.895}, {"auc": 0.9}, "production/ranker:3")
    assert ok.passed and ok.baseline == 0.9
    (bad,) = evaluate([gate], {"auc": 0.88}, {"auc": 0.9}, "production/ranker:3")
    assert not bad.passed
    assert bad.reason == "auc 0.88 vs 0.9 held by production/ranker:3: drop 0.02 > max_drop 0.01"
    (first,) = evaluate([gate], {"auc": 0.5}, None)
    assert first.passed and "no version holds the alias" in first.reason


def test_missing_metric_fails():
    (result,) = evaluate([Gate(metric="auc", min=0.1)], {}, None)
    assert not result.passed and result.reason == "auc is not recorded"
    assert failures([result]) == [result]


@pytest.fixture
def project(tmp_path):
    return load_project(write_project(tmp_path)).spec


def test_edges(project):
    assert edge_problem(project, "staging", "production") is None
    assert "only go up the tiers" in edge_problem(project, "production", "staging")
    assert "production.promote_from allows staging" in edge_problem(project, "development", "production")
    assert "from one environment to another" in edge_problem(project, "staging", "staging")


def test_modes(project):
    assert choose_mode(project, "production", None) == ("copy", "production.promotion.mode is copy")
    assert choose_mode(project, "production", "retrain")[0] == "retrain"
    assert "declares none" in str(unavailable_reason("retrain", {}, "a" * 40))
    assert "records none" in str(unavailable_reason("retrain", {"train": "python train.py"}, None))
    assert unavailable_reason("retrain", {"train": "python train.py"}, "a" * 40) is None
    assert unavailable_reason("copy", {}) is None
    with pytest.raises(BadInput, match="--mode 'move': expected 'copy', 'retrain' or 'auto'"):
        choose_mode(project, "production", "move")
