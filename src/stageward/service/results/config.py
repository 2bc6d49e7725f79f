"""Results of the `config.*` verbs."""

from __future__ import annotations

from typing import Any

from pydantic import Field, GetJsonSchemaHandler, SerializerFunctionWrapHandler, model_serializer, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from stageward.service.results.base import Result


class ExplainedKey(Result):
    """Where one key of the resolved config came from."""

    key: str = Field(description="the dotted key")
    value: Any = Field(description="its value as shown (a secret masked unless revealed)")
    origin: str = Field(description="FILE:LINE of the layer that set it, or the override or variable")
    references: list[str] = Field(description="the ${...} references it was built from")


class ConfigShown(Result):
    """An environment's resolved config."""

    environment: str
    digest: str = Field(description="sha256 of the resolved values (secrets as references)")
    config: dict[str, Any] = Field(description="the resolved values, secrets masked unless revealed")
    # Absent, not null, without explain: the JSON users already script against.
    explain: list[ExplainedKey] | None = Field(
        default=None, exclude_if=lambda rows: rows is None, description="with explain: where each key came from"
    )


class ConfigDifference(Result):
    """One key whose value differs between the two environments, or that only one of them has.

    Its JSON is flat: each environment's value sits under the environment's own name, beside `key` (the row
    users script against); `values` holds them in the model.
    """

    key: str = Field(description="the dotted key")
    values: dict[str, Any] = Field(description="environment -> its value (null where it lacks the key)")
    only_in: str | None = Field(description="the one environment that has the key, when only one has it")
    intentional: bool = Field(description="listed in config.intentional_differences")
    marked: str | None = Field(description="why the difference is expected: intentional or own data store")
    origins: dict[str, str | None] = Field(description="environment -> FILE:LINE the value comes from")

    @model_validator(mode="before")
    @classmethod
    def _fold_values(cls, data: Any) -> Any:
        # The flat JSON (from a remote transport) back into the model: every key that is not a field is a value.
        if isinstance(data, dict) and "values" not in data:
            fields = cls.model_fields
            values = {name: value for name, value in data.items() if name not in fields}
            return {**{name: value for name, value in data.items() if name in fields}, "values": values}
        return data

    @model_serializer(mode="wrap")
    def _flatten_values(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        values = data.pop("values")
        return {"key": data.pop("key"), **values, **data}

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["properties"].pop("values")
        schema["required"].remove("values")
        schema["additionalProperties"] = {"description": "an environment's value, under the environment's name"}
        return schema


class ConfigDiff(Result):
    """Differences between two environments' configs."""

    environments: list[str] = Field(description="the two environments, in the order given")
    digests: dict[str, str] = Field(description="environment -> digest of its resolved config")
    differences: list[ConfigDifference] = Field(description="one row a differing key")


class Finding(Result):
    """One problem `config check` found."""

    kind: str
    message: str
    environment: str | None
    key: str | None
    where: str | None = Field(description="FILE:LINE")
    line: str = Field(description="the finding as one printed line")


class ConfigChecked(Result):
    ok: bool
    environments: list[str]
    findings: list[Finding]


class ConfigExported(Result):
    environment: str
    format: str = Field(description="dotenv, json or k8s")
    digest: str
    text: str = Field(description="the exported document")
