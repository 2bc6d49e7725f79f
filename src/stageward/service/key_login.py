"""STAGEWARD_API_KEY in local mode: the CLI acts as the key's principal, in the key's environment only (SPEC §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stageward.errors import Unauthenticated

if TYPE_CHECKING:
    from stageward.service.context import Context

API_KEY_VARIABLE = "STAGEWARD_API_KEY"


def presented_key(environ: dict[str, str]) -> str | None:
    """The key STAGEWARD_API_KEY holds; None when it is not set. Set but blank is refused, never read as no key."""
    if API_KEY_VARIABLE not in environ:
        return None
    key = environ[API_KEY_VARIABLE].strip()
    if not key:
        raise Unauthenticated(
            f"{API_KEY_VARIABLE} is set but empty",
            hint=f"unset {API_KEY_VARIABLE} to act as yourself, or set it to a key from stageward keys create",
        )
    return key


def log_in(ctx: Context, key: str) -> Context:
    """CTX acting as KEY's principal, bound to KEY's environment; Unauthenticated naming why a key is refused.

    The store must exist already: opening it through CTX would otherwise found it, with CTX's
    placeholder principal as its admin. A key presented to a store that does not exist is refused.
    """
    from stageward.service.keys import KeyAuthenticator
    from stageward.store.db import access_repo
    from stageward.store.db.engine import open_database, sqlite_path

    database_file = sqlite_path(ctx.store_url)
    if database_file is not None and not database_file.exists():
        raise _refused(f"the store {database_file} does not exist yet, so it holds no keys")
    database = open_database(ctx.store_url)
    try:
        with database.transaction(write=False) as conn:
            founded = access_repo.get_meta(conn, "created_by") is not None
    finally:
        database.dispose()
    if not founded:
        raise _refused("the store holds no keys yet")
    try:
        principal, environment = KeyAuthenticator(ctx).authenticate(key)
    except Unauthenticated as exc:
        ctx.close()
        raise Unauthenticated(f"{API_KEY_VARIABLE}: {exc.message}", hint=exc.hint) from None
    except BaseException:
        ctx.close()
        raise
    from stageward.secrets.api_keys import key_prefix

    ctx.principal = principal
    ctx.bound_environment = environment
    ctx.api_key_prefix = key_prefix(key)
    return ctx


def _refused(reason: str) -> Unauthenticated:
    return Unauthenticated(f"{API_KEY_VARIABLE}: the API key is not valid ({reason})")
