"""The OpenAPI document, made from the verb catalogue: each verb's route, its arguments' JSON Schema as
path, query or body parameters, its result's schema, and the error shape every route shares."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from stageward.server.routes import in_query, path_parameters

if TYPE_CHECKING:
    from stageward.service.catalogue import VerbSpec

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "hint": {"type": "string"},
            },
        }
    },
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_ERRORS = {
    "400": "Bad input",
    "401": "No valid API key",
    "403": "Denied (permission, or the key's environment)",
    "404": "Not found",
    "409": "Conflict with the current state",
    "413": "Body too large",
    "422": "A check or gate failed",
}


def _hoisted(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """SCHEMA with its local $defs moved into components/schemas and its references pointed there."""
    schema = copy.deepcopy(schema)
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    text = json.dumps(schema).replace('"#/$defs/', '"#/components/schemas/')
    for name in list(components):
        components[name] = json.loads(json.dumps(components[name]).replace('"#/$defs/', '"#/components/schemas/'))
    hoisted: dict[str, Any] = json.loads(text)
    return hoisted


def _operation(spec: VerbSpec, components: dict[str, Any]) -> dict[str, Any]:
    assert spec.http is not None
    schema = _hoisted(spec.input_schema(), components)
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    in_path = path_parameters(spec)
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": _path_schema(properties.get(name, {}))}
        for name in in_path
    ]
    operation: dict[str, Any] = {
        "operationId": spec.name,
        "summary": spec.summary,
        "tags": [spec.name.split(".", 1)[0]],
        "security": [{"apiKey": []}],
        "responses": {
            "200": {
                "description": "The verb's result",
                "content": {"application/json": {"schema": _hoisted(spec.result_schema(), components)}},
            },
            **{
                status: {"description": text, "content": {"application/json": {"schema": _ERROR_REF}}}
                for status, text in _ERRORS.items()
            },
        },
    }
    rest = {name: value for name, value in properties.items() if name not in in_path}
    if in_query(spec):
        parameters += [
            {"name": name, "in": "query", "required": name in required, "schema": value}
            for name, value in rest.items()
        ]
    else:
        body = {
            "type": "object",
            "properties": rest,
            "required": sorted(required - set(in_path)),
            "additionalProperties": False,
        }
        operation["requestBody"] = {
            "required": bool(body["required"]),
            "content": {"application/json": {"schema": body}},
        }
    if parameters:
        operation["parameters"] = parameters
    if spec.permission:
        operation["description"] = f"Needs {spec.permission} in the environment named by `env`."
    return operation


def _path_schema(schema: dict[str, Any]) -> dict[str, Any]:
    # A path segment is never null: the non-null members of an optional argument.
    members = [member for member in schema.get("anyOf", []) if member.get("type") != "null"]
    if len(members) == 1:
        only: dict[str, Any] = members[0]
        return only
    return schema or {"type": "string"}


def document(specs: list[VerbSpec], version: str) -> dict[str, Any]:
    from stageward.server.routes import API_PREFIX

    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        assert spec.http is not None
        path = API_PREFIX + spec.http[1]
        paths.setdefault(path, {})[spec.http[0].lower()] = _operation(spec, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Stageward", "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
        },
    }
