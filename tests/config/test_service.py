"""The config verbs through the Client on SQLite and PostgreSQL: access, masking, reveal, diff, export."""

from __future__ import annotations

import re

import pytest
import yaml

from stageward.errors import Denied, NotFound
from stageward.service.config import digest_for, resolve_for

DB = "db:\n  password: ${secret:DB_PASSWORD}\n  url: postgres://ml:${secret:DB_PASSWORD}@db/ml\n"


def test_show_masks_every_secret_reference_and_explains_origins(conf, client_for):
    conf("production/db.yaml", DB)
    result = client_for("alice").call("config.show", env="production", explain=True)
    assert result["config"]["db"] == {"password": "***", "url": "postgres://ml:***@db/ml"}
    rows = {row["key"]: row for row in result["explain"]}
    assert rows["db.url"]["origin"] == "conf/production/db.yaml:3"
    assert rows["db.url"]["references"] == ["${secret:DB_PASSWORD}"]
    assert rows["paths.models"]["references"] == ["${data.root}"]
    assert result["digest"].startswith("sha256:")


def test_show_needs_config_read_and_the_denial_is_audited(conf, client_for):
    with pytest.raises(Denied, match=re.escape("bob lacks config.read in production")):
        client_for("bob").call("config.show", env="production")
    entries = client_for("alice").call("audit.list", env="production")
    assert entries[-1]["action"] == "config.show" and entries[-1]["outcome"] == "denied"


def test_reveal_needs_secrets_read_value_exit_3_and_audited(conf, client_for):
    alice, bob = client_for("alice"), client_for("bob")
    alice.call("access.grant", principal="bob", role="developer", env="production")
    assert bob.call("config.show", env="production")["config"]["training"]["lr"] == 0.01
    with pytest.raises(Denied) as caught:
        bob.call("config.reveal", env="production")
    assert caught.value.exit_code == 3
    assert caught.value.message == "denied: bob lacks secrets.read_value in production"
    last = alice.call("audit.list", env="production")[-1]
    assert (last["principal"], last["action"], last["outcome"]) == ("bob", "config.reveal", "denied")


def test_reveal_of_a_secret_never_set_names_it(conf, client_for):
    conf("production/db.yaml", DB)
    with pytest.raises(NotFound, match="no secret DB_PASSWORD in production"):
        client_for("alice").call("config.reveal", env="production")


def test_reveal_with_nothing_secret_is_audited_with_names_only(conf, client_for):
    alice = client_for("alice")
    result = alice.call("config.reveal", env="production")
    assert result["config"]["training"]["lr"] == 0.01
    last = alice.call("audit.list", env="production")[-1]
    assert (last["action"], last["outcome"], last["target"]) == ("config.reveal", "ok", "config")


def test_set_overrides_through_the_verb(conf, client_for):
    result = client_for("alice").call("config.show", env="staging", overrides=["training.lr=0.3"])
    assert result["config"]["training"]["lr"] == 0.3


def test_diff_marks_intentional_differences(conf, client_for):
    conf("staging/main.yaml", "training:\n  epochs: 3\n  lr: 0.02\ndata:\n  sample_fraction: 0.5\n")
    conf("production/main.yaml", "training:\n  epochs: 30\nextra: 1\n")
    result = client_for("alice").call("config.diff", env_a="staging", env_b="production")
    rows = {row["key"]: row for row in result["differences"]}
    assert rows["training.epochs"]["intentional"] is True
    assert (rows["training.epochs"]["staging"], rows["training.epochs"]["production"]) == (3, 30)
    assert rows["data.sample_fraction"]["intentional"] is True
    assert rows["training.lr"]["intentional"] is False
    assert rows["extra"]["only_in"] == "production"
    assert set(rows) == {"training.epochs", "training.lr", "data.sample_fraction", "extra"}


def test_diff_needs_config_read_in_both(conf, client_for):
    alice, bob = client_for("alice"), client_for("bob")
    alice.call("access.grant", principal="bob", role="viewer", env="staging")
    with pytest.raises(Denied, match=re.escape("bob lacks config.read in production")):
        bob.call("config.diff", env_a="staging", env_b="production")


def test_export_k8s_is_a_configmap_and_a_secret_of_references(conf, client_for):
    conf("production/db.yaml", DB)
    text = client_for("alice").call("config.export", env="production", format="k8s")["text"]
    documents = list(yaml.safe_load_all(text))
    assert [d["kind"] for d in documents] == ["ConfigMap", "Secret"]
    for document in documents:
        assert document["apiVersion"] == "v1"
        assert set(document["metadata"]) >= {"name", "labels", "annotations"}
        assert len(document["metadata"]["name"]) <= 253
        assert all(c.isalnum() or c == "-" for c in document["metadata"]["name"])
    config_map, secret = documents
    assert all(isinstance(v, str) for v in config_map["data"].values())
    assert all(k.replace("_", "").isalnum() for k in config_map["data"])
    assert config_map["data"]["CROSSSELL_TRAINING__LR"] == "0.01"
    assert config_map["data"]["CROSSSELL_TRAINING__LAYERS"] == "[64, 32]"
    assert "CROSSSELL_DB__PASSWORD" not in config_map["data"]
    assert secret["type"] == "Opaque"
    assert secret["stringData"] == {
        "CROSSSELL_DB__PASSWORD": "${secret:DB_PASSWORD}",
        "CROSSSELL_DB__URL": "postgres://ml:${secret:DB_PASSWORD}@db/ml",
    }


def test_export_dotenv_reads_back_as_the_same_config(conf, client_for, resolved):
    conf(
        "production/main.yaml",
        "labels:\n  version: '1.0'\n  quote: it's\n  empty: ''\n  none: null\n  yes_word: 'yes'\n",
    )
    text = client_for("alice").call("config.export", env="production", format="dotenv")["text"]
    environ = {}
    for line in text.splitlines()[1:]:
        name, _, value = line.partition("=")
        if value.startswith("'"):
            environ[name] = value[1:-1]
        else:
            environ[name] = value[1:-1].encode().decode("unicode_escape").replace("\\$", "$")
    assert resolved("production", environ=environ).values == resolved("production").values


def test_export_json(conf, client_for):
    import json

    text = client_for("alice").call("config.export", env="production", format="json")["text"]
    assert json.loads(text)["paths"]["models"] == "/srv/data/models"


def test_digest_for_is_the_digest_show_reports(conf, context_for, client_for):
    from stageward.service.catalogue import lookup
    from stageward.service.unit import Unit

    conf("production/db.yaml", DB)
    shown = client_for("alice").call("config.show", env="production")["digest"]
    ctx = context_for("alice")
    with ctx.database.transaction(write=False) as conn:
        unit = Unit(ctx, conn, lookup("config.show"))
        assert digest_for(unit, "production") == shown
        assert resolve_for(unit, "production").values["db"]["password"] == "${secret:DB_PASSWORD}"


def test_show_masks_values_under_secret_like_keys_whatever_they_were_written_as(conf, context_for):
    from stageward.client import Client, LocalTransport
    from stageward.testing import make_context

    conf(
        "production/api.yaml",
        "api:\n  token: ${env:API_TOKEN}\n  retries: 3\ncredentials:\n  user: ml\n  enabled: true\n",
    )
    ctx = context_for("alice")
    local = make_context(ctx.project.root, store_url=ctx.store_url, environ={**ctx.environ, "API_TOKEN": "tok-123"})
    client = Client(LocalTransport(context=local))
    try:
        shown = client.call("config.show", env="production")["config"]
        assert shown["api"] == {"token": "***", "retries": 3}
        assert shown["credentials"] == {"user": "***", "enabled": True}
        assert client.call("config.reveal", env="production")["config"]["api"]["token"] == "tok-123"
        text = client.call("config.export", env="production", format="k8s")["text"]
        config_map, secret = list(yaml.safe_load_all(text))
        assert "CROSSSELL_API__TOKEN" not in config_map["data"]
        assert (
            secret["stringData"]["CROSSSELL_API__TOKEN"] == "${env:API_TOKEN}"
        )  # a reference, not the value
        assert config_map["data"]["CROSSSELL_API__RETRIES"] == "3"
    finally:
        local.close()


def test_dotenv_and_json_export_secret_like_keys_as_written(conf, context_for):
    import json

    from stageward.client import Client, LocalTransport
    from stageward.testing import make_context

    conf("production/api.yaml", "api:\n  token: ${env:API_TOKEN}\n  host: ${env:API_HOST}\n")
    ctx = context_for("alice")
    local = make_context(
        ctx.project.root, store_url=ctx.store_url, environ={"API_TOKEN": "tok", "API_HOST": "h"}
    )
    client = Client(LocalTransport(context=local))
    try:
        as_json = json.loads(client.call("config.export", env="production", format="json")["text"])
        assert as_json["api"] == {"token": "${env:API_TOKEN}", "host": "h"}
        dotenv = client.call("config.export", env="production", format="dotenv")["text"]
        assert "CROSSSELL_API__TOKEN='${env:API_TOKEN}'" in dotenv and "tok" not in dotenv.replace(
            "TOKEN", ""
        )
    finally:
        local.close()
