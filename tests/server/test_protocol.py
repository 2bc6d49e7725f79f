"""Each small response leaves in one write: its header block waits for the first body bytes (server/protocol.py)."""

from __future__ import annotations

import socket

import h11

from stageward.server.protocol import CoalescingTransport, OneSegmentH11Protocol


class RecordingTransport:
    """An asyncio transport's write and close, recorded (the real one is a kernel socket)."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def _response(status: int, body: bytes) -> list[bytes]:
    """What uvicorn's h11 cycle writes for one response: the head, the body, the end of the message."""
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    conn.next_event()
    head = conn.send(h11.Response(status_code=status, headers=[("content-length", str(len(body)))]))
    assert head is not None
    return [head, conn.send(h11.Data(data=body)) or b"", conn.send(h11.EndOfMessage()) or b""]


def test_a_response_head_goes_out_with_its_body() -> None:
    recorded = RecordingTransport()
    transport = CoalescingTransport(recorded)  # type: ignore[arg-type]
    for part in _response(200, b'{"version":1}'):
        transport.write(part)
    assert len(recorded.writes) == 1
    assert recorded.writes[0].startswith(b"HTTP/1.1 200 ") and recorded.writes[0].endswith(b'{"version":1}')
    assert transport.is_closing() is False  # everything else is the real transport's


def test_an_informational_response_is_never_held() -> None:
    recorded = RecordingTransport()
    transport = CoalescingTransport(recorded)  # type: ignore[arg-type]
    transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert recorded.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]


def test_a_held_head_is_flushed_on_close() -> None:
    recorded = RecordingTransport()
    transport = CoalescingTransport(recorded)  # type: ignore[arg-type]
    head = _response(204, b"")[0]
    transport.write(head)
    assert recorded.writes == []
    transport.close()
    assert recorded.writes == [head] and recorded.closed


def test_connections_get_tcp_nodelay() -> None:
    from uvicorn.config import Config
    from uvicorn.server import ServerState

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
        with client, accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0

            class SocketTransport(RecordingTransport):
                def get_extra_info(self, name: str, default: object = None) -> object:
                    return {"socket": accepted, "peername": ("127.0.0.1", 1), "sockname": ("127.0.0.1", 2)}.get(
                        name, default
                    )

                def pause_reading(self) -> None:
                    return None

                def resume_reading(self) -> None:
                    return None

            async def never_called(scope: object, receive: object, send: object) -> None:
                raise AssertionError("only the connection is made")

            config = Config(app=never_called)
            protocol = OneSegmentH11Protocol(config=config, server_state=ServerState(), app_state={})
            protocol.connection_made(SocketTransport())  # type: ignore[arg-type]
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
