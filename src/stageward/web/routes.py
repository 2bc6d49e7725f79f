"""The web UI's routes at `/` of `stageward server`: pages, fragments for live parts, forms, the live stream.

Thin like every face: a handler reads the session, runs verbs as the key held for the environment concerned
(web/held.py), and renders a template. Nothing here decides who may do what; the verbs do.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from stageward.errors import BadInput, Denied, NotFound, StagewardError
from stageward.web import events, lineage, matrix
from stageward.web.forms import read_form
from stageward.web.held import Held, hold
from stageward.web.security import secured
from stageward.web.session import COOKIE, MAX_AGE, MAX_KEYS, Session, SessionCodec

if TYPE_CHECKING:
    from fastapi import FastAPI
    from jinja2 import Environment

    from stageward.web.held import ServerState

HERE = Path(__file__).parent
STATIC = {"app.js": "text/javascript", "style.css": "text/css"}
KINDS = ("model", "dataset")
OPEN_STATES = ("pending", "approved")
REVALIDATE_SECONDS = 2.0

Handler = Callable[[Request], Awaitable[Response]]


def _templates() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),  # every value escaped, .svg too
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class WebUI:
    def __init__(self, state: ServerState) -> None:
        from stageward.web.chain_check import ChainCheck

        self.state = state
        self.chain_check = ChainCheck()
        self.templates = _templates()
        self.static = {name: (HERE / "static" / name).read_bytes() for name in STATIC}

    @functools.cached_property
    def codec(self) -> SessionCodec:
        # On first use, not at start: a server whose master key is missing still starts and says why on REST.
        from stageward.service.session_secret import session_secret

        return SessionCodec(session_secret(self.state.base))

    # -- plumbing ------------------------------------------------------------------------------------------

    def _session(self, request: Request) -> Session | None:
        return self.codec.open(request.cookies.get(COOKIE))

    def _set_cookie(self, response: Response, session: Session, request: Request) -> None:
        response.set_cookie(
            COOKIE,
            self.codec.seal(session),
            max_age=max(1, MAX_AGE - int(time.time() - session.issued)),
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    def render(
        self,
        request: Request,
        template: str,
        held: Held | None,
        status: int = 200,
        session: Session | None = None,
        **values: Any,
    ) -> Response:
        session = session or (held.session if held is not None else None)
        html = self.templates.get_template(template).render(
            held=held,
            csrf=self.codec.csrf_token(session) if session is not None else "",
            path=request.url.path,
            **values,
        )
        response = secured(Response(html, status_code=status, media_type="text/html; charset=utf-8"))
        if held is not None and held.changed:
            self._set_cookie(response, held.session, request)
        return response

    def _error(self, request: Request, held: Held | None, error: StagewardError) -> Response:
        return self.render(request, "error.html", held, status=error.http_status, error=error)

    def _hold(self, request: Request) -> Held | None:
        session = self._session(request)
        if session is None or not session.keys:
            return None
        held = hold(self.state, session)
        return held if held.callers else None

    def page(self, body: Callable[[Request, Held], Response]) -> Handler:
        """A page for a signed-in session: no session (or none of its keys still valid) goes to /login."""

        async def handler(request: Request) -> Response:
            try:
                held = await run_in_threadpool(self._hold, request)
            except StagewardError as error:  # the store or its master key is not usable: say so, as REST does
                return self._error(request, None, error)
            if held is None:
                response = secured(RedirectResponse("/login", status_code=303))
                response.delete_cookie(COOKIE, path="/")
                return response
            try:
                return await run_in_threadpool(body, request, held)
            except StagewardError as error:
                return self._error(request, held, error)

        return handler

    def form(self, body: Callable[[Request, Held, dict[str, str]], Response]) -> Handler:
        """A POST of a signed-in session: its CSRF token must match, or nothing is done (403)."""

        async def handler(request: Request) -> Response:
            try:
                session = self._session(request)
                fields = await read_form(request)
                if session is None or not self.codec.csrf_holds(session, fields.get("csrf")):
                    raise Denied("the form's CSRF token is missing or wrong; reload the page")
                held = await run_in_threadpool(hold, self.state, session)
            except StagewardError as error:
                return self._error(request, None, error)
            try:
                return await run_in_threadpool(body, request, held, fields)
            except StagewardError as error:
                return self._error(request, held, error)

        return handler

    def _back(self, request: Request, held: Held, to: str) -> Response:
        response = secured(RedirectResponse(to, status_code=303))
        self._set_cookie(response, held.session, request)
        return response

    # -- sign in and out -----------------------------------------------------------------------------------

    async def login_page(self, request: Request) -> Response:
        try:
            session = self._session(request)
            held = await run_in_threadpool(hold, self.state, session) if session is not None else None
        except StagewardError as error:
            return self._error(request, None, error)
        fresh = session is None
        session = session or Session.fresh()
        response = self.render(request, "login.html", held, session=session)
        if fresh or (held is not None and held.changed):
            self._set_cookie(response, session, request)
        return response

    def login(self, request: Request, held: Held, fields: dict[str, str]) -> Response:
        key = fields.get("key", "").strip()
        if not key:
            raise BadInput("paste an API key (sw_<environment>_...) to sign in")
        caller = self.state.authenticate(key)
        # The key must give its principal a role there (no binding, no environment): asked as the key itself,
        # before the session holds it.
        Held(self.state, held.session, {caller.environment: caller}).run(
            caller.environment, "overview.standing", env=caller.environment
        )
        if caller.environment not in held.session.keys and len(held.session.keys) >= MAX_KEYS:
            raise BadInput(f"a session holds at most {MAX_KEYS} keys; drop one first")
        held.session.keys[caller.environment] = key
        return self._back(request, held, "/")

    def drop(self, request: Request, held: Held, fields: dict[str, str]) -> Response:
        env = fields.get("env", "")
        if env not in held.session.keys:
            raise NotFound(f"this session holds no key for {env!r}")
        del held.session.keys[env]
        return self._back(request, held, "/" if held.session.keys else "/login")

    def logout(self, request: Request, held: Held, fields: dict[str, str]) -> Response:
        response = secured(RedirectResponse("/login", status_code=303))
        response.delete_cookie(COOKIE, path="/")
        return response

    # -- the matrix ----------------------------------------------------------------------------------------

    def _matrix_values(self, request: Request, held: Held) -> dict[str, Any]:
        kind = request.query_params.get("kind") or None
        if kind is not None and kind not in KINDS:
            raise BadInput(f"kind {kind!r}: expected model or dataset")
        name = (request.query_params.get("name") or "").strip()[:128] or None
        overviews: dict[str, dict[str, Any]] = {}
        errors: dict[str, str] = {}
        for env in held.environments:
            overview, error = held.try_run(env, "overview.matrix", env=env)
            if error is not None:
                errors[env] = error.message
            else:
                overviews[env] = overview
        shown = [env for env in held.environments if env in overviews]
        return {
            "cursor": events.format_cursors({env: int(overviews[env]["cursor"]) for env in shown}),
            "environments": shown,
            "rows": matrix.build(shown, overviews, kind=kind, name=name),
            "errors": errors,
            "kind": kind,
            "name": name,
            "kinds": KINDS,
        }

    def matrix_page(self, request: Request, held: Held) -> Response:
        return self.render(request, "matrix.html", held, **self._matrix_values(request, held))

    def matrix_fragment(self, request: Request, held: Held) -> Response:
        return self.render(request, "_matrix.html", held, **self._matrix_values(request, held))

    def _cursor(self, held: Held) -> str:
        return events.format_cursors(events.current_cursors(held))

    # -- an asset ------------------------------------------------------------------------------------------

    def asset_page(self, request: Request, held: Held) -> Response:
        env = request.path_params["env"]
        name = request.path_params["name"]
        as_of = request.query_params.get("as_of") or None
        chosen = request.query_params.get("version")
        if chosen is not None and not (chosen.isascii() and chosen.isdigit() and len(chosen) < 10):
            raise BadInput(f"version {chosen!r}: expected a whole number")
        detail = held.run(env, "overview.asset", env=env, name=name, as_of=as_of)
        # The lineage drawn: the version asked for, else the newest an alias holds, else the newest.
        held_versions = [holder["version"] for holder in detail["aliases"]]
        newest = [row["version"] for row in detail["versions"][:1]]
        version = int(chosen) if chosen is not None else max(held_versions or newest or [0]) or None
        graph = lineage.walk(held, env, name, version) if version is not None else None
        metrics = sorted({metric for row in detail["versions"] for metric in row["metrics"]})
        now = {held_now["alias"]: held_now["version"] for held_now in detail["aliases"]}
        then = {held_then["alias"]: held_then["version"] for held_then in detail["aliases_as_of"] or []}
        alias_rows = [(alias, now.get(alias), then.get(alias)) for alias in sorted({*now, *then})]
        return self.render(
            request, "asset.html", held, detail=detail, graph=graph, version=version, metric_names=metrics,
            alias_rows=alias_rows, node_width=lineage.NODE_WIDTH, node_height=lineage.NODE_HEIGHT,
        )

    # -- the promotion queue -------------------------------------------------------------------------------

    def _queue_values(self, held: Held) -> dict[str, Any]:
        promotions: list[dict[str, Any]] = []
        errors: dict[str, str] = {}
        may_approve: dict[str, bool] = {}
        for env in held.environments:
            listed, error = held.try_run(env, "promotion.list", env=env)
            if error is not None:
                errors[env] = error.message
                continue
            standing = held.run(env, "overview.standing", env=env)
            may_approve[env] = "promotions.approve" in standing["permissions"]
            promotions.extend(p for p in listed if p["state"] in OPEN_STATES)
        promotions.sort(key=lambda p: p["id"])
        return {
            "promotions": promotions,
            "errors": errors,
            "may_approve": may_approve,
            "principals": {env: caller.principal for env, caller in held.callers.items()},
        }

    def queue_page(self, request: Request, held: Held) -> Response:
        return self.render(request, "queue.html", held, cursor=self._cursor(held), **self._queue_values(held))

    def queue_fragment(self, request: Request, held: Held) -> Response:
        return self.render(request, "_queue.html", held, **self._queue_values(held))

    def decide(self, request: Request, held: Held, fields: dict[str, str]) -> Response:
        raw = request.path_params["id"]
        decision = request.path_params["decision"]
        if decision not in ("approve", "reject"):
            raise NotFound(f"no such decision {decision!r}: approve or reject")
        if not (raw.isascii() and raw.isdigit() and len(raw) < 19):
            raise BadInput(f"promotion id {raw!r}: expected a whole number")
        env = fields.get("env", "")
        comment = fields.get("comment", "").strip() or None
        # The promotion's target decides which key acts; the verb checks the permission and the target again.
        promotion = held.run(env, "promotion.show", id=int(raw))
        if promotion["target_env"] != env:
            raise BadInput(f"promotion {raw} goes to {promotion['target_env']}, not {env}")
        held.run(env, f"promotion.{decision}", id=int(raw), comment=comment)
        return self._back(request, held, "/promotions")

    # -- the audit log -------------------------------------------------------------------------------------

    def audit_page(self, request: Request, held: Held) -> Response:
        query = request.query_params
        wanted = query.get("env") or None
        filters = {
            "principal": (query.get("principal") or "").strip() or None,
            "action": (query.get("action") or "").strip() or None,
            "since": (query.get("since") or "").strip() or None,
        }
        entries: list[dict[str, Any]] = []
        errors: dict[str, str] = {}
        readers: list[str] = []
        for env in held.environments:
            if wanted is not None and env != wanted:
                continue
            listed, error = held.try_run(env, "audit.list", env=env, limit=200, **filters)
            if error is not None:
                if isinstance(error, BadInput):
                    raise error
                errors[env] = error.message
                continue
            readers.append(env)
            entries.extend(listed)
        entries.sort(key=lambda entry: entry["sequence"], reverse=True)
        verified: dict[str, Any] | None = None
        broken: str | None = None
        age: float | None = None
        if readers:  # the chain is one for the whole store: one check serves every reader of it

            def verify() -> tuple[Any, str | None]:
                result, error = held.try_run(readers[0], "audit.verify")
                return result, error.message if error is not None else None

            checked, age = self.chain_check.current(verify)
            verified, broken = checked.result, checked.broken
        return self.render(
            request, "audit.html", held, entries=entries[:200], errors=errors, filters=filters, wanted=wanted,
            verified=verified, broken=broken, checked_ago=None if age is None else int(age),
        )

    # -- live stream and static files ----------------------------------------------------------------------

    async def live(self, request: Request) -> Response:
        try:
            held = await run_in_threadpool(self._hold, request)
        except StagewardError:
            held = None
        if held is None:
            return secured(Response("no session", status_code=401, media_type="text/plain"))
        given = request.headers.get("last-event-id") or request.query_params.get("cursor")
        cursors = events.parse_cursors(given, held.environments)
        if set(cursors) != set(held.environments):
            cursors = {**await run_in_threadpool(events.current_cursors, held), **cursors}
        checked = [time.monotonic()]
        keys = dict(held.session.keys)

        def still_valid() -> bool:
            if time.monotonic() - checked[0] < REVALIDATE_SECONDS:
                return True
            checked[0] = time.monotonic()
            again = hold(self.state, Session(held.session.id, held.session.issued, dict(keys)))
            return set(again.callers) == set(held.callers)

        response = StreamingResponse(
            events.stream(held, cursors, still_valid, request.is_disconnected), media_type="text/event-stream"
        )
        response.headers["X-Accel-Buffering"] = "no"
        return secured(response)

    async def static_file(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return secured(Response("not found", status_code=404, media_type="text/plain"))
        return secured(Response(self.static[name], media_type=STATIC[name]), cache=True)


def mount(app: FastAPI, state: ServerState) -> None:
    """The UI's routes on APP, beside /api/v1 (which they never shadow)."""
    ui = WebUI(state)
    pages: list[tuple[str, Callable[[Request, Held], Response]]] = [
        ("/", ui.matrix_page),
        ("/ui/fragments/matrix", ui.matrix_fragment),
        ("/assets/{env}/{name}", ui.asset_page),
        ("/promotions", ui.queue_page),
        ("/ui/fragments/queue", ui.queue_fragment),
        ("/audit", ui.audit_page),
    ]
    from stageward.web import run_pages

    for path, run_body in [
        ("/runs", run_pages.runs_page),
        ("/runs/{env}/{run_id}", run_pages.run_page),
        ("/ui/fragments/log/{env}/{run_id}", run_pages.log_fragment),
        ("/cost", run_pages.cost_page),
    ]:
        pages.append((path, functools.partial(run_body, ui)))
    for path, body in pages:
        app.add_api_route(path, ui.page(body), methods=["GET"], include_in_schema=False)
    forms: list[tuple[str, Callable[[Request, Held, dict[str, str]], Response]]] = [
        ("/login", ui.login),
        ("/logout", ui.logout),
        ("/session/drop", ui.drop),
        ("/promotions/{id}/{decision}", ui.decide),
    ]
    for path, form in forms:
        app.add_api_route(path, ui.form(form), methods=["POST"], include_in_schema=False)
    app.add_api_route("/login", ui.login_page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/ui/events", ui.live, methods=["GET"], include_in_schema=False)
    app.add_api_route("/static/{name}", ui.static_file, methods=["GET"], include_in_schema=False)

