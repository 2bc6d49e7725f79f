"""The command line: a thin Typer face over the Client."""
