"""Uvicorn's h11 protocol, made to send each small response in one TCP segment.

Why: uvicorn writes a response's status line and headers, then its body, as two writes. A worker of
`--workers N` serves a socket inherited from its parent, on which asyncio cannot tell the protocol is TCP and
leaves Nagle's algorithm on; the body then waits for the client's ACK of the headers, and the client delays
that ACK by up to 40 ms (MLflow's server answers get-by-alias in ~50 ms for this reason). Here every
connection gets TCP_NODELAY, and a header block is held back until the first body bytes go with it.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

PROTOCOL = "stageward.server.protocol:OneSegmentH11Protocol"


class CoalescingTransport:
    """A transport that sends a response's header block together with what is written after it."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held = b""

    def write(self, data: bytes | bytearray | memoryview) -> None:
        chunk = bytes(data)
        if not self._held and _is_response_head(chunk):
            self._held = chunk
            return
        if self._held:
            chunk, self._held = self._held + chunk, b""
        if chunk:
            self._transport.write(chunk)

    def close(self) -> None:
        if self._held:
            self._transport.write(self._held)
            self._held = b""
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _is_response_head(data: bytes) -> bool:
    # A final response's head (never a 1xx: `100 Continue` must leave at once, the client waits for it).
    return data.startswith(b"HTTP/1.1 ") and not data.startswith(b"HTTP/1.1 1") and data.endswith(b"\r\n\r\n")


class OneSegmentH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(CoalescingTransport(transport))  # type: ignore[arg-type]
