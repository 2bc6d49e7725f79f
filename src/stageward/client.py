"""Client: every verb, called in-process (local mode) or, with a server, over HTTP.

`Client().call("access.grant", principal="bob", role="developer", env="development")`
and `Client().access.grant(...)` are the same call. Each verb is a real, typed method
(`stageward/_client_verbs.py`, generated from the verb catalogue), so a misspelt verb is an
AttributeError at once and mypy and editors know every argument. A typed method returns the verb's
result model (`client.model.show(...).digest`), whichever way the call travelled: the local transport
returns the model, a remote one its JSON, validated into the model here. `Client.call`, the untyped door,
returns the result as plain JSON values in both modes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from stageward._client_verbs import Verbs
from stageward.errors import BadInput


class Transport(Protocol):
    def call(self, verb: str, arguments: dict[str, Any]) -> Any: ...

    def close(self) -> None: ...


class LocalTransport:
    """Runs verbs in this process against the project's store; the principal is this machine's user."""

    def __init__(
        self,
        start: Path | None = None,
        *,
        principal: str | None = None,
        environ: Mapping[str, str] | None = None,
        context: Any = None,
    ) -> None:
        self._start = start
        self._principal = principal
        self._environ = environ
        self._context: Any = context  # a ready Context (tests, embedding), else opened on first call

    @property
    def context(self) -> Any:
        if self._context is None:
            from stageward.service.context import open_context

            self._context = open_context(self._start, principal=self._principal, environ=self._environ)
        return self._context

    def call(self, verb: str, arguments: dict[str, Any]) -> Any:
        from stageward.service.catalogue import run_verb

        return run_verb(self.context, verb, arguments)

    def close(self) -> None:
        if self._context is not None:
            self._context.close()
            self._context = None


class Client(Verbs):
    """Every verb: `client.model.register(env=..., name=..., files=...)` or `client.call("model.register", ...)`."""

    def __init__(self, transport: Transport | None = None) -> None:
        self.transport = transport or transport_from_environment()

    def call(self, verb: str, /, **arguments: Any) -> Any:
        from stageward.service.results.base import to_json

        return to_json(self._transported(verb, arguments))

    def result(self, verb: str, /, **arguments: Any) -> Any:
        from stageward.service.catalogue import lookup

        return lookup(verb).result_from_json(self._transported(verb, arguments))

    def _transported(self, verb: str, arguments: dict[str, Any]) -> Any:
        return self.transport.call(verb, {k: v for k, v in arguments.items() if v is not None})

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class HttpTransport:
    """Runs verbs on a Stageward server (STAGEWARD_URL) as the principal of an API key, over one keep-alive
    connection. Each verb goes to the route the catalogue declares for it; the verbs that read or write local
    paths (upload, publish, download) run here and move their bytes over the blob routes (remote_files.py); a
    run's command executes here too, the server deciding and recording it (remote_run.py)."""

    def __init__(self, url: str, api_key: str, *, timeout: float = 60.0) -> None:
        import httpx

        from stageward import __version__

        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": f"stageward/{__version__}"},
            timeout=httpx.Timeout(timeout, connect=10.0),
        )

    def call(self, verb: str, arguments: dict[str, Any]) -> Any:
        from stageward.service.catalogue import lookup

        spec = lookup(verb)
        progress = arguments.get("progress")
        kind, _, action = verb.partition(".")
        if spec.http is None and kind in ("model", "dataset"):
            from stageward import remote_files

            if action == "upload":
                return remote_files.upload(self, kind, env=arguments["env"], path=arguments["path"], progress=progress)
            if action == "publish":
                return remote_files.publish(self, kind, _without(arguments, "progress"), progress)
            if action == "download":
                return remote_files.download(self, kind, _without(arguments, "progress"), progress)
        if verb == "runs.launch":
            # The command executes here; the server decides and records (runs.begin, runs.beat, runs.finish).
            from stageward import remote_run

            return remote_run.launch(self, arguments)
        if spec.http is None:
            raise BadInput(f"{verb} runs in local mode only; unset STAGEWARD_URL to run it on a local store")
        # A progress reporter stays here: the server reports nothing back while it works.
        given = {k: v for k, v in arguments.items() if k not in spec.passed_through}
        method, template = spec.http
        path = _fill_path(verb, template, given)
        if method in ("GET", "DELETE"):
            response = self._send(method, path, params=_query(given))
        else:
            response = self._send(method, path, json=given)
        return _result(response, verb)

    def put_blob(self, env: str, sha256: str, chunks: Iterator[bytes], *, size: int) -> Any:
        response = self._send(
            "PUT",
            f"/api/v1/envs/{_segment(env)}/blobs/{sha256}",
            content=chunks,
            headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
        )
        return _result(response)

    def get_blob(self, env: str, sha256: str) -> Iterator[bytes]:
        import httpx

        try:
            with self._http.stream("GET", f"/api/v1/envs/{_segment(env)}/blobs/{sha256}") as response:
                if response.status_code >= 400:
                    response.read()
                    _result(response)
                yield from response.iter_bytes(4 * 1024 * 1024)
        except httpx.TransportError as exc:
            raise _unreachable(self.url, exc) from None

    def _send(self, method: str, path: str, **options: Any) -> Any:
        import httpx

        try:
            return self._http.request(method, path, **options)
        except httpx.TransportError as exc:
            raise _unreachable(self.url, exc) from None

    def close(self) -> None:
        self._http.close()


def _without(arguments: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in arguments.items() if k != name}


def _segment(value: Any) -> str:
    from urllib.parse import quote

    return quote(str(value), safe="")


def _fill_path(verb: str, template: str, arguments: dict[str, Any]) -> str:
    """TEMPLATE with its {parameters} taken out of ARGUMENTS; `env` may come from an ENV/ reference."""
    import re

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = arguments.pop(name, None)
        if value is None and name == "env" and isinstance(arguments.get("ref"), str):
            from stageward.registry.names import parse_reference

            ref = arguments["ref"]
            value = parse_reference(ref).env
            if value is None:
                raise BadInput(f"{ref}: name the environment with --env or write ENV/{ref}")
        if value is None:
            raise BadInput(f"{verb}: missing argument(s) {name}")
        return _segment(value)

    return "/api/v1" + re.sub(r"\{(\w+)\}", fill, template)


def _query(arguments: dict[str, Any]) -> list[tuple[str, str]]:
    """ARGUMENTS as a query string: a list repeats its name, a boolean is true/false."""
    pairs: list[tuple[str, str]] = []
    for name, value in arguments.items():
        for item in value if isinstance(value, list) else [value]:
            text = ("true" if item else "false") if isinstance(item, bool) else str(item)
            pairs.append((name, text))
    return pairs


def _result(response: Any, verb: str | None = None) -> Any:
    """The verb's result, or the server's error raised as the same StagewardError a local call raises."""
    if response.status_code < 400:
        return response.json()
    if response.status_code == 405:
        # A client and a server of one version agree on every route's method: a 405 is a server older than this
        # client (a route it lacks whose path looks like one it has), which upgrading the server mends.
        from stageward import __version__

        request = response.request
        raise BadInput(
            f"the server has no {request.method} {request.url.path}: it runs an older Stageward than this client "
            f"({__version__})",
            hint="upgrade the server before its clients (docs/server.md)",
        )
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        raise _error_of_status(response.status_code)(f"the server answered {response.status_code}") from None
    return _raise(code, message, error, response.status_code, verb)


def _raise(code: str, message: str, error: dict[str, Any], status: int, verb: str | None) -> Any:
    from stageward import errors

    hint = error.get("hint")
    hint = hint if isinstance(hint, str) else None
    if code == errors.Denied.code:
        raise errors.Denied(
            message, permission=error.get("permission"), environment=error.get("environment"), hint=hint
        )
    if code == errors.PartlyFailed.code:
        result = error.get("result")
        if verb is not None:  # the report as the verb's result model, as a local call carries it
            from stageward.service.catalogue import lookup

            result = lookup(verb).result_from_json(result)
        raise errors.PartlyFailed(message, result=result, hint=hint)
    for kind in _error_classes():
        if kind.code == code and kind.http_status == status:
            raise kind(message, hint=hint)
    raise _error_of_status(status)(message, hint=hint)


def _error_classes() -> list[type[Any]]:
    from stageward.errors import StagewardError

    found: list[type[Any]] = []
    pending: list[type[Any]] = [StagewardError]
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return found


def _error_of_status(status: int) -> type[Any]:
    from stageward import errors

    by_status: dict[int, type[Any]] = {
        400: errors.BadInput,
        401: errors.Unauthenticated,
        403: errors.Denied,
        404: errors.NotFound,
        408: errors.TimedOut,
        409: errors.Conflict,
        413: errors.TooLarge,
        422: errors.CheckFailed,
    }
    return by_status.get(status, errors.StagewardError)


def _unreachable(url: str, exc: Exception) -> BadInput:
    return BadInput(
        f"cannot reach the Stageward server at {url} ({type(exc).__name__})",
        hint="check STAGEWARD_URL, and that `stageward server` runs there",
    )


def transport_from_environment(
    start: Path | None = None, *, principal: str | None = None, environ: Mapping[str, str] | None = None
) -> Transport:
    """The server's when STAGEWARD_URL is set (with STAGEWARD_API_KEY, which says who acts), else this machine's
    store. Remote, STAGEWARD_USER means nothing: the key's principal acts, in the key's environment only."""
    env = os.environ if environ is None else environ
    url = env.get("STAGEWARD_URL", "").strip()
    if url:
        if not url.startswith(("http://", "https://")):
            raise BadInput(f"STAGEWARD_URL {url!r}: expected http://HOST:PORT or https://HOST")
        key = env.get("STAGEWARD_API_KEY", "").strip()
        if not key:
            from stageward.errors import Unauthenticated

            raise Unauthenticated(
                "STAGEWARD_URL is set but STAGEWARD_API_KEY is not: the server acts only for a key",
                hint="set STAGEWARD_API_KEY to a key from stageward keys create (or unset STAGEWARD_URL)",
            )
        if principal is not None:
            raise BadInput("a remote client acts as its API key's principal; a principal cannot be chosen")
        return HttpTransport(url, key)
    return LocalTransport(start, principal=principal, environ=environ)
