"""The runs pages (list with status, one run with its log, live while it runs) and cost charts.

A run's log comes from `runs.logs`, masked when it was captured; the page appends new chunks while the run
goes (the browser asks /ui/fragments/log every second) as text, never as markup.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from stageward.errors import BadInput
from stageward.web.charts import bar_chart
from stageward.web.security import secured

if TYPE_CHECKING:
    from stageward.web.held import Held


class Pages(Protocol):
    """What these pages need of the web UI (routes.WebUI): a template rendered for a signed-in session."""

    def render(
        self, request: Request, template: str, held: Held | None, status: int = 200, **values: Any
    ) -> Response: ...


RUNS_SHOWN = 50
LOG_CHUNKS_PER_PAGE = 64  # the most runs.logs returns at once
MAX_LOG_PAGES = 16  # a page shows the first ~16 x 64 chunks; the rest follows as it is asked for


def _after(request: Request) -> int:
    raw = request.query_params.get("after", "-1")
    if not (raw == "-1" or (raw.isascii() and raw.isdigit() and len(raw) < 19)):
        raise BadInput(f"after {raw!r}: expected a chunk number or -1")
    return int(raw)


def _read_log(held: Held, env: str, run_id: str, after: int, pages: int) -> dict[str, Any]:
    text: list[str] = []
    page: dict[str, Any] = {"next_after": after, "more": False, "status": ""}
    for _ in range(pages):
        page = held.run(env, "runs.logs", run_id=run_id, after=after, chunks=LOG_CHUNKS_PER_PAGE)
        text.append(base64.b64decode(page["data"]).decode("utf-8", errors="replace"))
        after = int(page["next_after"])
        if not page["more"]:
            break
    return {"text": "".join(text), "next_after": after, "more": bool(page["more"]), "status": page["status"]}


def runs_page(ui: Pages, request: Request, held: Held) -> Response:
    status = request.query_params.get("status") or None
    runs: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for env in held.environments:
        listed, error = held.try_run(env, "runs.list", env=env, status=status, limit=RUNS_SHOWN)
        if error is not None:
            if isinstance(error, BadInput):
                raise error
            errors[env] = error.message
            continue
        runs.extend(listed)
    runs.sort(key=lambda run: run["started_at"], reverse=True)
    return ui.render(request, "runs.html", held, runs=runs[:RUNS_SHOWN], errors=errors, wanted=status)


def run_page(ui: Pages, request: Request, held: Held) -> Response:
    env, run_id = request.path_params["env"], request.path_params["run_id"]
    detail = held.run(env, "runs.show", run_id=run_id)
    log = _read_log(held, env, run_id, -1, MAX_LOG_PAGES)
    return ui.render(request, "run.html", held, env=env, detail=detail, log=log)


def log_fragment(ui: Pages, request: Request, held: Held) -> Response:
    """The log after chunk AFTER, as JSON text the page appends (a text node: output is never markup)."""
    env, run_id = request.path_params["env"], request.path_params["run_id"]
    log = _read_log(held, env, run_id, _after(request), 1)
    return secured(JSONResponse(log))


def cost_page(ui: Pages, request: Request, held: Held) -> Response:
    since = (request.query_params.get("since") or "").strip() or None
    until = (request.query_params.get("until") or "").strip() or None
    totals: dict[str, dict[str, float]] = {"env": {}, "team": {}}
    errors: dict[str, str] = {}
    for env in held.environments:
        for by, groups in totals.items():
            report, error = held.try_run(env, "cost.report", by=by, since=since, until=until)
            if error is not None:
                if isinstance(error, BadInput):
                    raise error
                errors[env] = error.message
                break
            for row in report["rows"]:  # each key reports its own environment's runs: sum across keys
                groups[row["group"]] = groups.get(row["group"], 0.0) + float(row["cost"])
    charts = {by: bar_chart(sorted(groups.items())) for by, groups in totals.items()}
    return ui.render(request, "cost.html", held, charts=charts, errors=errors, since=since, until=until)
