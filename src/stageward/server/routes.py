"""REST routes made from the verb catalogue: one route per verb that declares `http=`, none written by hand.

A verb's arguments come from its path parameters, then the query string (GET, DELETE) or a JSON object body
(POST, PUT); the catalogue's input model checks them, whichever face called. The verb runs in a worker
thread with a Context acting as the request's key.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from stageward.errors import BadInput, Denied, StagewardError
from stageward.server import bodies
from stageward.server.auth import caller_of
from stageward.server.responses import error_response, internal_error, json_response
from stageward.service.results.base import to_json

if TYPE_CHECKING:
    from stageward.server.metrics import Metrics
    from stageward.server.state import Caller, ServerState
    from stageward.service.catalogue import VerbSpec

API_PREFIX = "/api/v1"
_PARAMETER = re.compile(r"\{(\w+)\}")
# A reference may name its environment (production/fraud@champion): the `ref` segment takes slashes.
_SLASHED = frozenset({"ref"})

Endpoint = Callable[[Request], Awaitable[Response]]


def route_path(spec: VerbSpec) -> str:
    """The route of SPEC under /api/v1, a `ref` parameter matching across slashes."""
    assert spec.http is not None
    return API_PREFIX + _PARAMETER.sub(
        lambda m: f"{{{m.group(1)}:path}}" if m.group(1) in _SLASHED else m.group(0), spec.http[1]
    )


def path_parameters(spec: VerbSpec) -> list[str]:
    assert spec.http is not None
    return _PARAMETER.findall(spec.http[1])


def in_query(spec: VerbSpec) -> bool:
    assert spec.http is not None
    return spec.http[0] in ("GET", "DELETE")


def _accepts(schema: dict[str, Any], json_type: str) -> bool:
    if schema.get("type") == json_type:
        return True
    return any(_accepts(member, json_type) for member in schema.get("anyOf", []))


def query_arguments(spec: VerbSpec, properties: dict[str, Any], request: Request) -> dict[str, Any]:
    """The query string as the verb's arguments: text, a list where the verb takes one, true/false as booleans.

    PROPERTIES: the JSON Schemas of the verb's arguments, by name."""
    arguments: dict[str, Any] = {}
    for name in dict.fromkeys(request.query_params.keys()):
        values = request.query_params.getlist(name)
        schema = properties.get(name, {})
        if _accepts(schema, "array"):
            arguments[name] = values
            continue
        if len(values) > 1:
            raise BadInput(f"{spec.name}: query parameter {name} is given {len(values)} times; give it once")
        value: Any = values[0]
        if _accepts(schema, "boolean") and value in ("true", "false"):
            value = value == "true"
        arguments[name] = value
    return arguments


def verb_endpoint(spec: VerbSpec, state: ServerState, metrics: Metrics) -> Endpoint:
    declared = frozenset(path_parameters(spec))
    # The argument schemas, made on the route's first query (building every verb's at start costs ~0.2 s).
    schemas: list[dict[str, Any]] = []

    def properties() -> dict[str, Any]:
        if not schemas:
            schemas.append(spec.input_schema().get("properties", {}))
        return schemas[0]

    async def endpoint(request: Request) -> Response:
        try:
            # Who calls is settled before anything of the request is read: no key, no parsing.
            caller = await run_in_threadpool(caller_of, request, state)
            arguments: dict[str, Any] = dict(request.path_params)
            given = (
                query_arguments(spec, properties(), request)
                if in_query(spec)
                else await bodies.json_object(
                    request, limit=state.settings.max_json_bytes, deadline=state.settings.body_timeout
                )
            )
            for name, value in given.items():
                if name in declared:
                    raise BadInput(f"{spec.name}: argument {name} is in the path; leave it out of the request")
                if name in spec.passed_through:
                    # A progress reporter and its kind are in-process objects, never arguments over the wire.
                    raise BadInput(f"{spec.name}: unexpected argument(s) {name}")
                arguments[name] = value
            result = await run_in_threadpool(_run, spec, state, caller, arguments)
        except Denied as denial:
            metrics.denials.labels(verb=spec.name).inc()
            return error_response(denial)
        except StagewardError as error:
            return error_response(error)
        except Exception as error:
            return internal_error(spec.name, error)
        metrics.verb_done(spec.name)
        return json_response(to_json(result))

    endpoint.__name__ = spec.name.replace(".", "_")
    return endpoint


def _run(spec: VerbSpec, state: ServerState, caller: Caller, arguments: dict[str, Any]) -> Any:
    return spec.run(state.context_for(caller), arguments)
