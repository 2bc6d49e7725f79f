"""Migration 0005 (runs) upgrades a 0004 store in place, keeps its promotions, and goes back down cleanly."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

from stageward.store.db.engine import MIGRATIONS_DIR, sqlite_path


def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)
        conn.commit()
    engine.dispose()


def test_0005_adds_the_run_tables_and_a_promotions_run_and_downgrades(store_url: str):
    _migrate(store_url, "0004")
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO promotions (name, kind, source_env, source_version, target_env, alias, mode, "
                "requested_by, requested_at, state, required_approvals, gates, updated_at, project) VALUES "
                "('ranker', 'model', 'staging', 1, 'production', 'champion', 'copy', 'alice', 't', 'pending', 2, "
                "'[]', 't', 'lp')"
            )
        )
    _migrate(store_url, "0005")
    tables = set(inspect(engine).get_table_names())
    assert {"runs", "run_log_chunks", "run_metrics", "schedules", "scheduler_leases"} <= tables
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name, run_id FROM promotions")).all() == [("ranker", None)]
    engine.dispose()
    _migrate(store_url, "0004", down=True)
    engine = create_engine(store_url)
    assert "runs" not in set(inspect(engine).get_table_names())
    assert "run_id" not in {c["name"] for c in inspect(engine).get_columns("promotions")}
    engine.dispose()
