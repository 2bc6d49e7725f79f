"""The headers every UI response carries: no inline script or style may run, no page may be framed."""

from __future__ import annotations

from starlette.responses import Response

# No 'unsafe-inline' anywhere: scripts and styles come from /static only, so an injected tag or handler is inert.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def secured(response: Response, *, cache: bool = False) -> Response:
    response.headers.update(HEADERS)
    if not cache:
        response.headers["Cache-Control"] = "no-store"  # pages hold what a key may see: no shared cache keeps them
    return response
