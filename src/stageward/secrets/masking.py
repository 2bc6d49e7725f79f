"""Masking secret values in captured output, even when a value arrives split across chunks.

A run's output is read in chunks of whatever size the pipe delivers, so a value can
straddle two reads. The masker holds back the shortest tail that could still grow
into a value and releases it only when the next chunk shows it does not; what it
emits never contains a value or the start of one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import AnyStr, Generic

MASK = "***"


class _Masker(Generic[AnyStr]):
    def __init__(self, values: Iterable[AnyStr], mask: AnyStr) -> None:
        # Longest first: when one value starts another, the longer one is masked whole.
        self._values: list[AnyStr] = sorted({v for v in values if v}, key=len, reverse=True)
        self._mask: AnyStr = mask
        self._pattern: re.Pattern[AnyStr] | None = None
        if self._values:
            bar: AnyStr = "|" if isinstance(mask, str) else b"|"
            self._pattern = re.compile(bar.join(re.escape(v) for v in self._values))
        self._pending: AnyStr = mask[:0]

    def _held_back(self, text: AnyStr) -> int:
        """Length of the longest tail of TEXT that is a proper prefix of some value."""
        longest = 0
        for value in self._values:
            first = value[:1]
            start = max(len(text) - len(value) + 1, 0)
            while True:
                at = text.find(first, start)
                if at == -1:
                    break
                tail = len(text) - at
                if tail <= longest:
                    break
                if value.startswith(text[at:]):
                    longest = tail
                    break
                start = at + 1
        return longest

    def feed(self, chunk: AnyStr) -> AnyStr:
        """The part of the output so far that is safe to show, values replaced by the mask."""
        if self._pattern is None:
            return chunk
        text = self._pending + chunk
        cut = len(text) - self._held_back(text)
        out: list[AnyStr] = []
        position = 0
        for match in self._pattern.finditer(text):
            if match.start() >= cut:
                break
            out.append(text[position : match.start()])
            out.append(self._mask)
            position = match.end()
        safe_end = max(position, cut)
        out.append(text[position:safe_end])
        self._pending = text[safe_end:]
        return self._mask[:0].join(out)

    def flush(self) -> AnyStr:
        """The rest, at the end of the output: a held-back tail that never became a value."""
        rest, self._pending = self._pending, self._mask[:0]
        if self._pattern is None:
            return rest
        return self._pattern.sub(lambda _: self._mask, rest)


class StreamMasker(_Masker[str]):
    """Masks text output: `feed()` each chunk, `flush()` at the end."""

    def __init__(self, values: Iterable[str], mask: str = MASK) -> None:
        super().__init__(values, mask)


class BytesStreamMasker(_Masker[bytes]):
    """Masks raw output bytes: values are matched as their UTF-8 encoding."""

    def __init__(self, values: Iterable[str], mask: bytes = MASK.encode()) -> None:
        super().__init__((v.encode("utf-8") for v in values), mask)


def mask_text(text: str, values: Iterable[str], mask: str = MASK) -> str:
    """Mask a whole text at once."""
    masker = StreamMasker(values, mask)
    return masker.feed(text) + masker.flush()
