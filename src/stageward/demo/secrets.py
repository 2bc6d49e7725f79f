"""Demo steps of secrets and API keys: a secret that never shows, a denied read, a key kept to its environment."""

from __future__ import annotations

import io
import json
import stat
import subprocess
import sys
from pathlib import Path

from stageward.demo import StepFailed, Walk
from stageward.errors import Denied

# Stands in for a real database password; the walk checks it never comes out where it should not.
DEMO_VALUE = "pg-Pr0d-7c1e9a52"


def _in_store_files(store: Path) -> bool:
    """Whether DEMO_VALUE is in the raw bytes of the SQLite store's files, read by another process.

    Why not read them here: opening and closing the database file in this process would drop every POSIX lock
    this process's SQLite connections hold on it (fcntl locks belong to the process, and any close releases
    them). A run's process closing the store would then think itself the last user, checkpoint and delete the
    WAL, and this process's later commits would go to the deleted WAL, unseen by any other process (a retrain's
    pipeline then failed with "no run <id>").
    """
    files = [str(p) for p in sorted(store.iterdir()) if p.name.startswith("stageward.db")]
    probe = "import sys\nprint(any(sys.argv[1].encode() in open(f, 'rb').read() for f in sys.argv[2:]))"
    done = subprocess.run([sys.executable, "-c", probe, DEMO_VALUE, *files], capture_output=True, text=True)
    if done.returncode != 0:
        raise StepFailed(f"could not read the store's files: {done.stderr.strip()[-200:]}")
    return done.stdout.strip() == "True"


def steps(walk: Walk) -> None:
    alice = walk.as_("alice")
    bob = walk.as_("bob")

    def set_from_stdin() -> str:
        from stageward.secrets.names import check_value, strip_one_newline

        stdin = io.BytesIO(f"{DEMO_VALUE}\n".encode())  # as `printf ... | stageward secrets set` delivers it
        value = check_value(strip_one_newline(stdin.read()))
        result = alice.call("secrets.set", env="production", name="DB_PASSWORD", value=value, expires_in="30d")
        alice.call("secrets.set", env="development", name="DB_PASSWORD", value="dev-password-1")
        if DEMO_VALUE in json.dumps(result):
            raise StepFailed("secrets set echoed the value")
        return (
            f"stageward secrets set DB_PASSWORD --env production --expires-in 30d < stdin -> version "
            f"{result['version']}, expires {result['expires_at'][:10]}"
        )

    walk.step("alice stores the production database password from stdin", set_from_stdin)

    def never_printed() -> str:
        shown = json.dumps(
            [
                alice.call("secrets.list"),
                alice.call("secrets.history", env="production", name="DB_PASSWORD"),
                alice.call("audit.export"),
            ]
        )
        store = walk.root / ".stageward"
        places = {"listings and audit export": DEMO_VALUE in shown, "database file": _in_store_files(store)}
        leaked = [where for where, found in places.items() if found]
        if leaked:
            raise StepFailed(f"the value appears in: {', '.join(leaked)}")
        from stageward.service.keyring import master_key_notice

        where, _ = master_key_notice(walk.root, walk.environ)
        if where == "STAGEWARD_MASTER_KEY":
            kept = "master key from STAGEWARD_MASTER_KEY"
        else:
            key_file = Path(where)
            if key_file.is_relative_to(store):
                raise StepFailed(f"the master key sits in the store's folder ({key_file})")
            key_mode = stat.S_IMODE(key_file.stat().st_mode)
            if key_mode != 0o600:
                raise StepFailed(f"the master key file has mode {key_mode:04o}, expected 0600")
            kept = f"master key in {key_file}, mode 0600, outside the store's folder"
        return f"not in secrets list/history, the audit export or the database file (AES-256-GCM); {kept}"

    walk.step("the value is never printed or stored in the clear", never_printed)

    def denied_get() -> str:
        error = walk.expect_error(Denied, lambda: bob.call("secrets.get", env="production", name="DB_PASSWORD"))
        entries = alice.call("audit.list", env="production", action="secrets.get")
        if not any(e["principal"] == "bob" and e["outcome"] == "denied" for e in entries):
            raise StepFailed("bob's denied read is missing from the audit log")
        return f"exit {error.exit_code}: {error.message} (audited)"

    walk.step("bob tries stageward secrets get DB_PASSWORD --env production", denied_get)

    def masked() -> str:
        from stageward.secrets.masking import StreamMasker

        masker = StreamMasker([DEMO_VALUE])
        chunks = ["connecting as app with password pg-Pr0", "d-7c1e9a52 ... ok\n"]  # the value split in two reads
        out = "".join(masker.feed(chunk) for chunk in chunks) + masker.flush()
        if DEMO_VALUE in out or "***" not in out:
            raise StepFailed(f"masking failed: {out!r}")
        return f"a run's log, the value split across two reads: {out.strip()!r}"

    walk.step("values delivered to a run are masked in its logs", masked)

    def key_kept_home() -> str:
        from stageward.client import Client, LocalTransport
        from stageward.service.context import open_context
        from stageward.service.keys import authenticate

        for env in ("development", "production"):
            alice.call("access.grant", principal="spn:lp-ci", role="deployer", env=env)
        created = alice.call("keys.create", principal="spn:lp-ci", env="development", ttl="30d")
        ctx = open_context(walk.root, principal="alice", environ=walk.environ)
        try:
            principal, environment = authenticate(ctx, created["key"])
        finally:
            ctx.close()
        keyed_ctx = open_context(walk.root, principal=principal, environ=walk.environ)
        keyed_ctx.bound_environment = environment
        with Client(LocalTransport(context=keyed_ctx)) as keyed:
            at_home = keyed.call("secrets.get", env="development", name="DB_PASSWORD")
            if at_home["value"] != "dev-password-1":
                raise StepFailed("the development key could not read the development secret")
            error = walk.expect_error(Denied, lambda: keyed.call("secrets.get", env="production", name="DB_PASSWORD"))
        return (
            f"{created['prefix']}... acts as {principal} in {environment} only: reads development's secret; "
            f"in production, though spn:lp-ci is deployer there: exit {error.exit_code}"
        )

    walk.step("an API key for development is refused in production", key_kept_home)
