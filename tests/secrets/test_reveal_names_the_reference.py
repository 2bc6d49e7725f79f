"""config show --reveal with a reference to a secret that is not set: the error names the file:line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from stageward.errors import NotFound


def test_a_missing_secret_is_located_at_its_reference(client_for, project_root: Path):
    conf = project_root / "conf" / "production"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "main.yaml").write_text("db:\n  host: h\n  password: ${secret:DB_PASSWORD}\n", encoding="utf-8")
    with pytest.raises(NotFound) as caught:
        client_for("alice").call("config.reveal", env="production")
    assert caught.value.message == (
        "conf/production/main.yaml:3 db.password: ${secret:DB_PASSWORD}: no secret DB_PASSWORD in production"
    )
