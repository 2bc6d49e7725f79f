"""Reading an HTML form post: bounded, URL-encoded, each field given at most once.

Parsed with the standard library rather than Starlette's form parser, which needs python-multipart for
every form; the UI posts only small URL-encoded forms (a key, a comment, a token).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request

from stageward.errors import BadInput, TooLarge

MAX_FORM_BYTES = 16 * 1024  # a comment of a few thousand characters, with room to spare


async def read_form(request: Request) -> dict[str, str]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise BadInput("expected a form (application/x-www-form-urlencoded)")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise TooLarge(f"the form is larger than {MAX_FORM_BYTES} bytes")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise BadInput("the form is not valid UTF-8 URL-encoded text") from None
    repeated = sorted(name for name, values in fields.items() if len(values) > 1)
    if repeated:
        raise BadInput(f"form field {repeated[0]} is given more than once")
    return {name: values[0] for name, values in fields.items()}
