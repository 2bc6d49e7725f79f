"""Where the master key file lives when STAGEWARD_MASTER_KEY is not set."""

from __future__ import annotations

from pathlib import Path

from stageward.project.loader import load_project
from stageward.service.context import Context
from stageward.service.secrets import master_key_file


def _context(project_root: Path, store_url: str, **environ: str) -> Context:
    return Context(
        project=load_project(project_root / "stageward.yaml"), principal="alice", store_url=store_url, environ=environ
    )


def test_next_to_the_sqlite_file(project_root: Path):
    ctx = _context(project_root, f"sqlite:///{project_root}/.stageward/stageward.db")
    assert master_key_file(ctx) == project_root / ".stageward" / "master.key"


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
