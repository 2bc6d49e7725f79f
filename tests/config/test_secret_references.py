"""`${secret:NAME}` against the real secret store: masked in show, revealed only when permitted, checked."""

from __future__ import annotations

import json

import pytest

from stageward.errors import Denied

CANARY = "canary-cfg-51e0-DO-NOT-LEAK"
DB = "db:\n  password: ${secret:DB_PASSWORD}\n  url: postgres://ml:${secret:DB_PASSWORD}@db/ml\n"


@pytest.fixture
def with_secret(conf, client_for):
    conf("production/db.yaml", DB)
    client_for("alice").call("secrets.set", env="production", name="DB_PASSWORD", value=CANARY)


def test_show_masks_a_set_secret_and_never_carries_its_value(with_secret, client_for):
    shown = client_for("alice").call("config.show", env="production", explain=True)
    assert shown["config"]["db"] == {"password": "***", "url": "postgres://ml:***@db/ml"}
    assert CANARY not in json.dumps(shown)


def test_reveal_gives_the_value_and_audits_names_only(with_secret, client_for):
    alice = client_for("alice")
    revealed = alice.call("config.reveal", env="production")
    assert revealed["config"]["db"]["url"] == f"postgres://ml:{CANARY}@db/ml"
    entries = alice.call("audit.export")
    assert CANARY not in json.dumps(entries)
    reveal = [e for e in entries if e["action"] == "secrets.reveal"][-1]
    assert reveal["details"]["secrets"][0]["name"] == "DB_PASSWORD"
    assert reveal["details"]["via"] == "config.reveal"


def test_reveal_is_denied_without_secrets_read_value(with_secret, client_for):
    alice, bob = client_for("alice"), client_for("bob")
    alice.call("access.grant", principal="bob", role="developer", env="production")
    assert bob.call("config.show", env="production")["config"]["db"]["password"] == "***"
    with pytest.raises(Denied, match="bob lacks secrets.read_value in production"):
        bob.call("config.reveal", env="production")


def test_check_reports_a_reference_to_a_secret_missing_in_that_environment(conf, client_for):
    alice = client_for("alice")
    conf("staging/db.yaml", DB)
    conf("production/db.yaml", DB)
    alice.call("secrets.set", env="production", name="DB_PASSWORD", value=CANARY)
    findings = alice.call("config.check")["findings"]
    missing = [f for f in findings if "DB_PASSWORD" in f["message"]]
    assert [f["environment"] for f in missing] == ["staging"]
    assert CANARY not in json.dumps(findings)
