"""Progress labels carry file names; a name that looks like Rich markup is shown, not interpreted."""

import io

from rich.console import Console

from stageward.cli.progress import RichProgress


def test_a_markup_like_file_name_is_shown_as_written():
    screen = io.StringIO()
    progress = RichProgress(Console(file=screen, force_terminal=True, width=120))
    progress.start("upload [/x] weights.bin", total=10)  # '[/x]' is a closing tag with no opener for Rich
    progress.advance(10)
    progress.finish()
    assert "[/x]" in screen.getvalue()
