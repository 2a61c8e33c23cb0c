"""Engine-side state of one admitted request: its slot, prompt cursor, tokens and text stream."""

from __future__ import annotations

import time

import torch

from .detok import TextStream
from .request import RequestHandle, Result
from .sampling import make_generator


class Sequence:
    def __init__(self, handle: RequestHandle, slot: int, tokenizer, device: torch.device) -> None:
        self.handle = handle
        self.params = handle.params
        self.slot = slot
        self.prompt = handle.prompt_ids
        self.cursor = 0  # prompt tokens already in the KV cache
        self.tokens: list[int] = []
        self.stream = TextStream(tokenizer, self.prompt, self.params.stop)
        self.generator = make_generator(self.params, device)
        self.text = ""  # exactly what was streamed, so result.text == "".join(pieces)
        self.first_token_at: float | None = None
        self.finish_reason: str | None = None
        self.error: str | None = None

    @property
    def prefilling(self) -> bool:
        return self.cursor < len(self.prompt)

    @property
    def length(self) -> int:
        """Tokens in the sequence so far (prompt + generated)."""
        return len(self.prompt) + len(self.tokens)

    def emit(self, piece: str) -> None:
        if not piece or self.finish_reason == "error":
            return
        self.text += piece
        self.handle._push(piece)
        if self.handle.on_text is not None:
            try:
                self.handle.on_text(piece)
            except Exception as exc:  # noqa: BLE001 - a bad callback fails its own request only
                self.fail(f"on_text callback raised {type(exc).__name__}: {exc}")

    def fail(self, message: str) -> None:
        self.finish_reason, self.error = "error", message

    def accept(self, token: int, eos: frozenset[int], max_context: int) -> None:
        """Take one generated token; set finish_reason when the request is done."""
        if self.first_token_at is None:
            self.first_token_at = time.perf_counter()
        self.tokens.append(token)
        if token in eos and not self.params.ignore_eos:
            self.finish_reason = "stop"
            return
        self.emit(self.stream.add(token))
        if self.finish_reason:
            return
        if self.stream.stopped:
            self.finish_reason = "stop"
        elif len(self.tokens) >= self.params.max_new_tokens or self.length >= max_context:
            self.finish_reason = "length"

    def result(self) -> Result:
        if self.finish_reason != "error":
            self.emit(self.stream.finish())
        start = self.handle.submitted_at
        ttft = None if self.first_token_at is None else self.first_token_at - start
        return Result(
            text=self.text,
            finish_reason=self.finish_reason or "cancelled",
            prompt_tokens=len(self.prompt),
            completion_tokens=len(self.tokens),
            ttft_s=ttft,
            total_s=time.perf_counter() - start,
            error=self.error,
            token_ids=list(self.tokens),
        )
