"""The SQL store: tables, migrations, transactions and repositories.

Import submodules directly (`stageward.store.db.engine`); this package imports
nothing, so the quick SQLite reader can load without SQLAlchemy.
"""
