"""The browser session: the API keys it holds (one per environment), sealed into one cookie.

The cookie is AES-GCM sealed (so it is signed and its keys unreadable to anyone who copies it off the disk),
HttpOnly, SameSite=Strict and limited to MAX_AGE. It proves nothing by itself: every request re-validates
each key against the store (ServerState.authenticate), so a revoked or expired key drops out at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

COOKIE = "stageward_session"
MAX_AGE = 12 * 3600  # seconds: a working day; then the user pastes their keys again
MAX_KEYS = 16  # environments one session may hold; bounds the cookie (browsers refuse ones over 4 KB)
_NONCE = 12
_AAD = b"stageward web session v1"


@dataclass
class Session:
    """ID names the session (its CSRF token is derived from it); KEYS maps an environment to its API key."""

    id: str
    issued: int
    keys: dict[str, str] = field(default_factory=dict)

    @classmethod
    def fresh(cls) -> Session:
        return cls(id=base64.urlsafe_b64encode(os.urandom(18)).decode(), issued=int(time.time()))


class SessionCodec:
    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(secret)
        self._csrf_key = hashlib.sha256(b"csrf" + secret).digest()

    def seal(self, session: Session) -> str:
        payload = json.dumps({"id": session.id, "issued": session.issued, "keys": session.keys}).encode()
        nonce = os.urandom(_NONCE)
        return base64.urlsafe_b64encode(nonce + self._aead.encrypt(nonce, payload, _AAD)).decode()

    def open(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session in COOKIE; None when it is absent, altered, not ours, or older than MAX_AGE."""
        if not cookie or len(cookie) > 4096:
            return None
        try:
            raw = base64.urlsafe_b64decode(cookie.encode("ascii"))
            payload = json.loads(self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], _AAD))
        except (ValueError, InvalidTag, UnicodeError):
            return None
        issued = payload.get("issued")
        keys = payload.get("keys")
        if not isinstance(issued, int) or not isinstance(keys, dict) or not isinstance(payload.get("id"), str):
            return None
        if (now if now is not None else time.time()) - issued >= MAX_AGE:
            return None
        return Session(id=payload["id"], issued=issued, keys={str(k): str(v) for k, v in keys.items()})

    def csrf_token(self, session: Session) -> str:
        return hmac.new(self._csrf_key, session.id.encode(), hashlib.sha256).hexdigest()

    def csrf_holds(self, session: Session, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(self.csrf_token(session), token)
