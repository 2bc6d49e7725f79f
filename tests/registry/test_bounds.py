"""Bounds on a version's metrics, params and tags: 200,000 metrics or 20 MB of params were accepted (and the
metrics copied into the audit entry); a metric of 10**400 crashed with OverflowError."""

from __future__ import annotations

import pytest

from stageward.errors import BadInput
from stageward.registry.values import (
    MAX_METRICS,
    MAX_PARAMS,
    MAX_TAGS,
    MAX_TOTAL_BYTES,
    check_metrics,
    check_strings,
    parse_metrics,
)
from tests.registry.support import run_cli


def test_too_many_metrics_names_the_option():
    with pytest.raises(BadInput) as caught:
        check_metrics({f"m{i}": 0.5 for i in range(200_000)})
    assert caught.value.message == f"--metric (metrics): 200000 given; at most {MAX_METRICS} a version"
    assert caught.value.exit_code == 2 and caught.value.http_status == 413
    assert len(check_metrics({f"m{i}": 0.5 for i in range(MAX_METRICS)})) == MAX_METRICS


@pytest.mark.parametrize(("what", "limit"), [("param", MAX_PARAMS), ("tag", MAX_TAGS)])
def test_too_many_params_or_tags_names_the_option(what: str, limit: int):
    with pytest.raises(BadInput) as caught:
        check_strings(what, {f"k{i}": "v" for i in range(limit + 1)})
    assert caught.value.message == f"--{what} ({what}s): {limit + 1} given; at most {limit} a version"
    assert len(check_strings(what, {f"k{i}": "v" for i in range(limit)})) == limit


def test_20_mb_of_params_is_refused_by_its_total():
    params = {f"p{i}": "x" * 4000 for i in range(MAX_PARAMS)}  # each under the 4096-character bound
    with pytest.raises(BadInput) as caught:
        check_strings("param", params)
    assert caught.value.message == (
        f"--param (params): more than {MAX_TOTAL_BYTES} bytes of names and values in one version"
    )


def test_a_20_mb_value_is_refused_without_being_echoed():
    with pytest.raises(BadInput) as caught:
        check_strings("param", {"p": "x" * 20_000_000})
    assert caught.value.message == "param p: longer than 4096 characters"
    with pytest.raises(BadInput) as caught:
        check_strings("param", {"p": ["x" * 20_000_000]})
    assert caught.value.message == "param p: expected text, got list"


@pytest.mark.parametrize("huge", [10**400, -(10**400), 10**5000], ids=["1e400", "-1e400", "1e5000"])
def test_a_metric_too_large_for_a_float_names_the_metric(huge: int):
    with pytest.raises(BadInput) as caught:
        check_metrics({"auc": huge})
    assert caught.value.message == "metric auc: expected a finite number, got an integer too large for a float"


def test_a_huge_integer_param_is_refused_not_crashed():
    with pytest.raises(BadInput, match="param seed: longer than 4096 characters"):
        check_strings("param", {"seed": 10**5000})
    assert check_strings("param", {"seed": 10**300}) == {"seed": "1" + "0" * 300}


def test_a_long_metric_name_is_not_echoed_whole():
    with pytest.raises(BadInput) as caught:
        check_metrics({"a" * 100_000: 1.0})
    assert caught.value.message.startswith("metric name text of 100000 characters: expected letters")


def test_a_long_metric_argument_is_not_echoed_whole():
    with pytest.raises(BadInput) as caught:
        parse_metrics(["auc=" + "9" * 400])
    assert caught.value.message == (
        "--metric auc=(text of 400 characters): expected a finite number, got text of 400 characters"
    )


def test_the_sdk_gets_bad_input_for_a_huge_metric_and_nothing_is_written(client_for, tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "w.bin").write_bytes(b"w")
    alice = client_for("alice")
    files = alice.call("model.upload", env="staging", path=str(folder))["files"]
    before = len(alice.call("audit.list", limit=1000))
    with pytest.raises(BadInput, match="metric auc: expected a finite number, got an integer too large"):
        alice.call("model.register", env="staging", name="ranker", files=files, metrics={"auc": 10**400})
    many = {f"m{i}": 1 for i in range(1001)}
    with pytest.raises(BadInput, match="at most 1000 a version"):
        alice.call("model.register", env="staging", name="ranker", files=files, metrics=many)
    assert len(alice.call("audit.list", limit=1000)) == before
    assert alice.call("model.list", env="staging") == []


def test_the_cli_refuses_too_many_metrics_with_exit_2(tmp_path):
    from stageward.testing import write_project

    root = tmp_path / "project"
    write_project(root)
    (root / "w.bin").write_bytes(b"w")
    store = f"sqlite:///{tmp_path / 'store.db'}"
    metrics = [arg for i in range(1001) for arg in ("--metric", f"m{i}=0.5")]
    done = run_cli(root, store, "alice", "model", "register", "ranker", "w.bin", "--env", "staging", *metrics)
    assert done.returncode == 2, done.stderr
    assert done.stderr == "error: --metric (metrics): 1001 given; at most 1000 a version\n"


def test_the_audit_entry_records_the_registration_not_every_metric(client_for, tmp_path):
    from stageward.registry.values import MAX_METRICS
    from stageward.service.assets import AUDITED_METRICS

    alice = client_for("alice")
    model = tmp_path / "m.bin"
    model.write_bytes(b"w")
    uploaded = alice.call("model.upload", env="staging", path=str(model))
    metrics = {f"m{i}": float(i) for i in range(MAX_METRICS)}
    alice.call("model.register", env="staging", name="ranker", files=uploaded["files"], metrics=metrics)
    entry = alice.call("audit.list", action="model.register")[-1]
    assert entry["details"]["metric_count"] == MAX_METRICS
    assert len(entry["details"]["metrics"]) == AUDITED_METRICS
    assert len(alice.call("model.show", env="staging", ref="ranker:1")["metrics"]) == MAX_METRICS
