"""Where the master key file lives when STAGEWARD_MASTER_KEY is not set."""

from __future__ import annotations

from pathlib import Path

from stageward.project.loader import load_project
from stageward.service.context import Context
from stageward.service.keyring import master_key_file


def _context(project_root: Path, store_url: str, **environ: str) -> Context:
    return Context(
        project=load_project(project_root / "stageward.yaml"), principal="alice", store_url=store_url, environ=environ
    )


def test_sqlite_keys_live_in_the_config_folder_not_beside_the_database(project_root: Path, tmp_path: Path):
    """A copy of `.stageward/` must not carry the key that opens it."""
    config = tmp_path / "cfg"

    def where(url: str) -> Path:
        return master_key_file(_context(project_root, url, XDG_CONFIG_HOME=str(config)))

    default = where(f"sqlite:///{project_root}/.stageward/stageward.db")
    assert default.parent == config / "stageward" and default.name.startswith("master-")
    assert where(f"sqlite:///{project_root}/.stageward/../.stageward/stageward.db") == default  # resolved path
    assert where(f"sqlite:///{tmp_path}/copy/.stageward/stageward.db") != default


def test_a_store_made_before_the_key_moved_keeps_its_key_beside_the_database(project_root: Path, tmp_path: Path):
    url = f"sqlite:///{project_root}/.stageward/stageward.db"
    environ = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    legacy = project_root / ".stageward" / "master.key"
    legacy.parent.mkdir()
    legacy.write_text("k")
    assert master_key_file(_context(project_root, url, **environ)) == legacy
    legacy.unlink()
    default = master_key_file(_context(project_root, url, **environ))
    assert default.parent == tmp_path / "cfg" / "stageward"
    legacy.write_text("k")
    default.parent.mkdir(parents=True)
    default.write_text("k")
    assert master_key_file(_context(project_root, url, **environ)) == default  # the new place wins once it exists


def test_an_explicit_file_wins(project_root: Path, tmp_path: Path):
    ctx = _context(project_root, "sqlite:///x.db", STAGEWARD_MASTER_KEY_FILE=str(tmp_path / "k"))
    assert master_key_file(ctx) == tmp_path / "k"


def test_one_file_per_postgres_store_under_the_config_folder(project_root: Path, tmp_path: Path):
    def where(url: str) -> Path:
        return master_key_file(_context(project_root, url, XDG_CONFIG_HOME=str(tmp_path / "cfg")))

    first = where("postgresql+psycopg://sw:pw1@db.internal:5432/stageward")
    assert first.parent == tmp_path / "cfg" / "stageward" and first.name.startswith("master-")
    assert where("postgresql+psycopg://sw:other-password@db.internal:5432/stageward") == first  # password ignored
    assert where("postgresql+psycopg://sw@db.internal:5432/another") != first
    home = master_key_file(_context(project_root, "postgresql+psycopg://sw@h/db", HOME=str(tmp_path / "home")))
    assert home.parent == tmp_path / "home" / ".config" / "stageward"


def _cli(*args: str, cwd: Path, stdin: str | None = None, **env: str):
    import os
    import subprocess
    import sys

    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ.update({"STAGEWARD_USER": "alice", **env})
    stageward = str(Path(sys.executable).parent / "stageward")
    return subprocess.run([stageward, *args], cwd=cwd, env=environ, input=stdin, capture_output=True, text=True)


def test_init_says_where_the_key_will_live(tmp_path: Path, private_config_home: Path):
    import json

    for folder in "abc":
        (tmp_path / folder).mkdir()
    made = _cli("init", "--project", "lp-x", "--json", cwd=tmp_path / "a")
    where = Path(json.loads(made.stdout)["master_key"])
    assert where.parent == private_config_home / "stageward"
    said = _cli("init", "--project", "lp-x", cwd=tmp_path / "b").stdout.splitlines()
    key_b = said[1].removeprefix("master key: ").split(" ")[0]
    assert said[1] == f"master key: {key_b} (made on first use); back it up apart from the store, never commit it"
    assert _cli("secrets", "set", "DB", "--env", "production", cwd=tmp_path / "b", stdin="v").returncode == 0
    assert Path(key_b).is_file() and not (tmp_path / "b" / ".stageward" / "master.key").exists()
    from_variable = _cli("init", "--project", "lp-x", cwd=tmp_path / "c", STAGEWARD_MASTER_KEY="x").stdout
    assert from_variable.splitlines()[1] == (
        "master key: taken from STAGEWARD_MASTER_KEY; keep a backup of it apart from the store, never commit it"
    )


def test_a_store_with_its_key_beside_the_database_keeps_working(tmp_path: Path, private_config_home: Path):
    legacy = tmp_path / ".stageward" / "master.key"
    assert _cli("init", "--project", "lp-x", cwd=tmp_path).returncode == 0
    made = _cli(
        "secrets", "set", "DB", "--env", "production", cwd=tmp_path, stdin="v", STAGEWARD_MASTER_KEY_FILE=str(legacy)
    )
    assert made.returncode == 0 and legacy.is_file()
    read = _cli("secrets", "get", "DB", "--env", "production", cwd=tmp_path)  # no variable: the old place is used
    assert (read.returncode, read.stdout, read.stderr) == (0, "v", "")
    assert not (private_config_home / "stageward").exists()  # and no second key was made
