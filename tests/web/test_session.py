"""The session cookie: sealed (altered or foreign cookies open to nothing), bounded in age, CSRF per session."""

from __future__ import annotations

import base64
import os

from stageward.web.session import MAX_AGE, Session, SessionCodec


def test_a_sealed_session_opens_to_itself_and_hides_its_keys() -> None:
    codec = SessionCodec(os.urandom(32))
    session = Session(id="abc", issued=1_000_000, keys={"production": "sw_production_secret"})
    cookie = codec.seal(session)
    assert "sw_production" not in cookie and "secret" not in base64.urlsafe_b64decode(cookie).decode("latin-1")
    assert codec.open(cookie, now=1_000_000) == session


def test_age_is_bounded_exactly_at_max_age() -> None:
    codec = SessionCodec(os.urandom(32))
    cookie = codec.seal(Session(id="abc", issued=1_000_000))
    assert codec.open(cookie, now=1_000_000 + MAX_AGE - 1) is not None
    assert codec.open(cookie, now=1_000_000 + MAX_AGE) is None


def test_altered_foreign_and_garbage_cookies_open_to_nothing() -> None:
    codec = SessionCodec(os.urandom(32))
    cookie = codec.seal(Session(id="abc", issued=1_000_000, keys={"staging": "k"}))
    raw = bytearray(base64.urlsafe_b64decode(cookie))
    raw[-1] ^= 1
    assert codec.open(base64.urlsafe_b64encode(bytes(raw)).decode(), now=1_000_000) is None
    assert SessionCodec(os.urandom(32)).open(cookie, now=1_000_000) is None  # another server's secret
    for garbage in ["", "not base64!", "QUFB", "x" * 4097, None]:
        assert codec.open(garbage, now=1_000_000) is None


def test_csrf_token_is_per_session_and_compared_whole() -> None:
    codec = SessionCodec(os.urandom(32))
    one, two = Session.fresh(), Session.fresh()
    assert one.id != two.id
    token = codec.csrf_token(one)
    assert codec.csrf_holds(one, token)
    assert not codec.csrf_holds(two, token)
    assert not codec.csrf_holds(one, token[:-1])
    assert not codec.csrf_holds(one, None)
    assert not codec.csrf_holds(one, "")


def test_every_process_on_one_store_derives_the_same_sealing_key(client_for, context_for, tmp_path) -> None:
    from stageward.service.session_secret import session_secret
    from stageward.testing import make_context

    client_for("alice").call("access.grant", principal="bob", role="viewer", env="staging")  # the keyring exists
    one, two = session_secret(context_for("alice")), session_secret(context_for("bob"))
    assert one == two and len(one) == 32
    cookie = SessionCodec(one).seal(Session(id="abc", issued=1_000_000))
    assert SessionCodec(two).open(cookie, now=1_000_000) is not None
    # Another store (another master key) opens none of this one's cookies.
    other_root = tmp_path / "other"
    from stageward.testing import write_project

    write_project(other_root)
    other = make_context(other_root, environ={"STAGEWARD_MASTER_KEY_FILE": str(tmp_path / "other.key")})
    from stageward.client import Client, LocalTransport

    with Client(LocalTransport(context=other)) as admin:
        admin.call("access.grant", principal="bob", role="viewer", env="staging")
    assert session_secret(other) != one
