"""The masker on its own: values replaced by *** in output, whichever way the output is chunked."""

from __future__ import annotations

import random

import pytest

from stageward.secrets.masking import BytesStreamMasker, StreamMasker, mask_text

VALUE = "hunter2-Secret"


def _through(masker: StreamMasker, chunks: list[str]) -> str:
    return "".join(masker.feed(chunk) for chunk in chunks) + masker.flush()


def test_a_whole_value_is_masked():
    assert mask_text(f"password={VALUE}; again {VALUE}.", [VALUE]) == "password=***; again ***."


@pytest.mark.parametrize("split", range(1, len(VALUE)))
def test_a_value_split_across_two_chunks_is_masked(split: int):
    text = f"connecting with {VALUE} now"
    at = text.index(VALUE) + split
    out = _through(StreamMasker([VALUE]), [text[:at], text[at:]])
    assert out == "connecting with *** now"


def test_a_value_fed_one_character_at_a_time_never_shows_a_prefix():
    masker = StreamMasker([VALUE])
    emitted = ""
    for char in f"a {VALUE} b":
        emitted += masker.feed(char)
        assert "hunt" not in emitted  # nothing of the value goes out before we know it is not the value
    assert emitted + masker.flush() == "a *** b"


def test_a_prefix_that_never_completes_is_released_whole():
    masker = StreamMasker([VALUE])
    assert masker.feed("x hunter") == "x "
    assert masker.feed("9 y") == "hunter9 y"
    assert masker.feed("hunt") == ""
    assert masker.flush() == "hunt"


def test_the_longer_of_two_overlapping_values_is_masked_whole():
    out = _through(StreamMasker(["abc", "abcdef"]), ["xxab", "cde", "f yy ab", "c!"])
    assert out == "xx*** yy ***!"


def test_bytes_output_is_masked_as_utf8():
    masker = BytesStreamMasker(["pässwörd"])
    data = "log: pässwörd\n".encode()
    out = masker.feed(data[:8]) + masker.feed(data[8:]) + masker.flush()
    assert out == b"log: ***\n"


def test_no_values_passes_output_through_unchanged():
    masker = StreamMasker(["", ""])
    assert masker.feed("anything") == "anything" and masker.flush() == ""


def test_any_chunking_gives_the_same_output_as_masking_the_whole_text():
    rng = random.Random(20261125)
    for _ in range(2000):
        values = ["".join(rng.choice("ab") for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(1, 3))]
        text = "".join(rng.choice("abc") for _ in range(rng.randint(0, 40)))
        masker = StreamMasker(values)
        out, position = "", 0
        while position < len(text):
            size = rng.randint(1, 5)
            out += masker.feed(text[position : position + size])
            position += size
        out += masker.flush()
        assert out == mask_text(text, values), (values, text)
        for value in values:
            # What remains of a value in the output can only be a piece the mask did not cover.
            assert value not in out.replace("***", "\0") or value not in text
