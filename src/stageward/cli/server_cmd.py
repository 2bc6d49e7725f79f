"""stageward server"""

from __future__ import annotations

from pathlib import Path

import typer

from stageward.errors import BadInput


def server(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes (they share only the store)."),
) -> None:
    """Serve the REST API over this project's store (docs/server.md); clients use STAGEWARD_URL and an API key."""
    try:
        import fastapi  # noqa: F401 (imported here to name what is missing before anything starts)
        import prometheus_client  # noqa: F401
        import uvicorn  # noqa: F401
    except ModuleNotFoundError as exc:
        raise BadInput(
            f"stageward server needs {exc.name}, which is not installed",
            hint="pip install 'stageward[server]'",
        ) from None
    from stageward.server.run import serve

    serve(host=host, port=port, workers=workers, project_dir=Path.cwd())
