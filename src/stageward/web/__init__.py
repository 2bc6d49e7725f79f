"""The web UI at `/` of `stageward server` (SPEC §9): server-rendered pages over the same verbs as REST."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from stageward.web.held import ServerState


def mount(app: FastAPI, state: ServerState) -> None:
    """Add the UI's routes to APP (imported lazily: Jinja2 loads only when a server starts)."""
    from stageward.web.routes import mount as mount_routes

    mount_routes(app, state)
