"""The layers of SPEC §4 in order, deep merge, and the origin of every value."""

from __future__ import annotations

import pytest

from stageward.configuration import ConfigError


def test_environment_files_override_base_and_mappings_merge_deeply(conf, resolved):
    conf("production/main.yaml", "training:\n  epochs: 40\n")
    config = resolved("production")
    assert config.values["training"] == {"lr": 0.01, "epochs": 40, "batch_size": 256, "layers": [64, 32]}
    assert config.where(("training", "epochs")) == "conf/production/main.yaml:2"
    assert config.where(("training", "lr")) == "conf/base/main.yaml:2"


def test_lists_and_scalars_replace_whole(conf, resolved):
    conf("production/main.yaml", "training:\n  layers: [8]\ndata: {root: /prod}\n")
    config = resolved("production")
    assert config.values["training"]["layers"] == [8]
    assert config.values["paths"]["models"] == "/prod/models"


def test_a_mapping_replaced_by_a_scalar_loses_its_keys(conf, resolved):
    conf("production/main.yaml", "training: fixed\n")
    config = resolved("production")
    assert config.values["training"] == "fixed"
    assert config.where(("training",)) == "conf/production/main.yaml:1"


def test_environment_variables_override_files_and_are_read_as_yaml(conf, resolved):
    config = resolved(
        environ={"CROSSSELL_TRAINING__LR": "0.1", "CROSSSELL_TRAINING__LAYERS": "[1, 2]", "OTHER": "x"}
    )
    assert config.values["training"]["lr"] == 0.1
    assert config.values["training"]["layers"] == [1, 2]
    assert config.where(("training", "lr")) == "environment variable CROSSSELL_TRAINING__LR"


def test_variable_names_match_keys_case_insensitively(conf, resolved):
    config = resolved(environ={"CROSSSELL_TRAINING__BATCH_SIZE": "32"})
    assert config.values["training"]["batch_size"] == 32


def test_set_overrides_everything_below_it(conf, resolved):
    config = resolved(environ={"CROSSSELL_TRAINING__LR": "0.1"}, overrides=["training.lr=0.5"])
    assert config.values["training"]["lr"] == 0.5
    assert config.where(("training", "lr")) == "--set training.lr=0.5"


def test_set_with_plus_adds_a_key_and_without_it_refuses_a_typo(conf, resolved):
    config = resolved(overrides=["+training.warmup=3"])
    assert config.values["training"]["warmup"] == 3
    with pytest.raises(ConfigError) as caught:
        resolved(overrides=["training.lrr=0.5"])
    assert caught.value.message == (
        "--set training.lrr: no key training.lrr in the config files (did you mean training.lr?); "
        "use --set +training.lrr=... to add a key"
    )
    with pytest.raises(ConfigError, match=r"training.lr already exists; drop the \+"):
        resolved(overrides=["+training.lr=1"])


def test_an_override_variable_for_no_key_is_an_error(conf, resolved):
    with pytest.raises(ConfigError) as caught:
        resolved(environ={"CROSSSELL_TRAINING__LRR": "0.1"})
    assert caught.value.message == (
        "environment variable CROSSSELL_TRAINING__LRR: no key training.lrr in the config files "
        "(did you mean training.lr?)"
    )


def test_two_files_of_one_layer_may_not_set_the_same_key(conf, resolved):
    conf("base/zz.yaml", "training:\n  lr: 0.2\n  momentum: 0.9\n")
    with pytest.raises(ConfigError) as caught:
        resolved()
    assert caught.value.message == (
        "conf/base/zz.yaml:2 training.lr: also set in conf/base/main.yaml:2; "
        "within one layer each key is set by one file only"
    )


def test_files_of_one_layer_merge_when_they_set_different_keys(conf, resolved):
    conf("base/optim.yaml", "training:\n  momentum: 0.9\n")
    config = resolved()
    assert config.values["training"]["momentum"] == 0.9
    assert config.where(("training", "momentum")) == "conf/base/optim.yaml:2"


def test_no_config_folder_is_an_empty_config(project_root, resolved):
    assert resolved().values == {}


def test_secret_like_set_values_are_not_repeated_in_origins(conf, resolved):
    conf("production/db.yaml", "db:\n  password: ${secret:DB_PASSWORD}\n")
    config = resolved(overrides=["db.password=hunter2"])
    assert config.where(("db", "password")) == "--set db.password=***"
