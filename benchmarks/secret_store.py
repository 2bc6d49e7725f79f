"""Secret resolution and API key verification, in process, beside what users would otherwise use.

Secret resolution: a config with 20 `${secret:NAME}` references resolved in one unit of work
(access check, AES-256-GCM decryption, an audit entry per reveal), and the same 20 delivered
to a run (one audit entry), against plain environment variables (no encryption, no access
check, no audit) and a home-grown Fernet-encrypted dict (no access check, no audit).

API key verification: the keyed hash and constant-time comparison alone, and the whole
`authenticate()` a server calls (one indexed read), against the password hashes a key store
is often built with by mistake (scrypt, PBKDF2-SHA256 at OWASP's 600,000 iterations).

    .venv/bin/python benchmarks/secret_store.py [--seconds 1.0]
"""

from __future__ import annotations

import sys

# Run as a script, this file's folder comes first on sys.path, and its name would hide the
# standard library's `secrets` module from everything imported below.
if sys.path and sys.path[0] == __import__("os").path.dirname(__import__("os").path.abspath(__file__)):
    sys.path.pop(0)

import argparse
import hashlib
import hmac
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from stageward.client import Client, LocalTransport
from stageward.service.catalogue import verb
from stageward.service.keys import KeyAuthenticator
from stageward.service.secrets import SecretStoreSource, values_for_run
from stageward.service.unit import Unit
from stageward.testing import make_context, write_project

NAMES = [f"SECRET_{i:02d}" for i in range(20)]


@verb("benchsecrets.resolve", write=True)
def _resolve(unit: Unit, *, env: str) -> dict[str, str]:
    source = SecretStoreSource(unit, env)
    return {name: source.reveal(name) for name in NAMES}


@verb("benchsecrets.resolve_many", write=True)
def _resolve_many(unit: Unit, *, env: str) -> dict[str, str]:
    return SecretStoreSource(unit, env).reveal_many(NAMES)


@verb("benchsecrets.deliver", write=True)
def _deliver(unit: Unit, *, env: str) -> dict[str, str]:
    values = values_for_run(unit, env, NAMES)
    unit.audit(environment=env, target="bench-run", details={})
    return values


def per_second(action: Callable[[], Any], seconds: float) -> tuple[float, float]:
    """(operations per second, milliseconds per operation), timed for about SECONDS."""
    action()  # warm up
    count, start = 0, time.perf_counter()
    while True:
        action()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed, elapsed / count * 1000


def report(label: str, rate: tuple[float, float], unit: str) -> None:
    per_op = rate[1]
    shown = f"{per_op * 1000:9.1f} µs" if per_op < 1 else f"{per_op:9.2f} ms"
    print(f"  {label:<62} {rate[0]:>12,.0f} {unit}/s  {shown} each")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0)
    seconds = parser.parse_args().seconds
    root = Path(tempfile.mkdtemp(prefix="stageward-bench-secrets-"))
    write_project(root)
    ctx = make_context(root, environ={"STAGEWARD_MASTER_KEY_FILE": str(root / "master.key")})
    from stageward.service.clock import SystemClock

    ctx.clock = SystemClock()
    client = Client(LocalTransport(context=ctx))
    values = {name: os.urandom(24).hex() for name in NAMES}
    for name, value in values.items():
        client.call("secrets.set", env="production", name=name, value=value)

    print("Secret resolution: a config with 20 secret references")
    ours = per_second(lambda: _resolve(ctx, env="production"), seconds)
    report("stageward SecretStoreSource.reveal x20 (20 audit entries)", ours, "config")
    many = per_second(lambda: _resolve_many(ctx, env="production"), seconds)
    report("stageward SecretStoreSource.reveal_many, 20 names (1 audit entry)", many, "config")
    run = per_second(lambda: _deliver(ctx, env="production"), seconds)
    report("stageward values_for_run, 20 names (1 audit entry)", run, "config")
    environ = {f"APP_{name}": value for name, value in values.items()}
    plain = per_second(lambda: {name: environ[f"APP_{name}"] for name in NAMES}, seconds)
    report("environment variables, 20 lookups (no encryption, no check, no audit)", plain, "config")
    fernet = Fernet(Fernet.generate_key())
    tokens = {name: fernet.encrypt(value.encode()) for name, value in values.items()}
    home_grown = per_second(lambda: {name: fernet.decrypt(tokens[name]).decode() for name in NAMES}, seconds)
    report("Fernet-encrypted dict, 20 decryptions (no check, no audit)", home_grown, "config")
    assert _resolve(ctx, env="production") == values
    print(
        f"  ratios: reveal x20 is {ours[1] / home_grown[1]:.1f}x Fernet, {ours[1] / plain[1]:,.0f}x environment "
        f"variables; reveal_many is {many[1] / home_grown[1]:.1f}x Fernet, values_for_run {run[1] / home_grown[1]:.1f}x"
    )

    print("\nAPI key verification")
    created = client.call("keys.create", principal="spn:ci", env="production", ttl="30d")
    key = created["key"]
    authenticator = KeyAuthenticator(ctx)
    assert authenticator.authenticate(key) == ("spn:ci", "production")
    from stageward.service.keyring import load_keyring

    with ctx.database.transaction(write=False) as conn:
        keyring = load_keyring(ctx, conn, create=False)
    assert keyring is not None
    stored = keyring.api_key_digest(key)
    verify = per_second(lambda: hmac.compare_digest(keyring.api_key_digest(key), stored), seconds)
    report("stageward HMAC-SHA-256 + constant-time compare", verify, "key")
    whole = per_second(lambda: authenticator.authenticate(key), seconds)
    report("stageward authenticate() incl. the indexed read (SQLite)", whole, "key")
    salt = os.urandom(16)
    scrypt = per_second(lambda: hashlib.scrypt(key.encode(), salt=salt, n=2**14, r=8, p=1), seconds)
    report("scrypt n=2^14 r=8 p=1", scrypt, "key")
    pbkdf2 = per_second(lambda: hashlib.pbkdf2_hmac("sha256", key.encode(), salt, 600_000), seconds)
    report("PBKDF2-SHA256, 600,000 iterations", pbkdf2, "key")
    print(
        f"  ratios: the keyed hash is {scrypt[1] / verify[1]:,.0f}x faster than scrypt and "
        f"{pbkdf2[1] / verify[1]:,.0f}x faster than PBKDF2; authenticate() whole is "
        f"{scrypt[1] / whole[1]:,.0f}x faster than scrypt alone"
    )
    goal = "met" if whole[1] < 0.1 else "MISSED"
    print(
        f"  goal: well under 0.1 ms per key -> {verify[1] * 1000:.1f} µs to verify, "
        f"{whole[1] * 1000:.1f} µs with the lookup ({goal})"
    )
    client.close()


if __name__ == "__main__":
    main()
