"""Reuse of prompt-prefix KV across requests (the shared system prompt of every chat request).

KV is kept per block of BLOCK tokens, keyed by a hash chained over all tokens up to the block's
end (as vLLM does), so a block is found only when the whole prefix before it matches; shared
blocks are stored once. Least recently used blocks go first once the token budget is spent.
"""

from __future__ import annotations

from collections import OrderedDict

import torch

BLOCK = 4


class PrefixStore:
    def __init__(self, max_tokens: int) -> None:
        self.max_blocks = max_tokens // BLOCK
        self.blocks: OrderedDict[int, tuple[tuple[int, ...], torch.Tensor, torch.Tensor]] = (
            OrderedDict()
        )
        self.hits = self.reused_tokens = 0

    @staticmethod
    def _keys(prompt: list[int], limit: int):
        h = 0
        for end in range(BLOCK, limit + 1, BLOCK):
            block = tuple(prompt[end - BLOCK : end])
            h = hash((h, block))
            yield h, block, end

    def lookup(self, prompt: list[int]) -> tuple[int, list]:
        """-> (tokens covered, [(k, v) block tensors]); at least one prompt token is left."""
        found = []
        for key, block, _ in self._keys(prompt, len(prompt) - 1):
            entry = self.blocks.get(key)
            if entry is None or entry[0] != block:
                break
            self.blocks.move_to_end(key)
            found.append(entry[1:])
        if found:
            self.hits += 1
            self.reused_tokens += len(found) * BLOCK
        return len(found) * BLOCK, found

    def remember(self, prompt: list[int], k: torch.Tensor, v: torch.Tensor) -> None:
        """k, v: [layers, kv_heads, len(prompt), head_dim] views of a slot's cache."""
        if not self.max_blocks:
            return
        for key, block, end in self._keys(prompt, len(prompt)):
            if key in self.blocks:
                self.blocks.move_to_end(key)
                continue
            sl = slice(end - BLOCK, end)
            self.blocks[key] = (block, k[:, :, sl].clone(), v[:, :, sl].clone())
            while len(self.blocks) > self.max_blocks:
                self.blocks.popitem(last=False)
