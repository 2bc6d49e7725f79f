"""`config show` for a cold process, without pydantic, SQLAlchemy or the verb catalogue.

Why a second path: a cold `stageward config show --env E --json` spent most of its time
importing pydantic and building the project file's models and the verbs' input models
(~150 ms of ~250), to answer from facts that a previous run had already validated. The full
path, when it finds the working copy of stageward.yaml to be exactly the policy applied to
the store, records what it validated in a memo (`.stageward/quick-config.json` beside the
project file, 0600): the sha256 of the file's bytes and the few facts `config show` needs.

This path answers only when every rule the full path enforces holds here too, read from
the same places:

- stageward.yaml hashes to the memo's fingerprint (the bytes validated, not merely a file
  with the same name), and the memo's policy digest is the one the store has applied to the
  project now, so the environments and the config folder are those of the applied policy;
- the store is a ready SQLite store read through QuickSqliteReader (as the full path's
  access checks read it), the project is registered there, the team prefix rule holds;
- the caller (STAGEWARD_USER or the OS user, no API key, no STAGEWARD_URL) holds config.read
  in the environment for this project, decided by access.decide as every verb is;
- the config resolves without error; secret references are masked exactly as config.show
  masks them.

Anything else (a denial, which must be audited; an unknown environment; a policy to apply on
the fly; an error to explain) returns None and the caller takes the full path, which gives
the one answer or error. A forged memo cannot widen access: bindings, the applied policy
digest and the registration are read from the store on every call, and the memo sits in
the project folder, whose owner can edit stageward.yaml and conf/ themselves.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stageward.service.context import Context

MEMO = Path(".stageward") / "quick-config.json"
_FIELDS = ("fingerprint", "project", "team", "config_dir", "env_prefix", "environments", "policy_digest")


def remember(ctx: Context, policy_digest: str) -> None:
    """Record what the full path validated, once it found the working copy to be the applied policy."""
    project = ctx.project
    spec = project.spec
    if not project.fingerprint or not ctx.store_url.startswith("sqlite:///"):
        return
    memo = {
        "fingerprint": project.fingerprint,
        "project": spec.project,
        "team": spec.team,
        "config_dir": spec.config.dir,
        "env_prefix": spec.config.env_prefix,
        "environments": sorted(spec.environments),
        "policy_digest": policy_digest,
    }
    path = project.root / MEMO
    try:
        if _read_memo(path) == memo:
            return
        from stageward.private_paths import FILE_MODE, make_private_folder

        make_private_folder(path.parent)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(memo, handle)
        os.replace(temporary, path)
    except OSError:
        return  # a read-only project folder: every cold read takes the full path, as before


def show(env: str, environ: Mapping[str, str], start: Path | None = None) -> dict[str, Any] | None:
    """config.show of ENV, secrets masked, when every rule can be checked here; else None (take the full path)."""
    from stageward.errors import StagewardError

    # A key set at all (even blank, which the full path refuses) or a server: the full path decides who acts.
    if "STAGEWARD_API_KEY" in environ or environ.get("STAGEWARD_URL"):
        return None
    try:
        return _show(env, environ, start)
    except (StagewardError, OSError, ValueError, UnicodeError):
        return None  # the full path says what is wrong, in its own words


def _read_memo(path: Path) -> dict[str, Any] | None:
    try:
        memo = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(memo, dict) or set(memo) != set(_FIELDS):
        return None
    return memo


def _show(env: str, environ: Mapping[str, str], start: Path | None) -> dict[str, Any] | None:
    from stageward.project.loader import find_project_file

    project_file = find_project_file(start)
    root = project_file.parent
    memo = _read_memo(root / MEMO)
    if memo is None or env not in memo["environments"]:
        return None
    with open(project_file, "rb") as handle:
        if hashlib.sha256(handle.read()).hexdigest() != memo["fingerprint"]:
            return None
    store_url = environ.get("STAGEWARD_STORE") or f"sqlite:///{root.resolve() / '.stageward' / 'stageward.db'}"
    if not store_url.startswith("sqlite:///"):
        return None
    from stageward.access.decide import Target, decide
    from stageward.service.context import local_principal
    from stageward.store.db.migrations import head_revision
    from stageward.store.db.quick_sqlite import QuickSqliteReader

    principal = local_principal(environ)
    reader = QuickSqliteReader.open(Path(store_url.removeprefix("sqlite:///")), head_revision())
    if reader is None:
        return None
    try:
        name, team = memo["project"], memo["team"]
        if team is not None:
            prefix = reader.team_prefix(team) or f"{team}-"
            if not name.startswith(prefix):
                return None
        registered = reader.project(name)
        if registered is None or reader.policy_digest(name) != memo["policy_digest"]:
            return None
        teams, bindings = reader.access_of(principal)
    finally:
        reader.close()
    if not decide(principal, "config.read", env, bindings, teams, Target(name, registered[0])):
        return None  # a denial is audited: the full path records it
    from stageward.configuration.digest import digest
    from stageward.configuration.resolve import ConfigFiles, resolve

    resolved = resolve(
        ConfigFiles(root.resolve() / memo["config_dir"], root.resolve()),
        env,
        env_prefix=memo["env_prefix"],
        environ=environ,
        env_refs="resolve",
    )
    return {"environment": env, "digest": digest(resolved.values), "config": resolved.masked()}
