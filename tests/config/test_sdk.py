"""The SDK: stageward.config(env) read-only with attribute and item access, and stageward.flag()."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

import stageward
from stageward.errors import BadInput


@pytest.fixture
def in_project(conf, project_root, monkeypatch, tmp_path):
    monkeypatch.chdir(project_root)
    for name in ("STAGEWARD_ENV", "STAGEWARD_CONFIG", "STAGEWARD_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STAGEWARD_USER", "alice")
    monkeypatch.setenv("STAGEWARD_STORE", f"sqlite:///{tmp_path / 'sdk.db'}")
    conf("production/flags.yaml", "flags:\n  ranker: {value: true, rollout: 0.5}\n  color: blue\n")
    return monkeypatch


def test_config_outside_a_run_asks_stageward(in_project):
    cfg = stageward.config("production")
    assert cfg.training.lr == 0.01
    assert cfg["training"]["layers"] == (64, 32)
    assert cfg.paths.models == "/srv/data/models"
    assert cfg.environment == "production"
    assert cfg.to_dict()["training"]["batch_size"] == 256


def test_config_reads_stageward_env_and_is_read_only(in_project):
    in_project.setenv("STAGEWARD_ENV", "staging")
    cfg = stageward.config()
    assert cfg.environment == "staging"
    with pytest.raises(TypeError, match="read-only"):
        cfg.training.lr = 1  # type: ignore[misc]
    with pytest.raises(TypeError, match="read-only"):
        cfg["training"] = {}  # type: ignore[index]
    with pytest.raises(AttributeError, match=re.escape("no key training.lrr in the staging config")):
        _ = cfg.training.lrr
    with pytest.raises(KeyError, match="no key nope in the staging config"):
        _ = cfg["nope"]


def test_config_with_no_environment_is_bad_input(in_project):
    with pytest.raises(BadInput, match=re.escape("no environment; pass env='...' or set STAGEWARD_ENV")):
        stageward.config()


def test_inside_a_run_it_reads_the_file_the_run_was_given(in_project, tmp_path):
    given = tmp_path / "resolved.json"
    given.write_text(json.dumps({"training": {"lr": 0.7}, "flags": {"beta": {"value": "on", "rollout": 1}}}))
    in_project.setenv("STAGEWARD_ENV", "production")
    in_project.setenv("STAGEWARD_CONFIG", str(given))
    assert stageward.config().training.lr == 0.7
    assert stageward.flag("beta") == "on"
    assert stageward.config("staging").training.lr == 0.01  # another environment: asked of Stageward


def test_flag_is_deterministic_per_entity(in_project):
    in_project.setenv("STAGEWARD_ENV", "production")
    assert stageward.flag("color") == "blue"
    seen = [stageward.flag("ranker", entity_id=f"user-{i}") for i in range(40)]
    assert seen == [stageward.flag("flags.ranker", f"user-{i}") for i in range(40)]
    assert set(seen) == {True, False}


def test_import_stageward_stays_cheap():
    code = (
        "import sys, stageward; print(sorted(m for m in sys.modules if "
        "m.startswith(('stageward', 'yaml', 'pydantic', 'sqlalchemy', 'jsonschema'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['stageward']"


def test_config_is_a_plain_function_whatever_was_imported():
    import inspect

    import stageward.configuration
    import stageward.configuration.view

    assert inspect.isfunction(stageward.config)
    assert stageward.config.__module__ == "stageward"


def test_value_and_section_check_the_type_they_promise():
    from stageward.configuration.model import ConfigError
    from stageward.configuration.view import ConfigView

    cfg = ConfigView(
        {"training": {"lr": 1, "epochs": 20, "on": True, "name": "x", "layers": [64, 32]}, "seed": None},
        "production",
    )
    assert cfg.value("training.lr", float) == 1.0 and isinstance(cfg.value("training.lr", float), float)
    assert cfg.value("training.epochs", int) == 20
    assert cfg.section("training").value("on", bool) is True
    assert cfg.value("training.missing", int, 0) == 0  # a default, even a falsy one, for a missing key
    assert cfg.value("training.missing", bool, False) is False
    cases = [
        (lambda: cfg.value("training.on", int), "training.on in the production config: expected int, got bool"),
        (lambda: cfg.value("training.on", float), "training.on in the production config: expected float, got bool"),
        (lambda: cfg.value("training.name", int), "training.name in the production config: expected int, got str"),
        (lambda: cfg.value("seed", str), "seed in the production config: expected str, got null"),
        (lambda: cfg.section("training.layers"),
         "training.layers in the production config: expected a mapping, got a list"),
        (lambda: cfg.section("training").value("layers", int),
         "training.layers in the production config: expected int, got a list"),
    ]
    for call, message in cases:
        with pytest.raises(ConfigError) as raised:
            call()
        assert raised.value.message == message
    with pytest.raises(KeyError, match="no key training.lr.deeper in the production config"):
        cfg.value("training.lr.deeper", float)
    with pytest.raises(KeyError, match="no key training.missing in the production config"):
        cfg.value("training.missing", int)
