"""The registry through the Client, on SQLite and PostgreSQL: register, read, aliases, download, verify."""

import os
from pathlib import Path

import pytest

from stageward.errors import BadInput, CheckFailed, Conflict, Denied, NotFound


def register(client, env, name, path, **fields):
    kind = fields.pop("kind", "model")
    return client.call(f"{kind}.publish", env=env, name=name, path=str(path), **fields)


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    (folder / "weights").mkdir(parents=True)
    (folder / "config.json").write_text('{"layers": 3}')
    (folder / "weights" / "w.bin").write_bytes(os.urandom(300_000))
    return folder


def test_register_show_list(client_for, model_dir):
    alice = client_for("alice")
    v1 = register(
        alice, "development", "ranker", model_dir, metrics={"auc": 0.9}, params={"lr": "0.1"}
    )  # --run must name a run of the environment: tests/promotion/test_retrain.py
    assert v1["ref"] == "development/ranker:1" and v1["file_count"] == 2 and v1["size"] == 300_000 + 13
    again = register(alice, "development", "ranker", model_dir)
    assert again["version"] == 2 and again["manifest_digest"] == v1["manifest_digest"]
    shown = alice.call("model.show", env="development", ref="ranker")
    assert shown["version"] == 2 and [f["path"] for f in shown["files"]] == ["config.json", "weights/w.bin"]
    assert alice.call("model.show", env="development", ref="ranker:1")["metrics"] == {"auc": 0.9}
    rows = alice.call("model.list")
    assert rows == [
        {**rows[0], "env": "development", "name": "ranker", "kind": "model", "latest": 2, "aliases": {}}
    ]
    assert alice.call("dataset.list") == []
    entries = alice.call("audit.list", action="model.register")
    assert [e["target"] for e in entries] == ["ranker:1", "ranker:2"]


def test_aliases_history_and_rollback(client_for, model_dir):
    alice = client_for("alice")
    for _ in range(3):
        register(alice, "staging", "ranker", model_dir)
    for version in (1, 2, 3):
        alice.call("model.alias_set", env="staging", name="ranker", version=version, alias="champion")
    alice.call("model.alias_set", env="staging", name="ranker", version=3, alias="challenger")
    shown = alice.call("model.show", env="staging", ref="staging/ranker@champion")
    assert shown["version"] == 3 and shown["aliases"] == ["challenger", "champion"] and shown["latest"] == 3
    assert alice.call("model.show", env="staging", ref="ranker:1")["aliases"] == []
    assert alice.call("model.rollback", env="staging", name="ranker", alias="champion")["version"] == 2
    assert alice.call("model.rollback", env="staging", name="ranker", alias="champion")["version"] == 1
    with pytest.raises(Conflict, match="no earlier version to return to"):
        alice.call("model.rollback", env="staging", name="ranker", alias="champion")
    history = alice.call("model.alias_history", env="staging", name="ranker", alias="champion")
    assert [(h["action"], h["version"], h["previous_version"]) for h in history] == [
        ("set", 1, None),
        ("set", 2, 1),
        ("set", 3, 2),
        ("rollback", 2, 3),
        ("rollback", 1, 2),
    ]


def test_unknown_versions_and_aliases_are_not_found(client_for, model_dir):
    alice = client_for("alice")
    register(alice, "staging", "ranker", model_dir)
    with pytest.raises(NotFound, match=r"staging/ranker has no version 7 \(latest is 1\)"):
        alice.call("model.show", env="staging", ref="ranker:7")
    with pytest.raises(NotFound, match="has no alias 'champion'"):
        alice.call("model.show", env="staging", ref="staging/ranker@champion")
    with pytest.raises(NotFound, match="no model named 'nope' in staging"):
        alice.call("model.show", env="staging", ref="nope")
    with pytest.raises(NotFound, match="has no version 9"):
        alice.call("model.alias_set", env="staging", name="ranker", version=9, alias="champion")
    # Past the 32-bit version column: bad input, not a driver overflow.
    huge = 10**20
    with pytest.raises(BadInput, match="at most 2147483647"):
        alice.call("model.show", env="staging", ref=f"ranker:{huge}")
    with pytest.raises(BadInput, match=f"version {huge}: expected a positive whole number"):
        alice.call("model.alias_set", env="staging", name="ranker", version=huge, alias="champion")
    with pytest.raises(NotFound, match="is a model, not a dataset"):
        alice.call("dataset.show", env="staging", ref="ranker")


def test_bad_input_writes_nothing(client_for, model_dir, tmp_path):
    alice = client_for("alice")
    before = len(alice.call("audit.list", limit=1000))
    with pytest.raises(BadInput, match=r"asset name '../evil'"):
        register(alice, "staging", "../evil", model_dir)
    with pytest.raises(BadInput, match="metric auc: expected a finite number, got nan"):
        register(alice, "staging", "ranker", model_dir, metrics={"auc": float("nan")})
    with pytest.raises(BadInput, match="metric auc: expected a finite number, got 'high'"):
        register(alice, "staging", "ranker", model_dir, metrics={"auc": "high"})
    with pytest.raises(BadInput, match=r"alias 'Champion': expected \[a-z0-9-\]\+"):
        alice.call("model.alias_set", env="staging", name="ranker", version=1, alias="Champion")
    digest = "a" * 64
    with pytest.raises(BadInput, match=r"file name '../../etc/passwd'"):
        alice.call(
            "model.register",
            env="staging",
            name="ranker",
            files=[{"path": "../../etc/passwd", "size": 1, "sha256": digest}],
        )
    with pytest.raises(NotFound, match="is not in file://"):
        alice.call(
            "model.register", env="staging", name="ranker", files=[{"path": "w", "size": 1, "sha256": digest}]
        )
    with pytest.raises(BadInput, match="no such file or folder"):
        register(alice, "staging", "ranker", tmp_path / "missing")
    assert alice.call("model.list") == []
    assert len(alice.call("audit.list", limit=1000)) == before


def test_permissions_are_checked_and_denials_audited(client_for, model_dir):
    alice, bob = client_for("alice"), client_for("bob")
    alice.call("access.grant", principal="bob", role="developer", env="staging")
    register(bob, "staging", "ranker", model_dir)
    with pytest.raises(Denied, match=r"bob lacks assets.alias in staging"):
        bob.call("model.alias_set", env="staging", name="ranker", version=1, alias="champion")
    with pytest.raises(Denied, match=r"bob lacks assets.register in production"):
        bob.call("model.upload", env="production", path=str(model_dir))
    denied = [e for e in alice.call("audit.list", limit=1000) if e["outcome"] == "denied"]
    assert [e["action"] for e in denied] == ["model.alias_set", "model.upload"]


def test_download_checks_destination_and_hashes(client_for, model_dir, tmp_path):
    alice = client_for("alice")
    register(alice, "staging", "ranker", model_dir)
    out = tmp_path / "out"
    result = alice.call("model.download", env="staging", ref="ranker", dest=str(out))
    assert result["files"] == 2
    assert (out / "weights" / "w.bin").read_bytes() == (model_dir / "weights" / "w.bin").read_bytes()
    with pytest.raises(Conflict, match="the folder is not empty"):
        alice.call("model.download", env="staging", ref="ranker", dest=str(out))
    # The folder gets the mode the umask gives a new folder, like the files in it (not mkdtemp's 0700).
    umask = os.umask(0)
    os.umask(umask)
    assert (out.stat().st_mode & 0o777) == (0o777 & ~umask)
    # A destination that cannot be made is bad input naming DEST, not an internal error.
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(BadInput, match=r"DEST .*a-file/inside: cannot create the folder \("):
        alice.call("model.download", env="staging", ref="ranker", dest=str(tmp_path / "a-file" / "inside"))
    with pytest.raises(BadInput, match="DEST: expected the path of a new or empty folder, got nothing"):
        alice.call("model.download", env="staging", ref="ranker", dest="")
    # `fresh/..` is the folder it names (tmp_path, not empty), not a sibling created beside it.
    with pytest.raises(Conflict, match=r"DEST .*fresh/\.\.: the folder is not empty"):
        alice.call("model.download", env="staging", ref="ranker", dest=str(tmp_path / "fresh" / ".."))
    empty = tmp_path / "empty"
    empty.mkdir()
    done = alice.call("model.download", env="staging", ref="ranker", dest=str(empty / "sub" / ".."))
    assert done["dest"] == str(empty) and (empty / "config.json").is_file()
    # A blob corrupted in the store: the download fails and leaves nothing behind.
    store = alice.transport.context.blob_store("staging")
    shown = alice.call("model.show", env="staging", ref="ranker")
    blob = store.path_of(shown["files"][1]["sha256"])
    os.chmod(blob, 0o644)
    blob.write_bytes(b"tampered")
    target = tmp_path / "second"
    with pytest.raises(CheckFailed, match="nothing was written"):
        alice.call("model.download", env="staging", ref="ranker", dest=str(target))
    assert not target.exists() and not [p for p in tmp_path.iterdir() if ".partial-" in p.name]
    with pytest.raises(CheckFailed, match="stored bytes hash to"):
        alice.call("verify.asset", ref="staging/ranker:1")


def test_the_same_content_twice_is_uploaded_and_counted_once(client_for, tmp_path):
    alice = client_for("alice")
    folder = tmp_path / "twins"
    folder.mkdir()
    for name in ("a.bin", "b.bin"):
        (folder / name).write_bytes(b"same bytes" * 100)
    uploaded = alice.call("model.upload", env="staging", path=str(folder))
    assert uploaded["size"] == 2000 and uploaded["uploaded_bytes"] == 1000
    assert [f["path"] for f in uploaded["files"]] == ["a.bin", "b.bin"]


def test_dataset_and_model_share_one_namespace(client_for, model_dir):
    alice = client_for("alice")
    register(alice, "staging", "features", model_dir, kind="dataset")
    with pytest.raises(Conflict, match="staging/features is already a dataset"):
        register(alice, "staging", "features", model_dir)
    assert alice.call("dataset.list")[0]["name"] == "features"


def test_verify_passes_and_gc_removes_stale_temporaries(client_for, model_dir):
    alice = client_for("alice")
    register(alice, "staging", "ranker", model_dir, metrics={"auc": 0.9})
    alice.call("model.alias_set", env="staging", name="ranker", version=1, alias="champion")
    result = alice.call("verify.asset", ref="staging/ranker@champion")
    assert result["ok"] and result["lineage"] == ["staging/ranker:1"]
    assert result["versions"] == [{"ref": "staging/ranker:1", "files": 2, "bytes_rehashed": 300_013}]
    store = alice.transport.context.blob_store("staging")
    (store.temporary_dir / "upload-left-behind").write_bytes(b"x")
    assert alice.call("gc.run", older_than=0, dry_run=True)["removed"] == 1
    assert alice.call("gc.run", older_than=0)["removed"] == 1
    # NaN compares false with every age, so it silently removed nothing; it is refused, as are infinities.
    for bad in (float("nan"), float("inf"), -1):
        with pytest.raises(BadInput, match="--older-than .*: expected a finite number of seconds, 0 or more"):
            alice.call("gc.run", older_than=bad)
    assert list(store.temporary_dir.iterdir()) == []


def test_a_file_changed_during_registration_publishes_nothing(client_for, tmp_path):
    alice = client_for("alice")
    model = tmp_path / "model.bin"
    model.write_bytes(b"a" * 10_000)

    class ChangesTheFileWhileHashing:
        def start(self, label, total):
            self.label = label

        def advance(self, size):
            if self.label.startswith("hashing"):
                model.write_bytes(b"b" * 10_000)  # the upload pass will read other bytes

        def finish(self):
            pass

    with pytest.raises(CheckFailed, match="changed while it was being registered; nothing was published"):
        alice.call("model.upload", env="staging", path=str(model), progress=ChangesTheFileWhileHashing())
    store = alice.transport.context.blob_store("staging")
    assert list(store.temporary_dir.iterdir()) == []
    assert not (store.root / "sha256").exists() or not any((store.root / "sha256").rglob("*"))


def test_a_version_records_its_environments_config_digest(client_for, model_dir, project_root):
    alice = client_for("alice")
    (project_root / "conf" / "base").mkdir(parents=True)
    (project_root / "conf" / "base" / "main.yaml").write_text("training:\n  lr: 0.01\n")
    digest = alice.call("config.show", env="staging")["digest"]
    assert register(alice, "staging", "ranker", model_dir)["version"] == 1
    assert alice.call("model.show", env="staging", ref="ranker:1")["config_digest"] == digest
    (project_root / "conf" / "base" / "main.yaml").write_text("training:\n  lr: 0.02\n")
    register(alice, "staging", "ranker", model_dir)
    assert alice.call("model.show", env="staging", ref="ranker:2")["config_digest"] != digest
    given = "sha256:" + "ab" * 32
    register(alice, "staging", "ranker", model_dir, config_digest=given)
    assert alice.call("model.show", env="staging", ref="ranker:3")["config_digest"] == given
    with pytest.raises(BadInput, match=r"config digest 'abc': expected sha256:<64 hex digits>"):
        register(alice, "staging", "ranker", model_dir, config_digest="abc")
