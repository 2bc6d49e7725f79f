"""stageward cost report"""

from __future__ import annotations

import io
import sys

import typer

from stageward.cli import render
from stageward.cli.state import call

app = typer.Typer(help="What runs cost.", no_args_is_help=True)

_BAR_WIDTH = 30


def bar(cost: float, largest: float) -> str:
    """A bar of COST against LARGEST, in eighths of a character cell."""
    if largest <= 0 or cost <= 0:
        return ""
    eighths = round(cost / largest * _BAR_WIDTH * 8)
    full, rest = divmod(max(eighths, 1), 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[rest - 1] if rest else "")


@app.command("report")
def report(
    by: str = typer.Option("env", "--by", help="env, team, project or tag."),
    tag: str | None = typer.Option(None, "--tag", help="With --by tag: the tag to group by."),
    since: str | None = typer.Option(None, "--since", help="Runs started at or after (ISO date or time)."),
    until: str | None = typer.Option(None, "--until", help="Runs started before (ISO date or time)."),
    output: str = typer.Option("table", "--format", help="table, json or csv."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the same as --format json)."),
) -> None:
    """Cost of runs grouped by environment, team, project or a tag, with a bar chart."""
    from stageward.errors import BadInput

    if output not in ("table", "json", "csv"):
        raise BadInput(f"--format {output!r}: expected table, json or csv")
    if as_json:
        # --json, as on every read command (SPEC: CLI), is --format json; with another format it is a contradiction.
        if output == "csv":
            raise BadInput("--json and --format csv: choose one")
        output = "json"
    result = call("cost.report", by=by, tag=tag, since=since, until=until)
    rows = [row.model_dump(mode="json") for row in result.rows]
    if output == "json":
        render.done("", as_json=True, data=result.model_dump(mode="json"))
        return
    if output == "csv":
        buffer = io.StringIO()
        import csv  # here, not at the top: `stageward --help` imports every command module

        writer = csv.DictWriter(buffer, fieldnames=["group", "runs", "cpu_seconds", "cost"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(buffer.getvalue())
        return
    largest = max((row["cost"] for row in rows), default=0.0)
    for row in rows:
        row["cost"] = f"{row['cost']:.4f}"
        row["share"] = bar(float(row["cost"]), largest)
    grouped = f"tag {tag}" if by == "tag" else by
    render.table(rows, ["group", "runs", "cpu_seconds", "cost", "share"], as_json=False, title=f"cost by {grouped}")
    render.done(f"total {result.total:.4f}")
