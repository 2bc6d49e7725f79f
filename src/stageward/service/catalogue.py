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
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

from stageward.errors import BadInput, Denied, NotFound, StagewardError

if TYPE_CHECKING:
    from pydantic import BaseModel

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
    # The arguments' pydantic model, built from the signature when the verb is declared. Parameters whose
    # type is not JSON (a progress reporter) are left out of it and passed through as given.
    input_model: type[BaseModel] | None = None
    passed_through: frozenset[str] = frozenset()
    result_type: Any = Any

    def run(self, ctx: Context, arguments: dict[str, Any]) -> Any:
        return _run(self, ctx, arguments)

    def input_schema(self) -> dict[str, Any]:
        """The JSON Schema of the verb's JSON arguments (a pass-through parameter is not in it)."""
        assert self.input_model is not None
        return self.input_model.model_json_schema()

    def result_schema(self) -> dict[str, Any]:
        """The JSON Schema of the verb's result, from its return annotation (a result model or a list of one)."""
        schema: dict[str, Any] = self._result_adapter.json_schema()
        return schema

    def result_from_json(self, data: Any) -> Any:
        """DATA (the JSON of a result, as a remote transport returns it) validated into the result model;
        a result that is the model already (the local transport's) is returned as it is."""
        if _matches(self.result_type, data):
            return data
        return self._result_adapter.validate_python(data)

    @functools.cached_property
    def _result_adapter(self) -> Any:
        from pydantic import TypeAdapter

        return TypeAdapter(self.result_type)


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
        if name in CATALOGUE:
            raise RuntimeError(f"verb {name} declared twice")
        signature = inspect.signature(function)
        arguments = [p for p in signature.parameters.values() if p.name != "unit"]
        hints = _type_hints(function, [p.name for p in arguments] + ["return"])
        passed_through = frozenset(p.name for p in arguments if not _is_json_type(hints[p.name]))
        spec = CATALOGUE[name] = VerbSpec(
            name=name,
            function=function,
            permission=permission,
            write=write,
            http=http,
            summary=(inspect.getdoc(function) or "").split("\n", 1)[0],
            parameters=tuple(p.name for p in arguments),
            annotations={p.name: _type_text(hints[p.name]) for p in arguments},
            required=tuple(p.name for p in arguments if p.default is inspect.Parameter.empty),
            input_model=_input_model(name, arguments, hints, passed_through),
            passed_through=passed_through,
            result_type=hints.get("return", Any),
            flow=flow,
        )

        # Called directly with a context (in-process seams such as secrets.values_for_run, tests), the verb still
        # runs through the catalogue: arguments checked, permission required, unit of work, audit.
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


def load_all() -> dict[str, VerbSpec]:
    """Every verb: imports each module of the service layer (the CLI never needs this; schemas and the SDK do)."""
    import pkgutil

    import stageward.service

    for module in pkgutil.iter_modules(stageward.service.__path__):
        importlib.import_module(f"stageward.service.{module.name}")
    # Only the service layer's: a test may declare verbs of its own in this process.
    service = __package__ + "."
    return {name: spec for name, spec in sorted(CATALOGUE.items()) if spec.function.__module__.startswith(service)}


def schemas() -> dict[str, dict[str, Any]]:
    """For every verb: the JSON Schema of its input and result, its permission, HTTP route and whether it writes."""
    return {
        name: {
            "summary": spec.summary,
            "input": spec.input_schema(),
            "result": spec.result_schema(),
            "permission": spec.permission,
            "http": list(spec.http) if spec.http else None,
            "write": spec.write,
        }
        for name, spec in load_all().items()
    }


def _default_target(arguments: dict[str, Any]) -> str | None:
    for key in ("name", "principal", "ref", "team", "id"):
        value = arguments.get(key)
        if isinstance(value, str | int):
            return str(value)
    return None


# ---------------------------------------------------------------------------------------------------------------------
# The input model


class _Hints:
    """What typing.get_type_hints reads of a function, minus the parameters not asked for.

    A verb's `unit: Unit` may be imported for type checking only, so it is left out rather than resolved.
    """

    def __init__(self, function: Callable[..., Any], names: list[str]) -> None:
        self.__annotations__ = {k: v for k, v in function.__annotations__.items() if k in names}
        self.__globals__ = function.__globals__


def _type_hints(function: Callable[..., Any], names: list[str]) -> dict[str, Any]:
    hints: dict[str, Any] = typing.get_type_hints(_Hints(function, names))
    for name in names:
        if name != "return":
            hints.setdefault(name, Any)  # an unannotated parameter takes any JSON value
    return hints


_JSON_SCALARS = (str, int, float, bool, type(None))


def _is_json_type(annotation: Any) -> bool:
    """ANNOTATION is made of JSON types only: str, int, float, bool, None, Any, list[...], dict[str, ...] and unions."""
    if annotation is Any or annotation in _JSON_SCALARS:
        return True
    origin = typing.get_origin(annotation)
    if origin in (list, dict, types.UnionType, typing.Union, typing.Literal):
        return origin is typing.Literal or all(_is_json_type(a) for a in typing.get_args(annotation))
    return False


def _type_text(annotation: Any) -> str:
    """ANNOTATION as written in code: `list[str] | None`, `dict[str, Any]`, `Progress | None`."""
    if annotation is type(None):
        return "None"
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    if typing.get_origin(annotation) in (types.UnionType, typing.Union):
        return " | ".join(_type_text(a) for a in typing.get_args(annotation))
    return str(annotation).replace("typing.", "")


def _digits_as_int(value: Any) -> Any:
    # REST paths and query strings are text: an int may come as ASCII digits (not '+1', not '١', not 10**5000).
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return value


def _field_type(annotation: Any) -> Any:
    """ANNOTATION as the model checks it: strict (no bool for int, no bytes for str), an int may be digits."""
    from pydantic import BeforeValidator

    if annotation is int:
        return Annotated[int, BeforeValidator(_digits_as_int)]
    if annotation is float:
        return int | float  # an int stays the int it was (strict float would make 1 into 1.0)
    if typing.get_origin(annotation) in (types.UnionType, typing.Union):
        members = tuple(_field_type(a) for a in typing.get_args(annotation))
        return typing.Union[members]  # noqa: UP007 (built from a tuple)
    return annotation


def _input_model(
    name: str, arguments: list[inspect.Parameter], hints: dict[str, Any], passed_through: frozenset[str]
) -> type[BaseModel]:
    from pydantic import ConfigDict, create_model

    fields: dict[str, Any] = {
        p.name: (_field_type(hints[p.name]), ... if p.default is inspect.Parameter.empty else p.default)
        for p in arguments
        if p.name not in passed_through
    }
    title = "".join(part.title().replace("_", "") for part in name.split(".")) + "Input"
    model: type[BaseModel] = create_model(
        title, __config__=ConfigDict(strict=True, extra="forbid", defer_build=True), **fields
    )
    return model


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
    """ARGUMENTS validated by the verb's input model: a wrong type, a missing or an unexpected argument is
    bad input here, naming the verb, the argument and the expected type, and never the value (it may be a
    secret's: messages are built from pydantic's `loc` and `type`, never its `input`).

    Text that UTF-8 cannot hold (a lone surrogate such as '\\udcff', which Python makes of undecodable
    bytes) is refused first, whatever the annotation: the store, the audit chain and JSON all need UTF-8.
    """
    from pydantic import ValidationError

    assert spec.input_model is not None
    unknown = [name for name in arguments if name not in spec.parameters]
    if unknown:
        raise BadInput(f"{spec.name}: unexpected argument(s) {', '.join(sorted(unknown))}")
    for name, value in arguments.items():
        if not _encodable(value):
            raise BadInput(
                f"{spec.name}: argument {name} is not valid Unicode text (it holds a lone surrogate, "
                "as undecodable bytes become); pass UTF-8 text"
            )
    given = {k: v for k, v in arguments.items() if k not in spec.passed_through}
    try:
        model = spec.input_model.__pydantic_validator__.validate_python(given)
    except ValidationError as exc:
        raise _bad_input(spec, arguments, exc.errors(include_input=False, include_url=False)) from None
    checked = {name: getattr(model, name) for name in given}
    for name in spec.passed_through:
        if name in arguments:
            checked[name] = arguments[name]
    return checked


def _bad_input(spec: VerbSpec, arguments: dict[str, Any], errors: list[Any]) -> BadInput:
    missing = [str(e["loc"][0]) for e in errors if e["type"] == "missing" and len(e["loc"]) == 1]
    if missing:
        return BadInput(f"{spec.name}: missing argument(s) {', '.join(missing)}")
    first = errors[0]
    name = str(first["loc"][0])
    expected = spec.annotations.get(name, "").removesuffix(" | None")
    # The type of the value only, never the value: it may be a secret's (secrets.set value=b"...").
    message = f"{spec.name}: argument {name} expected {expected}, got {type(arguments.get(name)).__name__}"
    # Where inside a list: the indices of `loc` (its other parts name union members and validator steps).
    items = [str(part) for part in first["loc"][1:] if isinstance(part, int)]
    if items:
        message += f" (item {'/'.join(items)}: {first['type']})"
    return BadInput(message)


def _run(spec: VerbSpec, ctx: Context, arguments: dict[str, Any]) -> Any:
    arguments = _checked(spec, arguments)
    environment = arguments.get("env")
    if environment is not None:
        ctx.environment(environment)  # NotFound for an environment stageward.yaml does not declare
    if spec.flow is not None:
        return _checked_result(spec, spec.flow(ctx, arguments, functools.partial(_run_unit, spec, ctx)))
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
    return _checked_result(spec, result)


def _matches(declared: Any, result: Any) -> bool:
    """RESULT is an instance of the DECLARED result model (or a list of instances, for `list[Model]`).

    The model validated the values when the verb built it, so an isinstance check is all the catalogue adds:
    it costs nanoseconds on the hot paths (register, alias move, resolve), where validating again would not.
    """
    from pydantic import BaseModel

    if isinstance(declared, type) and issubclass(declared, BaseModel):
        return isinstance(result, declared)
    if typing.get_origin(declared) is list:
        (item,) = typing.get_args(declared)
        return isinstance(result, list) and all(_matches(item, one) for one in result)
    return False


def _checked_result(spec: VerbSpec, result: Any) -> Any:
    """RESULT, refused unless it is the verb's declared result model: no face ever sees an undeclared shape."""
    if not _matches(spec.result_type, result):
        raise TypeError(f"verb {spec.name} returned {type(result).__name__}, not its declared {spec.result_type}")
    return result


# ---------------------------------------------------------------------------------------------------------------------
# The typed SDK: stageward/_client_verbs.py is generated from the catalogue and checked in, so mypy and editors see
# every verb. `python -m stageward.service.catalogue --write-client` rewrites it; a test fails when it is stale.

CLIENT_MODULE = "_client_verbs.py"

_CLIENT_HEADER = '''\
"""The verbs of `stageward.Client`, one method each: generated from the verb catalogue, do not edit.

Regenerate with `python -m stageward.service.catalogue --write-client` after adding or changing a verb
(tests/service/test_client_verbs.py fails while this file is stale).
"""
# mypy: disable-error-code="empty-body"
# ruff: noqa: E501 (the docstrings are the verbs')

from __future__ import annotations

import abc
import builtins
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
{type_imports}

_Method = TypeVar("_Method", bound=Callable[..., Any])


def _verb(name: str) -> Callable[[_Method], _Method]:
    """The method runs verb NAME with the keyword arguments given.

    Its signature is for type checkers, editors and help(); the catalogue checks the arguments, so a
    missing or mistyped one is the same bad input (exit 2) from the SDK, the CLI and REST. It returns the
    verb's result model, also when the transport brought JSON.
    """

    def declare(method: _Method) -> _Method:
        @functools.wraps(method)
        def run(self: _Group, **arguments: Any) -> Any:
            return self._client.result(name, **arguments)

        return cast(_Method, run)

    return declare


class _Group:
    def __init__(self, client: Verbs) -> None:
        self._client = client
'''


def _code_type(annotation: Any, imports: set[str]) -> str:
    """ANNOTATION as source text of the generated module (list and dict via builtins: a group has a `list` verb)."""
    if annotation is Any:
        return "Any"
    if annotation is type(None):
        return "None"
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        return " | ".join(_code_type(a, imports) for a in typing.get_args(annotation))
    if origin in (list, dict):
        inner = ", ".join(_code_type(a, imports) for a in typing.get_args(annotation))
        return f"builtins.{origin.__name__}[{inner}]"
    if annotation in _JSON_SCALARS:
        return str(annotation.__name__)
    if isinstance(annotation, type):
        imports.add(f"    from {annotation.__module__} import {annotation.__qualname__}")
        return annotation.__qualname__
    raise TypeError(f"no source text for the annotation {annotation!r}")


def _docstring(text: str, indent: str) -> str:
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').strip()
    lines = body.splitlines() or [""]
    if len(lines) == 1:
        return f'{indent}"""{lines[0]}"""'
    rest = "\n".join(f"{indent}{line}" if line else "" for line in lines[1:])
    return f'{indent}"""{lines[0]}\n{rest}\n{indent}"""'


def _import_lines(imports: set[str]) -> str:
    """IMPORTS (`    from M import N` lines) grouped by module as ruff's isort writes them, so the generated file
    passes `ruff check` unchanged: one line when it fits in 120 characters, else one name a line."""
    names: dict[str, list[str]] = {}
    for line in imports:
        module, _, name = line.strip().removeprefix("from ").partition(" import ")
        names.setdefault(module, []).append(name)
    lines = []
    for module in sorted(names):
        members = sorted(set(names[module]))
        one_line = f"    from {module} import {', '.join(members)}"
        if len(one_line) <= 120:
            lines.append(one_line)
        else:
            lines.append(f"    from {module} import (\n" + "".join(f"        {m},\n" for m in members) + "    )")
    return "\n".join(lines)


def client_source() -> str:
    """The source of stageward/_client_verbs.py for the verbs in the catalogue."""
    import json

    groups: dict[str, list[VerbSpec]] = {}
    for spec in load_all().values():
        groups.setdefault(spec.name.split(".", 1)[0], []).append(spec)
    imports: set[str] = set()
    classes: list[str] = []
    for group, specs in groups.items():
        methods = []
        for spec in specs:
            signature = inspect.signature(spec.function)
            hints = _type_hints(spec.function, [*spec.parameters, "return"])
            parameters = []
            for name in spec.parameters:
                default = signature.parameters[name].default
                text = f"{name}: {_code_type(hints[name], imports)}"
                if default is not inspect.Parameter.empty:
                    text += f" = {json.dumps(default) if isinstance(default, str) else repr(default)}"
                parameters.append(text)
            result = _code_type(hints.get("return", Any), imports)
            action = spec.name.split(".", 1)[1]
            arguments = ", ".join(["self", "*", *parameters]) if parameters else "self"
            if len(f"    def {action}({arguments}) -> {result}:") > 120:
                arguments = "\n" + "".join(f"        {p},\n" for p in ["self", "*", *parameters]) + "    "
            methods.append(
                f'    @_verb("{spec.name}")\n'
                f"    def {action}({arguments}) -> {result}:\n"
                f"{_docstring(inspect.getdoc(spec.function) or spec.name, ' ' * 8)}\n"
            )
        classes.append(
            f"class {group.title()}Verbs(_Group):\n"
            f'    """The `{group}.*` verbs."""\n\n' + "\n".join(methods)
        )
    properties = "".join(
        f"\n    @property\n    def {group}(self) -> {group.title()}Verbs:\n"
        f"        return {group.title()}Verbs(self)\n"
        for group in groups
    )
    verbs = (
        "class Verbs(abc.ABC):\n"
        '    """The verb groups of `Client`: `client.access.grant(...)` is `client.call("access.grant", ...)`."""\n\n'
        "    @abc.abstractmethod\n"
        "    def call(self, verb: str, /, **arguments: Any) -> Any:\n"
        '        """Run VERB with ARGUMENTS: `Client.call`, locally or over HTTP; the result as plain JSON."""\n\n'
        "    @abc.abstractmethod\n"
        "    def result(self, verb: str, /, **arguments: Any) -> Any:\n"
        '        """Run VERB with ARGUMENTS; the result as its model (validated from JSON when it came as JSON)."""\n'
        + properties
    )
    header = _CLIENT_HEADER.format(type_imports=_import_lines(imports) or "    pass")
    return header + "\n\n" + "\n\n".join([*classes, verbs])


def _main(argv: list[str]) -> int:
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m stageward.service.catalogue")
    parser.add_argument("--write-client", action="store_true", help=f"rewrite stageward/{CLIENT_MODULE}")
    parser.add_argument("--schemas", action="store_true", help="print every verb's JSON Schemas")
    options = parser.parse_args(argv)
    if options.write_client:
        (Path(__file__).resolve().parent.parent / CLIENT_MODULE).write_text(client_source(), encoding="utf-8")
    if options.schemas:
        import json

        print(json.dumps(schemas(), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    import sys

    # Run as a script this module is __main__; the verbs declare themselves in stageward.service.catalogue.
    from stageward.service import catalogue

    raise SystemExit(catalogue._main(sys.argv[1:]))
