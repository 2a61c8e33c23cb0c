"""Incremental detokenisation with stop strings.

Decoding token by token breaks multi-byte characters (a Chinese character or an emoji is often
split over 2-4 byte-level tokens), so text is released only once a window decodes without a
trailing U+FFFD. Text that could still grow into a stop string is held back, so a stop string
is never streamed even when it spans several tokens.
"""

from __future__ import annotations

from typing import Any

_REPLACEMENT = "\ufffd"


class TextStream:
    def __init__(self, tokenizer: Any, prompt_ids: list[int], stop: tuple[str, ...]) -> None:
        self.tok = tokenizer
        # A little prompt context keeps tokenizers that strip a leading space (SentencePiece)
        # decoding the first generated token exactly as it reads in the full text.
        self.ids: list[int] = list(prompt_ids[-4:])
        self.prefix_offset = 0
        self.read_offset = len(self.ids)
        self.stop = stop
        self.max_stop = max((len(s) for s in stop), default=0)
        self.text = ""  # everything decoded so far, stop string excluded
        self.emitted = 0  # how much of self.text has gone out as pieces
        self.stopped = False

    def _decode(self, ids: list[int]) -> str:
        return self.tok.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)

    def add(self, token_id: int) -> str:
        """Feed one generated token; return the text that is now safe to emit (maybe "")."""
        if self.stopped:
            return ""
        self.ids.append(token_id)
        prefix = self._decode(self.ids[self.prefix_offset : self.read_offset])
        full = self._decode(self.ids[self.prefix_offset :])
        if len(full) <= len(prefix) or full.endswith(_REPLACEMENT):
            return ""  # mid-character, or a token that renders as nothing yet
        delta = full[len(prefix) :]
        self.prefix_offset, self.read_offset = self.read_offset, len(self.ids)
        return self._append(delta)

    def _append(self, delta: str) -> str:
        start = max(0, len(self.text) - self.max_stop + 1)
        self.text += delta
        if self.stop:
            hits = [i for s in self.stop if (i := self.text.find(s, start)) >= 0]
            if hits:
                self.text = self.text[: min(hits)]
                self.stopped = True
                return self._release(len(self.text))
            return self._release(len(self.text) - self._held_back())
        return self._release(len(self.text))

    def _held_back(self) -> int:
        """Length of the longest tail of the text that is a proper prefix of a stop string."""
        tail = self.text[-(self.max_stop - 1) :] if self.max_stop > 1 else ""
        for n in range(len(tail), 0, -1):
            if any(s.startswith(tail[-n:]) for s in self.stop):
                return n
        return 0

    def _release(self, upto: int) -> str:
        piece = self.text[self.emitted : upto]
        self.emitted = max(self.emitted, upto)
        return piece

    def finish(self) -> str:
        """Flush held-back text at the end; an unfinished multi-byte tail is dropped."""
        piece = ""
        if not self.stopped and self.read_offset < len(self.ids):
            prefix = self._decode(self.ids[self.prefix_offset : self.read_offset])
            full = self._decode(self.ids[self.prefix_offset :]).rstrip(_REPLACEMENT)
            if len(full) > len(prefix):
                piece = self._append(full[len(prefix) :])
        return piece + self._release(len(self.text))
