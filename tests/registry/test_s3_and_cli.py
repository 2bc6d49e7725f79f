"""The S3 blob store against moto's server on loopback, and the registry commands as a user runs them."""

import os
from pathlib import Path

import pytest

from stageward.store.blobs import open_blob_store
from stageward.testing import write_project
from tests.registry.support import project_with_production_blobs, project_with_unprotected_champion, run_cli

# Its tests share one store made by a module-scoped fixture, and so the configuration folder holding its key.
pytestmark = pytest.mark.shared_config_home

@pytest.mark.s3
def test_s3_ranges_are_ranged_gets_of_those_bytes_alone(s3_bucket, moto_server):
    import hashlib

    from stageward.errors import NotFound

    store = open_blob_store(f"s3://{s3_bucket}/registry")
    data = os.urandom(5 * 1024 * 1024 + 77)
    digest = hashlib.sha256(data).hexdigest()
    writer = store.open_write(digest)
    writer.write(data)
    writer.commit()
    asked: list[str | None] = []
    # A hook on our own client: the Range header of each GetObject as it is sent.
    store.client.meta.events.register(
        "before-send.s3.GetObject", lambda request, **_: asked.append(request.headers.get("Range"))
    )
    size = len(data)
    with store.open_range(digest, size - 100, 100) as tail:
        assert tail.read() == data[-100:]
    with store.open_range(digest, 0, 1) as first:
        assert first.read() == data[:1]
    with store.open_range(digest, size - 1, 50) as past_the_end:
        assert past_the_end.read() == data[-1:]  # fewer where the blob ends first
    with store.open_range(digest, 9, 0) as nothing:
        assert nothing.read() == b""  # nothing to ask for: no request
    assert [value.decode() if isinstance(value, bytes) else value for value in asked] == [
        f"bytes={size - 100}-{size - 1}",
        "bytes=0-0",
        f"bytes={size - 1}-{size + 48}",
    ]
    with pytest.raises(NotFound, match="missing"):
        store.open_range("0" * 64, 0, 1)


@pytest.mark.s3
def test_s3_store_multipart_roundtrip_and_gc(s3_bucket, moto_server):
    from stageward.store.blobs import s3 as s3_module

    store = open_blob_store(f"s3://{s3_bucket}/registry")
    data = os.urandom(s3_module.PART_SIZE + 1234)  # two parts
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    writer = store.open_write(digest)
    for start in range(0, len(data), 1 << 20):
        writer.write(data[start : start + (1 << 20)])
    info = writer.commit()
    # The server answered the checksum of what it stored (SHA-256 of the parts' digests): no read-back needed.
    assert info.sha256 == digest and info.landed_verified
    assert store.exists(digest) and store.size(digest) == len(data)
    # A single PUT: moto answers no checksum for it, so nothing is claimed and a copy reads it back.
    small = store.open_write(hashlib.sha256(b"one request").hexdigest())
    small.write(b"one request")
    assert small.commit().landed_verified is False
    with store.open_read(digest) as stream:
        assert stream.read() == data
    # A wrong expected digest publishes nothing.
    bad = store.open_write("0" * 64)
    bad.write(b"other bytes")
    with pytest.raises(Exception, match="nothing was published"):
        bad.commit()
    assert not store.exists("0" * 64)
    # An interrupted upload is a stale multipart upload until gc aborts it; a live one is never listed.
    left = store.open_write(digest)
    left.write(data)  # one part sent, never completed
    left._drain()  # type: ignore[attr-defined]  # parts go out on threads: wait until it has landed
    assert list(store.temporary_objects(0)) == []  # it sent a part just now: live, whatever --older-than says
    s3_module.LIVE_UPLOAD_SECONDS, live = 0, s3_module.LIVE_UPLOAD_SECONDS  # as if it stopped long ago
    try:
        assert list(store.temporary_objects(0))
        for name in list(store.temporary_objects(0)):
            assert store.remove_temporary(name)
        assert list(store.temporary_objects(0)) == []
    finally:
        s3_module.LIVE_UPLOAD_SECONDS = live


def test_an_unusable_folder_store_is_one_line_naming_it(cli_project, tmp_path):
    """A blob folder that cannot be made was `internal error (NotADirectoryError)`."""
    project, store_url = cli_project
    (tmp_path / "a-file").write_text("x")
    folder = tmp_path / "a-file" / "blobs"
    args = ["model", "register", "ranker", "model", "--env", "staging"]
    result = run_cli(project, store_url, "alice", *args, extra={"STAGEWARD_BLOBS": f"file://{folder}"})
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error: blob store file://{folder}: cannot use {folder / 'tmp'} as a folder")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.s3
def test_an_unusable_s3_store_is_one_line_naming_it(tmp_path, s3_bucket):
    """A missing bucket was `internal error (NoSuchBucket)`; it is a store error naming the URL (exit 2)."""
    root = tmp_path / "project"
    missing = f"s3://{s3_bucket}-missing/prod"
    write_project(root, project_with_production_blobs(missing))
    store_url = f"sqlite:///{root / '.stageward' / 'stageward.db'}"
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights")
    for args in (["model", "register", "ranker", str(model), "--env", "production"], ["gc"]):
        result = run_cli(root, store_url, "alice", *args)
        assert result.returncode == 2, result.stderr
        assert result.stderr == f"error: blob store {missing}: S3 answered NoSuchBucket\n"
    listed = run_cli(root, store_url, "alice", "model", "list", "--json")
    assert listed.stdout.strip() == "[]"


@pytest.mark.s3
def test_register_download_verify_on_s3(tmp_path, s3_bucket, store_url):
    root = tmp_path / "project"
    write_project(root, project_with_unprotected_champion(project_with_production_blobs(f"s3://{s3_bucket}/prod")))
    model = tmp_path / "model.bin"
    model.write_bytes(os.urandom(50_000))
    ok = run_cli(
        root,
        store_url,
        "alice",
        "model",
        "register",
        "ranker",
        str(model),
        "--env",
        "production",
        "--metric",
        "auc=0.9",
    )
    assert ok.returncode == 0, ok.stderr
    assert "registered production/ranker:1" in ok.stdout
    moved = run_cli(
        root, store_url, "alice", "model", "alias", "set", "ranker", "1", "champion", "--env", "production"
    )
    assert moved.returncode == 0, moved.stderr
    verified = run_cli(root, store_url, "alice", "verify", "production/ranker@champion")
    assert verified.returncode == 0 and "50000 bytes rehashed" in verified.stdout
    out = tmp_path / "out"
    got = run_cli(root, store_url, "alice", "model", "download", "production/ranker@champion", str(out))
    assert got.returncode == 0, got.stderr
    assert (out / "model.bin").read_bytes() == model.read_bytes()


@pytest.fixture(scope="module")
def cli_project(tmp_path_factory) -> tuple[Path, str]:
    """One project with staging/ranker:1 for the error table; the engine does not change the messages."""
    root = tmp_path_factory.mktemp("cli") / "project"
    write_project(root)
    (root / "model").mkdir()
    (root / "model" / "w.bin").write_bytes(b"weights")
    (root / "taken").mkdir()
    (root / "taken" / "x").write_text("x")
    store_url = f"sqlite:///{root / '.stageward' / 'stageward.db'}"
    first = run_cli(root, store_url, "alice", "model", "register", "ranker", "model", "--env", "staging")
    assert first.returncode == 0, first.stderr
    return root, store_url


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    write_project(root)
    (tmp_path / "outside.txt").write_text("not yours")
    folder = root / "model"
    folder.mkdir()
    (folder / "w.bin").write_bytes(b"weights")
    return root


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["model", "register", "../evil", "model", "--env", "staging"], 2, "asset name '../evil'"),
        (
            ["model", "register", "ranker", "model", "--env", "staging", "--metric", "auc=nan"],
            2,
            "--metric auc=nan: expected a finite number",
        ),
        (
            ["model", "register", "ranker", "model", "--env", "staging", "--metric", "auc=good"],
            2,
            "expected a finite number, got 'good'",
        ),
        (["model", "register", "ranker", "model", "--env", "staging", "--run", "../x"], 2, "--run '../x'"),
        (["model", "register", "ranker", "model", "--env", "nowhere"], 4, "no environment 'nowhere'"),
        (["model", "show", "staging/ranker:9"], 4, "staging/ranker has no version 9"),
        (["model", "show", "staging/ranker@gone"], 4, "has no alias 'gone'"),
        (["model", "alias", "set", "ranker", "1", "Bad_Alias", "--env", "staging"], 2, "alias 'Bad_Alias'"),
        (["model", "download", "staging/ranker", "taken"], 5, "the folder is not empty"),
        (["model", "download", "staging/ranker", "taken/x/inside"], 2, "DEST taken/x/inside: cannot create"),
        (["model", "show", "staging/ranker:99999999999"], 2, "at most 2147483647"),
        (["model", "show", "/ranker"], 2, "reference '/ranker': environment '' is not a valid"),
        (["promotion", "show", "99999999999"], 2, "promotion id 99999999999"),
        (["verify", "staging/ranker:9"], 4, "no version 9"),
        (
            ["model", "show", "staging/ranker:1", "--env", "production"],
            2,
            "staging/ranker:1 names environment staging, but --env says production",
        ),
        (["verify", "staging/ranker:1", "--env", "production"], 2, "but --env says production: give one of them"),
        (["model", "download", "staging/ranker", "fresh", "--env", "development"], 2, "names environment staging"),
        (["rollback", "ranker", "--env", "staging", "--alias", "champion"], 4, "has no alias 'champion'"),
    ],
)
def test_cli_errors(cli_project, args, code, message):
    project, store_url = cli_project
    result = run_cli(project, store_url, "alice", *args)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_cli_symlink_out_of_folder_is_refused(project):
    store_url = f"sqlite:///{project / 'store.db'}"
    os.symlink(project.parent / "outside.txt", project / "model" / "leak")
    result = run_cli(project, store_url, "alice", "model", "register", "ranker", "model", "--env", "staging")
    assert result.returncode == 2
    assert "symlink leaves the uploaded folder" in result.stderr
    listed = run_cli(project, store_url, "alice", "model", "list", "--json")
    assert listed.stdout.strip() == "[]"


def test_cli_json_reads(project):
    store_url = f"sqlite:///{project / 'store.db'}"
    import json

    run_cli(
        project,
        store_url,
        "alice",
        "model",
        "register",
        "ranker",
        "model",
        "--env",
        "staging",
        "--metric",
        "auc=0.5",
    )
    shown = json.loads(
        run_cli(project, store_url, "alice", "model", "show", "staging/ranker", "--json").stdout
    )
    assert shown["metrics"] == {"auc": 0.5} and shown["files"][0]["path"] == "w.bin"


def test_cli_dataset_group(project):
    store_url = f"sqlite:///{project / 'store.db'}"
    made = run_cli(
        project,
        store_url,
        "alice",
        "dataset",
        "register",
        "features",
        "model",
        "--env",
        "development",
        "--tag",
        "source=warehouse",
    )
    assert made.returncode == 0 and "registered development/features:1" in made.stdout, made.stderr
    shown = run_cli(project, store_url, "alice", "dataset", "show", "development/features", "--json")
    assert '"source": "warehouse"' in shown.stdout
    wrong = run_cli(project, store_url, "alice", "model", "show", "development/features")
    assert wrong.returncode == 4 and "development/features is a dataset, not a model" in wrong.stderr
