"""The audit chain's key: derived from the master key, loaded once per context."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from stageward.secrets.envelope import MasterKeyError

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from stageward.service.context import Context

# id(context) -> chain key. Context is an unhashable dataclass, so no WeakKeyDictionary: each
# entry is dropped by a finalizer when its context goes, and an id is never reused while it lives.
_KEYS: dict[int, bytes] = {}


def chain_key(ctx: Context, conn: Connection, *, create: bool = True) -> bytes:
    """The key the audit chain's HMACs are made with (never the master key itself).

    Writers pass CREATE: on a fresh store the master key file is made on first use, as
    `secrets set` makes it, so the first write is keyed. A key that is not the store's
    is refused by `load_keyring` before anything is written. Readers (verify) pass
    create=False and get a clear error when there is no master key.
    """
    known = _KEYS.get(id(ctx))
    if known is not None:
        return known
    from stageward.service.keyring import load_keyring, master_key_file

    keyring = load_keyring(ctx, conn, create=create)
    if keyring is None:
        raise MasterKeyError(
            f"no master key: checking the audit chain needs it, but STAGEWARD_MASTER_KEY is not set "
            f"and {master_key_file(ctx)} does not exist",
            hint="set STAGEWARD_MASTER_KEY or STAGEWARD_MASTER_KEY_FILE to the key this store writes with",
        )
    _KEYS[id(ctx)] = keyring.audit_chain_key
    weakref.finalize(ctx, _KEYS.pop, id(ctx), None)
    return keyring.audit_chain_key
