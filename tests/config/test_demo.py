"""The config steps of `stageward demo` run on the scaffolded project and check what they observe."""

from __future__ import annotations

from stageward.demo import run_demo


def test_the_demo_walks_the_config_steps(tmp_path, monkeypatch):
    for name in ("STAGEWARD_STORE", "STAGEWARD_URL", "STAGEWARD_ENV"):
        monkeypatch.delenv(name, raising=False)
    said: list[str] = []
    assert run_demo(tmp_path / "demo", said.append) == 0, "\n".join(said)
    text = "\n".join(said)
    assert "data.sample_fraction: intentional; data.output: own data store" in text
    planted = "exit 1: production: conf/production/main.yaml:4 data.output: file://./data/development/out"
    assert planted in text
    assert "config check: no findings in sandbox, development, staging, production" in text
