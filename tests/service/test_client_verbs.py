"""The typed SDK: one real method per verb, generated from the catalogue and checked in."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import stageward
from stageward.client import Client, LocalTransport
from stageward.service.catalogue import CLIENT_MODULE, client_source, load_all


def test_the_checked_in_client_is_up_to_date():
    checked_in = Path(stageward.__file__).parent / CLIENT_MODULE
    assert checked_in.read_text(encoding="utf-8") == client_source(), (
        "stageward/_client_verbs.py is stale: run python -m stageward.service.catalogue --write-client"
    )


def test_every_verb_is_a_method_with_its_docstring_and_signature():
    client = Client(LocalTransport())
    for name, spec in load_all().items():
        group, action = name.split(".", 1)
        method = getattr(getattr(client, group), action)
        assert inspect.getdoc(method) == inspect.getdoc(spec.function), name
        parameters = inspect.signature(method).parameters
        assert list(parameters) == list(spec.parameters), name
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values()), name


def test_a_typo_fails_at_attribute_access():
    client = Client(LocalTransport())
    with pytest.raises(AttributeError):
        client.modle  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError):
        client.model.regster  # type: ignore[attr-defined]  # noqa: B018


def test_methods_and_call_are_the_same_call(client_for):
    alice = client_for("alice")
    assert [e.model_dump(mode="json") for e in alice.env.list()] == alice.call("env.list")
    entries = alice.audit.list(limit="1")  # type: ignore[arg-type]
    assert [e.model_dump(mode="json") for e in entries] == alice.call("audit.list", limit=1)


def test_mypy_refuses_a_misspelt_verb_or_argument_in_the_typed_example(tmp_path):
    import subprocess
    import sys

    example = Path(__file__).resolve().parent.parent / "sdk_example.py"
    typo = tmp_path / "typo_example.py"
    text = example.read_text()
    typo.write_text(text.replace("client.model.show", "client.modle.show").replace("alias=", "alais="))
    wrong_field = tmp_path / "wrong_field_example.py"
    wrong_field.write_text(text.replace("version=version.version", "version=version.verison"))
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]
    src = str(Path(stageward.__file__).resolve().parent.parent)
    result = subprocess.run([*mypy, str(typo)], capture_output=True, text=True, env={"MYPYPATH": src}, timeout=300)
    assert '"Client" has no attribute "modle"' in result.stdout, result.stdout + result.stderr
    assert 'Unexpected keyword argument "alais"' in result.stdout
    result = subprocess.run(
        [*mypy, str(wrong_field)], capture_output=True, text=True, env={"MYPYPATH": src}, timeout=300
    )
    assert '"Version" has no attribute "verison"' in result.stdout, result.stdout + result.stderr
