"""The key that seals the web UI's session cookies, derived from the store's master key.

Derived, not random per process: every worker of one server (and the server after a restart) must open the
cookies the others sealed, and the master key is the one secret they already share. Rotating the master key
ends every browser session, which is what a rotation should do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from stageward.errors import StoreError

if TYPE_CHECKING:
    from stageward.service.context import Context

_PURPOSE = b"stageward/v1/web-session"


def session_secret(ctx: Context) -> bytes:
    """32 bytes for AES-GCM, the same in every process that holds this store's master key."""
    from stageward.service.keyring import load_keyring

    with ctx.database.transaction(write=False) as conn:
        keyring = load_keyring(ctx, conn, create=False)
    if keyring is None:
        raise StoreError(
            "the web UI needs the store's master key to seal its sessions, and there is none",
            hint="set STAGEWARD_MASTER_KEY or STAGEWARD_MASTER_KEY_FILE for the server",
        )
    # From a key of the keyring rather than the master key itself, which never leaves keyring.py.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(keyring.api_key_hmac_key)
