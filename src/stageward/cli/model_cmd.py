"""stageward model register|list|show|download|alias set|alias history|rollback"""

from __future__ import annotations

from stageward.cli.assets_cmd import make_app

app = make_app("model")
