"""Every verb returns its declared result model; its JSON is what faces print, and a remote result becomes the model."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from stageward.client import Client, LocalTransport
from stageward.service.catalogue import load_all, schemas, verb
from stageward.service.results.access import Binding, EnvironmentSummary, Granted
from stageward.service.results.base import Result
from stageward.service.unit import Unit


def _model_of(schema: dict[str, Any]) -> bool:
    """SCHEMA is a result model's: an object with declared properties, or an array of such objects."""
    definitions = schema.get("$defs", {})
    if schema.get("type") == "array":
        reference = schema.get("items", {}).get("$ref", "")
        item = definitions.get(reference.rsplit("/", 1)[-1], {})
        return item.get("type") == "object" and bool(item.get("properties"))
    return schema.get("type") == "object" and bool(schema.get("properties"))


def test_every_verb_declares_a_result_model_with_a_real_schema():
    untyped = [name for name, schema in schemas().items() if not _model_of(schema["result"])]
    assert untyped == [], f"verbs whose result is not a model: {untyped}"


def test_every_result_model_is_frozen_and_refuses_unknown_fields():
    import typing

    for name, spec in load_all().items():
        model = spec.result_type
        if typing.get_origin(model) is list:
            (model,) = typing.get_args(model)
        assert issubclass(model, Result), name
        assert model.model_config.get("frozen") and model.model_config.get("extra") == "forbid", name


def test_the_untyped_schema_check_catches_a_dict_result():
    assert not _model_of({"type": "object", "additionalProperties": True})
    assert not _model_of({})
    assert not _model_of({"type": "array", "items": {"type": "object"}})


@verb("resulttest.shapeless")
def _shapeless(unit: Unit) -> Granted:
    return {"principal": "alice"}  # type: ignore[return-value]  # the wrong shape, on purpose


@verb("resulttest.wrong_model")
def _wrong_model(unit: Unit) -> list[Binding]:
    return [Granted(principal="a", role="viewer", environment="staging", scope="", granted_by="b")]  # type: ignore[list-item]


@pytest.mark.parametrize("name", ["resulttest.shapeless", "resulttest.wrong_model"])
def test_a_verb_returning_anything_but_its_model_is_refused(client_for, name):
    with pytest.raises(TypeError, match=f"verb {name} returned"):
        client_for("alice").call(name)


def test_a_model_refuses_a_field_it_does_not_declare():
    with pytest.raises(ValidationError):
        Granted(principal="a", role="viewer", environment="staging", scope="", granted_by="b", secret="x")  # type: ignore[call-arg]


class _JsonTransport:
    """A transport that returns JSON, as the HTTP transport does: the local result, dumped and parsed back."""

    def __init__(self, local: LocalTransport) -> None:
        self.local = local

    def call(self, verb_name: str, arguments: dict[str, Any]) -> Any:
        import json

        from stageward.service.results.base import to_json

        return json.loads(json.dumps(to_json(self.local.call(verb_name, arguments))))

    def close(self) -> None:
        self.local.close()


def test_typed_methods_return_the_model_from_either_transport(context_for):
    local = Client(LocalTransport(context=context_for("alice")))
    remote = Client(_JsonTransport(LocalTransport(context=context_for("alice"))))
    for client in (local, remote):
        environments = client.env.list()
        assert all(isinstance(e, EnvironmentSummary) for e in environments)
        assert [e.name for e in environments] == ["sandbox", "development", "staging", "production"]
        granted = client.access.grant(principal="bob", role="viewer", env="staging")
        assert isinstance(granted, Granted) and granted.granted_by == "alice"
        client.access.revoke(principal="bob", role="viewer", env="staging")
    assert local.env.list() == remote.env.list()


def test_call_returns_the_models_json(client_for):
    alice = client_for("alice")
    assert alice.call("env.list") == [e.model_dump(mode="json") for e in alice.env.list()]
    assert all(not isinstance(row, BaseModel) for row in alice.call("access.list"))


def test_a_json_result_missing_a_field_is_refused_by_the_typed_method(context_for):
    class Broken(_JsonTransport):
        def call(self, verb_name: str, arguments: dict[str, Any]) -> Any:
            rows = super().call(verb_name, arguments)
            return [{k: v for k, v in row.items() if k != "tier"} for row in rows]

    with pytest.raises(ValidationError):
        Client(Broken(LocalTransport(context=context_for("alice")))).env.list()
