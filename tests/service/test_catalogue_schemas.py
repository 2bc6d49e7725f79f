"""Every verb has a typed contract: an input model built from its signature, and JSON Schemas of input and result."""

from __future__ import annotations

import inspect

import pytest

from stageward.errors import BadInput
from stageward.service.catalogue import CATALOGUE, load_all, schemas


def test_every_verb_has_an_input_and_a_result_schema():
    every = schemas()
    assert set(every) == set(load_all()) and len(every) > 50
    for name, schema in every.items():
        assert schema["input"]["type"] == "object", name
        assert schema["result"], name
        assert set(schema) >= {"input", "result", "permission", "http", "write"}


def test_each_input_schema_requires_what_the_signature_requires():
    every = schemas()
    for name, spec in load_all().items():
        parameters = inspect.signature(spec.function).parameters.values()
        required = [p.name for p in parameters if p.name != "unit" and p.default is inspect.Parameter.empty]
        assert every[name]["input"].get("required", []) == required, name
        assert every[name]["input"]["additionalProperties"] is False, name


def test_a_progress_reporter_is_passed_through_not_modelled():
    spec = load_all()["model.upload"]
    assert spec.passed_through == {"progress"}
    assert "progress" not in schemas()["model.upload"]["input"]["properties"]


def test_the_cli_start_builds_no_model():
    import subprocess
    import sys

    code = "import sys, stageward.cli.main; print('pydantic' in sys.modules, 'stageward.service.access' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[1] == "False"


@pytest.mark.parametrize(
    ("verb", "arguments", "message"),
    [
        ("config.show", {"env": "staging", "overrides": ["a=1", 3]}, "argument overrides expected list[str], got list"),
        ("audit.list", {"limit": "+1"}, "argument limit expected int, got str"),
        ("audit.list", {"limit": 1.5}, "argument limit expected int, got float"),
        ("promotion.request", {"env": "production", "name": "r", "version": True, "source": "staging"},
         "argument version expected int, got bool"),
    ],
)
def test_wrong_types_name_verb_argument_and_type(client_for, verb, arguments, message):
    with pytest.raises(BadInput) as caught:
        client_for("alice").call(verb, **arguments)
    assert caught.value.message.startswith(f"{verb}: {message}")
    assert caught.value.exit_code == 2


def test_the_catalogue_holds_each_verb_once():
    assert all(spec.name == name for name, spec in CATALOGUE.items())
