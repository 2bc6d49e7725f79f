"""The models that replaced free dicts in results print the JSON users already script against, and come back whole."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from stageward.service.catalogue import schemas
from stageward.service.results.access import EnvironmentDetail, QuotaLimits
from stageward.service.results.config import ConfigDiff, ConfigDifference
from stageward.service.results.policy import PolicyShown

ROW = ConfigDifference(
    key="training.epochs",
    values={"staging": 3, "production": None},
    only_in="staging",
    intentional=True,
    marked="intentional",
    origins={"staging": "conf/staging/main.yaml:2", "production": None},
)


def test_a_diff_row_prints_each_value_under_its_environment_in_the_order_users_see():
    assert json.dumps(ROW.model_dump(mode="json")) == (
        '{"key": "training.epochs", "staging": 3, "production": null, "only_in": "staging", '
        '"intentional": true, "marked": "intentional", '
        '"origins": {"staging": "conf/staging/main.yaml:2", "production": null}}'
    )


def test_a_diff_row_from_its_json_is_the_same_model():
    diff = ConfigDiff(environments=["staging", "production"], digests={}, differences=[ROW])
    assert ConfigDiff.model_validate(json.loads(json.dumps(diff.model_dump(mode="json")))) == diff


def test_a_diff_row_without_its_key_is_refused():
    with pytest.raises(ValidationError, match="key"):
        ConfigDifference.model_validate({"staging": 1, "only_in": None, "intentional": False, "marked": None,
                                         "origins": {}})


def test_the_diff_schema_describes_the_flat_row():
    definitions = schemas()["config.diff"]["result"]["$defs"]["ConfigDifference"]
    assert "values" not in definitions["properties"]
    assert "values" not in definitions["required"]
    assert definitions["additionalProperties"]


def test_an_undeclared_quota_is_absent_not_null():
    assert QuotaLimits().model_dump(mode="json") == {}
    assert QuotaLimits(max_concurrent_runs=1).model_dump(mode="json") == {"max_concurrent_runs": 1}


def test_env_show_and_policy_show_print_gates_with_only_their_bound(client_for):
    alice = client_for("alice")
    shown = alice.call("env.show", env="production")
    assert shown["promotion"]["gates"] == [{"metric": "auc", "min": 0.8}, {"metric": "auc", "max_drop": 0.01}]
    assert shown["quotas"] == {"max_concurrent_runs": 2, "monthly_budget": 300.0}
    assert shown["cost"] == {"per_cpu_hour": 0.048, "tags": {"cost_center": "CC-1234"}}
    assert shown["data"]["prod_out"] == {"uri": "s3://lp-prod/out", "access": "read-write"}
    assert EnvironmentDetail.model_validate(shown).model_dump(mode="json") == shown
    alice.call("policy.apply")
    policy = alice.call("policy.show")
    assert policy["environments"]["production"]["gates"] == shown["promotion"]["gates"]
    assert policy["environments"]["staging"]["refs"] == ["refs/heads/develop", "refs/tags/v*"]
    assert PolicyShown.model_validate(policy).model_dump(mode="json") == policy
