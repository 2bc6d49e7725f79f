"""A project with models in three environments and one production promotion waiting for its second approver.

carol and dave approve in production; vic only views it; carol also views staging and development, so her
session can follow the lineage across them. bob builds and requests; alice (admin) approved staging.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from tests.server.support import TeamServer, team_server

SECRET = "hunter2-correct-horse-battery"
XSS = '<script>window.pwned=1</script><img src=x onerror="window.pwned=1">'


def publish(
    server: TeamServer, env: str, name: str, root: Path, *, auc: float, run: str, tags: dict[str, str] | None = None
) -> int:
    folder = root / "artefacts" / f"{env}-{name}-{auc}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "weights.bin").write_bytes(f"{env}/{name}/{auc}".encode())
    with server.admin() as alice:
        record = alice.call(
            "model.publish", env=env, name=name, path=str(folder), metrics={"auc": auc}, tags=tags or {},
            run=run, git_commit="0123456789abcdef0123456789abcdef01234567",
        )
    return int(record["version"])


def act(server: TeamServer, principal: str, verb: str, /, **arguments: Any) -> Any:
    """VERB as PRINCIPAL in local mode on the server's store (as a colleague at their own desk)."""
    from stageward.client import Client, LocalTransport
    from stageward.testing import make_context

    ctx = make_context(server.root, principal=principal, store_url=server.store_url, environ=server.environ())
    with Client(LocalTransport(context=ctx)) as client:
        result = client.call(verb, **arguments)
    from pydantic import BaseModel

    return result.model_dump(mode="json") if isinstance(result, BaseModel) else result


def as_bob(server: TeamServer, verb: str, **arguments: Any) -> Any:
    return act(server, "bob", verb, **arguments)


def build(root: Path) -> TeamServer:
    server = team_server(root, f"sqlite:///{root / '.stageward' / 'stageward.db'}")
    with server.admin() as alice:
        for who, role, env in [
            ("carol", "approver", "production"),
            ("dave", "approver", "production"),
            ("vic", "viewer", "production"),
            ("carol", "viewer", "staging"),
            ("carol", "viewer", "development"),
            ("alice", "approver", "staging"),
        ]:
            alice.call("access.grant", principal=who, role=role, env=env)
    (root / "conf" / "base").mkdir(parents=True, exist_ok=True)
    (root / "conf" / "base" / "app.yaml").write_text("db:\n  password: ${secret:DB_PASSWORD}\n")
    with server.admin() as alice:
        alice.call("secrets.set", env="development", name="DB_PASSWORD", value=SECRET)
    # A finished run, the one the models came from: it printed its resolved config (the secret in it) and a
    # script; its log shows the secret masked and the script as text.
    script = f"import os; print(open(os.environ['STAGEWARD_CONFIG']).read()); print({XSS!r})"
    printed = act(server, "bob", "runs.launch", env="development", workdir=root, command=[sys.executable, "-c", script])
    server.keys["printed_run"] = {"id": printed["id"]}
    run = printed["id"]
    publish(server, "development", "fraud", root, auc=0.95, tags={"note": XSS}, run=run)
    publish(server, "development", "churn", root, auc=0.90, run=run)
    for name in ("fraud", "churn"):
        staged = as_bob(
            server, "promotion.request", env="staging", name=name, version=1, source="development", reason="ready"
        )
        with server.admin() as alice:
            if staged["state"] == "pending":
                alice.call("promotion.approve", id=staged["id"], comment="ok")
    # Two requests into production, each waiting for two approvals: fraud's reason and churn's first
    # approval carry a script that must stay text.
    fraud = as_bob(
        server, "promotion.request", env="production", name="fraud", version=1, source="staging",
        reason=f"ship it {XSS}",
    )
    churn = as_bob(server, "promotion.request", env="production", name="churn", version=1, source="staging")
    server.keys["fraud_promotion"] = {"id": fraud["id"]}
    server.keys["churn_promotion"] = {"id": churn["id"]}
    for name, principal, env in [
        ("carol_production", "carol", "production"),
        ("carol_staging", "carol", "staging"),
        ("carol_development", "carol", "development"),
        ("dave_production", "dave", "production"),
        ("vic_production", "vic", "production"),
    ]:
        server.make_key(name, principal, env)
    act(server, "dave", "promotion.approve", id=churn["id"], comment=f"fine {XSS}")
    return server
