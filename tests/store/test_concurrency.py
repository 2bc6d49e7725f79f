"""Eight processes appending at once leave one unbroken chain with every entry present."""

import subprocess
import sys
from pathlib import Path

import pytest

WORKER = """
import sys
from pathlib import Path
from stageward.client import Client, LocalTransport
from stageward.testing import make_context

root, url, worker = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
environ = {"STAGEWARD_MASTER_KEY_FILE": sys.argv[5]}  # writers key the audit chain
client = Client(LocalTransport(context=make_context(root, principal="alice", store_url=url, environ=environ)))
for i in range(int(sys.argv[4])):
    client.call("access.grant", principal=f"user{worker}-{i}", role="viewer", env="staging")
client.close()
"""

PROCESSES = 8
EACH = 15


@pytest.mark.slow
def test_eight_writers_leave_an_unbroken_chain(project_root: Path, store_url: str, client_for):
    alice = client_for("alice")  # creates the store and applies the project's policy: entries 1 and 2
    key_file = alice.transport.context.environ["STAGEWARD_MASTER_KEY_FILE"]
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(project_root), store_url, str(n), str(EACH), key_file])
        for n in range(PROCESSES)
    ]
    assert [w.wait(timeout=120) for w in workers] == [0] * PROCESSES
    result = alice.call("audit.verify")
    assert result["entries"] == 2 + PROCESSES * EACH
    targets = {e["target"] for e in alice.call("audit.export") if e["action"] == "access.grant"}
    assert targets == {f"user{n}-{i}" for n in range(PROCESSES) for i in range(EACH)}


OPENER = """
import sys
from pathlib import Path
from stageward.client import Client, LocalTransport
from stageward.testing import make_context

root, url, principal = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
client = Client(LocalTransport(context=make_context(root, principal=principal, store_url=url, environ={})))
client.call("env.list")
client.close()
"""


@pytest.mark.slow
def test_many_processes_opening_a_new_store_at_once_make_one_creator(project_root: Path, store_url: str):
    openers = [
        subprocess.Popen([sys.executable, "-c", OPENER, str(project_root), store_url, f"user{n}"])
        for n in range(6)
    ]
    assert [p.wait(timeout=120) for p in openers] == [0] * 6
    from stageward.client import Client, LocalTransport
    from stageward.store.db import access_repo
    from stageward.testing import make_context

    ctx = make_context(project_root, principal="user0", store_url=store_url, environ={})
    with ctx.database.transaction(write=False) as conn:
        creator = access_repo.get_meta(conn, "created_by")
        admins = [b for b in access_repo.bindings(conn) if b.role == "admin"]
    assert creator in {f"user{n}" for n in range(6)}
    assert [(b.principal, b.environment) for b in admins] == [(creator, "*")]
    verified = Client(LocalTransport(context=make_context(project_root, principal=creator, store_url=store_url,
                                                          environ={}))).call("audit.verify")
    # One creation and one first apply of the project's policy, however many raced to open the store.
    assert verified["entries"] == 2
    ctx.close()
