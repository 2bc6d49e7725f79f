"""A store made before projects existed upgrades in place: what it held becomes its founding project's."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from stageward.store.db.engine import MIGRATIONS_DIR, open_database, sqlite_path


def _upgrade_to(url: str, revision: str) -> None:
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        conn.commit()
    engine.dispose()


def test_a_0003_store_upgrades_and_its_rows_belong_to_the_project_that_created_it(store_url: str):
    _upgrade_to(store_url, "0003")
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (sequence, time, principal, action, environment, target, outcome, details, "
                "previous_hash, hash) VALUES (1, 't', 'alice', 'store.create', NULL, 'lp-crosssell', 'ok', '{}', "
                "'0', 'h')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO assets (environment, name, kind, created_at, created_by) "
                "VALUES ('production', 'ranker', 'model', 't', 'alice')"
            )
        )
        for team in ("", "lp"):
            conn.execute(
                text(
                    "INSERT INTO secrets (environment, team, name, current_version, created_at, created_by) "
                    "VALUES ('production', :team, 'TOKEN', 1, 't', 'alice')"
                ),
                {"team": team},
            )
        conn.execute(
            text(
                "INSERT INTO role_bindings (principal, role, environment, granted_at, granted_by) "
                "VALUES ('bob', 'developer', 'staging', 't', 'alice')"
            )
        )
    engine.dispose()
    database = open_database(store_url)
    try:
        with database.transaction(write=False) as conn:
            assert conn.execute(text("SELECT project FROM assets")).scalar_one() == "lp-crosssell"
            rows = conn.execute(text("SELECT team, project FROM secrets ORDER BY team")).all()
            assert [tuple(r) for r in rows] == [("", "lp-crosssell"), ("lp", "")]
            assert conn.execute(text("SELECT scope FROM role_bindings")).scalar_one() == ""
            # The new uniqueness: the same name may now stand in two projects of one environment.
            conn.execute(
                text(
                    "INSERT INTO assets (environment, name, kind, created_at, created_by, project) "
                    "VALUES ('production', 'ranker', 'model', 't', 'mallory', 'ml-churn')"
                )
            )
    finally:
        database.dispose()
