"""The matrix of 500 assets x 4 environments renders whole (benchmarks/web.py measures how fast)."""

from __future__ import annotations

from typing import Any

from stageward.web import matrix
from stageward.web.routes import _templates

ENVIRONMENTS = ["sandbox", "development", "staging", "production"]
SOURCE = {"development": "sandbox", "staging": "development", "production": "staging"}


def _overview(env: str, assets: int) -> dict[str, Any]:
    source = SOURCE.get(env)
    return {
        "env": env,
        "cursor": 0,
        "assets": [
            {
                "name": f"model-{index:04d}",
                "kind": "model",
                "latest": 2,
                "aliases": [
                    {
                        "alias": "champion",
                        # Every seventh asset's holder in production came from staging's other version.
                        "version": 1 + (index % 7 == 0 and env == "production"),
                        "promoted_from": None,
                        "promoted_from_env": source,
                        "promoted_from_name": f"model-{index:04d}" if source else None,
                        "promoted_from_version": 1 + (index % 7 == 0 and env == "production") if source else None,
                    }
                ],
            }
            for index in range(assets)
        ],
    }


def test_five_hundred_assets_in_four_environments_render_every_cell() -> None:
    overviews = {env: _overview(env, 500) for env in ENVIRONMENTS}
    # staging's @champion holds 1 everywhere, so production's holders promoted from staging:2 differ.
    rows = matrix.build(ENVIRONMENTS, overviews, kind=None, name=None)
    html = _templates().get_template("_matrix.html").render(
        environments=ENVIRONMENTS, rows=rows, errors={}, csrf="", held=None, path="/"
    )
    assert html.count('<th scope="row">') == 500
    assert html.count("data-alias=") == 2000
    assert html.count('class="alias differs"') == len(range(0, 500, 7))
    assert 'data-alias="production/model-0007@champion">@champion → 2 <span class="mark">≠ promoted from ' in html
