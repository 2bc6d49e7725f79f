"""The SQL store: tables, migrations, transactions and repositories."""

from stageward.store.db.engine import Database, open_database

__all__ = ["Database", "open_database"]
