"""What the engine asks of a forward implementation, and the choice between the two it has.

A step is a list of segments: (slot, new token ids, position of the first). A decoding request
contributes one token, a request in prefill a chunk of its prompt; the runner returns the
logits at each segment's last token and keeps every slot's KV between steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import torch

    from .loader import LoadedModel
    from .prefix import PrefixStore

RUNNER_KINDS = ("auto", "lean", "hf")


@dataclass(slots=True)
class Segment:
    slot: int
    ids: list[int]
    start: int  # position of ids[0] in the sequence


class Runner(Protocol):
    """A forward over per-slot KV; the engine owns slot numbering, the runner the KV itself."""

    @property
    def prefix(self) -> PrefixStore | None:
        """Shared prompt-prefix KV; None for a runner that cannot restore KV into a slot."""
        ...

    def step(self, segs: list[Segment]) -> torch.Tensor:
        """Run one batch of segments; -> logits [len(segs), vocab] at each segment's last token."""
        ...

    def release(self, slot: int) -> None:
        """Forget the slot's KV; the slot serves another request next."""
        ...

    def shrink(self) -> None:
        """Give back memory grown for long sequences; called while no request is live."""
        ...

    def reuse_prefix(self, slot: int, prompt: list[int]) -> int:
        """Fill an empty slot with cached KV of the prompt's longest known prefix; -> tokens."""
        ...

    def remember_prefix(self, slot: int, prompt: list[int]) -> None:
        """Offer the KV of a fully prefilled prompt to later requests sharing its prefix."""
        ...


def make_runner(lm: LoadedModel, kind: str, slots: int, max_len: int, prefix_tokens: int) -> Runner:
    """The lean Llama forward where the architecture allows it, else the generic HF runner."""
    from . import llama

    if kind not in RUNNER_KINDS:
        raise ValueError(f"runner must be 'auto', 'lean' or 'hf', got {kind!r}")
    if kind != "hf" and llama.supports(lm.model):
        return llama.LlamaRunner(lm.model, slots, max_len, prefix_tokens)
    if kind == "lean":
        raise ValueError(f"the lean runner supports Llama-family models, not {lm.name}")
    from .hf_runner import HFRunner

    return HFRunner(lm.model, slots, max_len)
