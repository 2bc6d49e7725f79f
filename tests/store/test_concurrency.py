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
client = Client(LocalTransport(context=make_context(root, principal="alice", store_url=url, environ={})))
for i in range(int(sys.argv[4])):
    client.call("access.grant", principal=f"user{worker}-{i}", role="viewer", env="staging")
client.close()
"""

PROCESSES = 8
EACH = 15


@pytest.mark.slow
def test_eight_writers_leave_an_unbroken_chain(project_root: Path, store_url: str, client_for):
    alice = client_for("alice")  # creates the store: entry 1
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(project_root), store_url, str(n), str(EACH)])
        for n in range(PROCESSES)
    ]
    assert [w.wait(timeout=120) for w in workers] == [0] * PROCESSES
    result = alice.call("audit.verify")
    assert result["entries"] == 1 + PROCESSES * EACH
    targets = {e["target"] for e in alice.call("audit.export") if e["action"] == "access.grant"}
    assert targets == {f"user{n}-{i}" for n in range(PROCESSES) for i in range(EACH)}
