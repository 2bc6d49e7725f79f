"""Tables print data as it is: "[/x]" crashed the CLI (Rich MarkupError), "[bold]B[/bold]" lost its brackets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

STAGEWARD = str(Path(sys.executable).parent / "stageward")


def test_config_values_that_look_like_rich_markup_print_verbatim(tmp_path: Path):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ.update(STAGEWARD_USER="alice", COLUMNS="200")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([STAGEWARD, *args], cwd=tmp_path, env=environ, capture_output=True, text=True)

    assert run("init", "--project", "lp-x").returncode == 0
    (tmp_path / "conf" / "development" / "main.yaml").write_text('a: "[/x]"\nb: "[bold]B[/bold] :smile:"\n')
    for args in (("config", "show", "--env", "development", "--explain"), ("config", "diff", "development", "staging")):
        result = run(*args)
        assert result.returncode == 0, result.stderr
        assert "[/x]" in result.stdout and "[bold]B[/bold] :smile:" in result.stdout
