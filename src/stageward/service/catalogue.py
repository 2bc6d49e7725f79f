"""The verb catalogue: each use case declared once with its permission and its HTTP route.

A verb named `group.action` lives in `stageward.service.<group>` and is written
as `def action(unit, **arguments) -> JSON-able value`. The `@verb` decorator
records it here, opens the unit of work around it, checks the declared
permission in the environment named by its `env` argument, audits denials, and
refuses to commit a state change that left no audit entry. The CLI, the REST
routes and the remote client all reach verbs through `run_verb`, so the same
checks and the same output serve every face.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from stageward.errors import BadInput, Denied, NotFound, StagewardError

if TYPE_CHECKING:
    from stageward.service.context import Context
    from stageward.service.unit import Unit

HttpMethod = Literal["GET", "POST", "PUT", "DELETE"]


@dataclass(frozen=True)
class VerbSpec:
    name: str
    function: Callable[..., Any]
    permission: str | None
    write: bool
    http: tuple[HttpMethod, str] | None
    summary: str
    parameters: tuple[str, ...]
    annotations: dict[str, str] = field(default_factory=dict)
    required: tuple[str, ...] = ()  # the parameters without a default
    # A flow runs several units in sequence, each its own transaction (bytes move between them, never
    # inside a write transaction): flow(ctx, arguments, unit) where unit(arguments) runs this verb's own unit.
    flow: Callable[[Context, dict[str, Any], Callable[[dict[str, Any]], Any]], Any] | None = None

    def run(self, ctx: Context, arguments: dict[str, Any]) -> Any:
        return _run(self, ctx, arguments)


CATALOGUE: dict[str, VerbSpec] = {}


def verb(
    name: str,
    *,
    permission: str | None = None,
    write: bool = False,
    http: tuple[HttpMethod, str] | None = None,
    flow: Callable[[Context, dict[str, Any], Callable[[dict[str, Any]], Any]], Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(function)
        parameters = tuple(p for p in signature.parameters if p != "unit")
        spec = VerbSpec(
            name=name,
            function=function,
            permission=permission,
            write=write,
            http=http,
            summary=(inspect.getdoc(function) or "").split("\n", 1)[0],
            parameters=parameters,
            annotations={
                p.name: str(p.annotation) for p in signature.parameters.values() if p.name != "unit"
            },
            required=tuple(
                p.name
                for p in signature.parameters.values()
                if p.name != "unit" and p.default is inspect.Parameter.empty
            ),
            flow=flow,
        )
        if name in CATALOGUE:
            raise RuntimeError(f"verb {name} declared twice")
        CATALOGUE[name] = spec

        @functools.wraps(function)
        def direct(ctx: Context, **arguments: Any) -> Any:
            return _run(spec, ctx, arguments)

        direct.spec = spec  # type: ignore[attr-defined]
        return direct

    return register


def lookup(name: str) -> VerbSpec:
    """The verb NAME, importing its service module on first use."""
    spec = CATALOGUE.get(name)
    if spec is not None:
        return spec
    group = name.split(".", 1)[0]
    if not group.isidentifier():
        raise NotFound(f"no verb {name!r}")
    try:
        importlib.import_module(f"stageward.service.{group}")
    except ModuleNotFoundError as exc:
        if exc.name != f"stageward.service.{group}":
            raise
        raise NotFound(f"no verb {name!r}") from None
    spec = CATALOGUE.get(name)
    if spec is None:
        raise NotFound(f"no verb {name!r}")
    return spec


def run_verb(ctx: Context, name: str, arguments: dict[str, Any]) -> Any:
    return lookup(name).run(ctx, arguments)


def _default_target(arguments: dict[str, Any]) -> str | None:
    for key in ("name", "principal", "ref", "team", "id"):
        value = arguments.get(key)
        if isinstance(value, str | int):
            return str(value)
    return None


_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "list[str]": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    "dict[str, Any]": lambda v: isinstance(v, dict) and all(isinstance(k, str) for k in v),
    "list[dict[str, Any]]": lambda v: isinstance(v, list) and all(isinstance(i, dict) for i in v),
}


def _encodable(value: Any) -> bool:
    """VALUE's text, nested in lists and mappings too, can be written as UTF-8 (no lone surrogate)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, list | tuple):
        return all(_encodable(item) for item in value)
    if isinstance(value, dict):
        return all(_encodable(key) and _encodable(item) for key, item in value.items())
    return True


def _checked(spec: VerbSpec, arguments: dict[str, Any]) -> dict[str, Any]:
    """ARGUMENTS against the verb's annotations: a wrong type is bad input here, not a crash inside the verb.

    An int may come as text of ASCII digits (REST paths and query strings are text); it is read as the int.
    Annotations other than plain JSON types (a progress reporter) are the caller's business. Text that
    UTF-8 cannot hold (a lone surrogate such as '\\udcff', which Python makes of undecodable bytes) is
    refused here, whatever the annotation: the store, the audit chain and JSON all need UTF-8.
    """
    checked = dict(arguments)
    for name, value in arguments.items():
        if not _encodable(value):
            # Never the value: it may be a secret's.
            raise BadInput(
                f"{spec.name}: argument {name} is not valid Unicode text (it holds a lone surrogate, "
                "as undecodable bytes become); pass UTF-8 text"
            )
        annotation = spec.annotations.get(name, "")
        if value is None and annotation.endswith(" | None"):
            continue
        expected = annotation.removesuffix(" | None")
        accepts = _JSON_TYPES.get(expected)
        if accepts is None or accepts(value):
            continue
        if expected == "int" and isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
            checked[name] = int(value)
            continue
        # The type only, never the value: it may be a secret's (secrets.set value=b"...").
        raise BadInput(f"{spec.name}: argument {name} expected {expected}, got {type(value).__name__}")
    return checked


def _run(spec: VerbSpec, ctx: Context, arguments: dict[str, Any]) -> Any:
    unknown = set(arguments) - set(spec.parameters)
    if unknown:
        raise BadInput(f"{spec.name}: unexpected argument(s) {', '.join(sorted(unknown))}")
    missing = [name for name in spec.required if name not in arguments]
    if missing:
        raise BadInput(f"{spec.name}: missing argument(s) {', '.join(missing)}")
    arguments = _checked(spec, arguments)
    environment = arguments.get("env")
    if environment is not None:
        ctx.environment(environment)  # NotFound for an environment stageward.yaml does not declare
    if spec.flow is not None:
        return spec.flow(ctx, arguments, functools.partial(_run_unit, spec, ctx))
    return _run_unit(spec, ctx, arguments)


def _run_unit(spec: VerbSpec, ctx: Context, arguments: dict[str, Any]) -> Any:
    """The verb's unit of work: one transaction, its permission, its audit; a denial audited on its own."""
    from stageward.service.unit import Unit, record_denial

    environment = arguments.get("env")
    unit: Unit | None = None
    try:
        with contextlib.ExitStack() as stack:

            def open_connection() -> Any:
                return stack.enter_context(ctx.database.transaction(write=spec.write))

            unit = Unit(ctx, spec, open_connection)
            if spec.write:
                # A write unit holds the writer lock from its first check to its commit, and enforces the
                # policy applied at that moment, whatever this context read when it opened.
                ctx.refresh_policy(unit.conn)
            unit.target = _default_target(arguments)
            if spec.permission is not None and environment is not None:
                unit.require(spec.permission, environment)
            result = spec.function(unit, **arguments)
            if spec.write and not unit.audited:
                raise RuntimeError(f"verb {spec.name} changed state without an audit entry")
    except Denied as denial:
        record_denial(ctx, spec, denial, target=unit.target if unit else None)
        raise
    except StagewardError:
        raise
    if unit.error_after_commit is not None:
        raise unit.error_after_commit
    return result
