"""A delivered secret never reaches a log: plain, base64 (any alignment), URL-encoded, split across reads."""

from __future__ import annotations

import base64
from urllib.parse import quote, quote_plus

import pytest

from stageward.runs.masking import forms_of, run_masker

SECRET = "p@ss w/rd+Secret!42"


def _through(data: bytes, size: int) -> bytes:
    masker = run_masker([SECRET])
    out = b"".join(masker.feed(data[i : i + size]) for i in range(0, len(data), size))
    return out + masker.flush()


@pytest.mark.parametrize("size", [1, 2, 3, 7, 4096])
@pytest.mark.parametrize(
    "shown",
    [
        SECRET.encode(),
        base64.b64encode(SECRET.encode()),
        base64.b64encode(b"x" + SECRET.encode() + b"y"),
        base64.b64encode(b"xy:" + SECRET.encode()),
        base64.b64encode(b"ab" + SECRET.encode()),
        base64.urlsafe_b64encode(b"a" + SECRET.encode()),
        quote(SECRET, safe="").encode(),
        quote_plus(SECRET).encode(),
    ],
)
def test_no_form_of_the_secret_survives_any_split(size: int, shown: bytes):
    out = _through(b"before " + shown + b" after\n", size)
    assert out.startswith(b"before ") and out.endswith(b" after\n")
    for form in forms_of(SECRET):
        assert form.encode() not in out
    assert SECRET.encode() not in out
    assert b"***" in out


def test_binary_output_passes_through_unchanged():
    data = bytes(range(256)) * 64
    assert _through(data, 1000) == data


def test_a_short_secret_masks_only_its_plain_forms():
    assert forms_of("ab") == {"ab"}
    assert forms_of("") == set()
