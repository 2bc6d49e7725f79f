"""`stageward verify` says what it rehashed for each version of the lineage: one 8-byte file promoted once is
8 bytes for the copy and 8 for its source, never "2 file(s), 16 bytes" as if the version held both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

STAGEWARD = str(Path(sys.executable).parent / "stageward")


def run(*args: str, cwd: Path) -> str:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ["STAGEWARD_USER"] = "alice"
    result = subprocess.run([STAGEWARD, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_verify_names_each_version_of_the_lineage_with_its_own_files(tmp_path: Path):
    run("init", "--project", "lp-crosssell", "--team", "lp", cwd=tmp_path)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.bin").write_bytes(b"12345678")
    (tmp_path / "model" / "config.json").write_bytes(b"{}")
    run("model", "register", "lp-model", "model", "--env", "development", "--metric", "auc=0.9", cwd=tmp_path)
    assert "executed" in run("promote", "lp-model", "1", "--from", "development", "--to", "staging", cwd=tmp_path)

    out = run("verify", "staging/lp-model@champion", cwd=tmp_path)
    assert out.splitlines() == [
        "verified staging/lp-model:1: lineage staging/lp-model:1 <- development/lp-model:1",
        "  staging/lp-model:1: 2 file(s), 10 bytes rehashed",
        "  development/lp-model:1: 2 file(s), 10 bytes rehashed",
    ]
    result = json.loads(run("verify", "staging/lp-model@champion", "--json", cwd=tmp_path))
    assert result["versions"] == [
        {"ref": "staging/lp-model:1", "files": 2, "bytes_rehashed": 10},
        {"ref": "development/lp-model:1", "files": 2, "bytes_rehashed": 10},
    ]
    assert "files" not in result and "bytes_rehashed" not in result  # no lineage total posing as the version's


def test_a_failing_verify_with_json_prints_its_whole_report_then_fails(tmp_path: Path):
    import hashlib

    run("init", "--project", "lp-crosssell", "--team", "lp", cwd=tmp_path)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.bin").write_bytes(b"12345678")
    run("model", "register", "lp-model", "model", "--env", "development", cwd=tmp_path)
    digest = hashlib.sha256(b"12345678").hexdigest()
    blob = next(tmp_path.glob(f".stageward/**/sha256/{digest[:2]}/{digest[2:]}"))
    blob.chmod(0o600)
    blob.write_bytes(b"12345679")  # a bit flipped in the store
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ["STAGEWARD_USER"] = "alice"
    done = subprocess.run(
        [STAGEWARD, "verify", "development/lp-model:1", "--json"],
        cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ok"] is False and report["ref"] == "development/lp-model:1"
    assert len(report["problems"]) == 1 and "weights.bin" in report["problems"][0]
    assert done.stderr.startswith("error: verify development/lp-model:1: ") and "weights.bin" in done.stderr
