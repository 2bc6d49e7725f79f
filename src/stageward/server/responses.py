"""JSON out: results, and errors as {"error": {"code", "message"}} with the error's own HTTP status."""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

from starlette.responses import Response

from stageward.errors import Denied, PartlyFailed, StagewardError, Unauthenticated

log = logging.getLogger("stageward.server")


def json_response(value: Any, status: int = 200) -> Response:
    # NaN and Infinity are not JSON: a result holding one is a bug, never sent as something clients misread.
    body = json.dumps(value, allow_nan=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json")


def error_body(error: StagewardError) -> dict[str, Any]:
    """The error as a client sees it: code and message, the hint apart, and what a face needs to say it whole."""
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.hint:
        body["hint"] = error.hint
    if isinstance(error, Denied):
        body["permission"] = error.permission
        body["environment"] = error.environment
    if isinstance(error, PartlyFailed):
        from stageward.service.results.base import to_json

        body["result"] = to_json(error.result)  # what was done is kept and reported, as `secrets rotate` prints it
    return body


def error_response(error: StagewardError) -> Response:
    response = json_response({"error": error_body(error)}, error.http_status)
    if isinstance(error, Unauthenticated):
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def plain_error(status: int, code: str, message: str) -> Response:
    return json_response({"error": {"code": code, "message": message}}, status)


def internal_error(where: str, error: BaseException) -> Response:
    """An unexpected error: logged by its type and frames only (its message might hold a secret), answered 500."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    log.error("internal error in %s (%s)\n%s", where, type(error).__name__, frames)
    return plain_error(500, "internal", f"internal error ({type(error).__name__})")
