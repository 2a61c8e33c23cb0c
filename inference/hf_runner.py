"""A generic runner for any Hugging Face causal LM (GPT-2, ...), batching through the model's
own forward.

Each slot keeps its own past keys/values. Decoding slots are left-padded into one batch with an
attention mask and explicit position ids (what `generate` does for a padded batch), so padding
changes nothing in the result; prompt chunks run one request at a time. Slower than the lean
Llama runner, but it needs nothing from the architecture beyond a standard KV cache.
"""

from __future__ import annotations

import torch
from transformers import DynamicCache
from transformers.cache_utils import CacheLayerMixin

from .prefix import PrefixStore
from .runner import Segment

_KV = list[tuple[torch.Tensor, torch.Tensor]]  # per layer: keys, values [rows, heads, n, hd]


class HFRunner:
    """The Runner for any causal LM. Its past KV lives in per-slot tensors it cannot prefill
    from cached blocks, so it takes no part in prefix reuse."""

    prefix: PrefixStore | None = None

    def __init__(self, model: torch.nn.Module, max_slots: int, max_len: int) -> None:
        self.model = model
        self.device = next(model.parameters()).device
        self.past: list[_KV | None] = [None] * max_slots

    def release(self, slot: int) -> None:
        self.past[slot] = None

    def shrink(self) -> None:
        pass

    def reuse_prefix(self, slot: int, prompt: list[int]) -> int:
        return 0

    def remember_prefix(self, slot: int, prompt: list[int]) -> None:
        pass

    def _run(
        self, ids: torch.Tensor, pos: torch.Tensor, mask: torch.Tensor, past: _KV | None
    ) -> tuple[torch.Tensor, _KV]:
        cache = DynamicCache(ddp_cache_data=past) if past else DynamicCache()
        # transformers 5.24 names the argument `cache` (past_key_values is deprecated); the
        # cache object is updated in place, so read it back from our own reference.
        out = self.model(input_ids=ids, position_ids=pos, attention_mask=mask, cache=cache)
        kv = []
        for lay in cache.layers:
            assert isinstance(lay, CacheLayerMixin) and lay.keys is not None
            assert lay.values is not None  # a DynamicCache filled by a forward
            kv.append((lay.keys, lay.values))
        return out.logits[:, -1], kv

    @torch.inference_mode()
    def step(self, segs: list[Segment]) -> torch.Tensor:
        dec = [i for i, s in enumerate(segs) if len(s.ids) == 1 and s.start > 0]
        logits = {i: self._prefill(s) for i, s in enumerate(segs) if i not in dec}
        if dec:
            logits.update(zip(dec, self._decode([segs[i] for i in dec]), strict=True))
        return torch.stack([logits[i].reshape(-1) for i in range(len(segs))])

    def _prefill(self, s: Segment) -> torch.Tensor:
        """One request's prompt chunk (or its first token) over its own past alone."""
        dev = self.device
        past = self.past[s.slot] if s.start else None
        n = len(s.ids)
        ids = torch.tensor([s.ids], device=dev)
        pos = torch.arange(s.start, s.start + n, device=dev)[None]
        mask = torch.ones(1, s.start + n, dtype=torch.long, device=dev)
        logits, self.past[s.slot] = self._run(ids, pos, mask, past)
        return logits

    def _past(self, slot: int) -> _KV:
        past = self.past[slot]
        assert past is not None  # a decoding slot ran its prompt in an earlier step
        return past

    def _decode(self, segs: list[Segment]) -> torch.Tensor:
        """One token for each decoding request, in one left-padded batch; -> [rows, vocab]."""
        dev = self.device
        pasts = [self._past(s.slot) for s in segs]
        lens = [s.start for s in segs]
        width = max(lens)
        ids = torch.tensor([[s.ids[0]] for s in segs], device=dev)
        pos = torch.tensor([[n] for n in lens], device=dev)
        mask = torch.zeros(len(segs), width + 1, dtype=torch.long, device=dev)
        for row, n in enumerate(lens):
            mask[row, width - n :] = 1
        past = []
        for layer in range(len(pasts[0])):
            ks, vs = zip(*(p[layer] for p in pasts), strict=True)
            past.append((_left_pad(ks, width), _left_pad(vs, width)))
        out, new = self._run(ids, pos, mask, past)
        for row, s in enumerate(segs):
            n = lens[row] + 1  # keep only this row's real positions
            self.past[s.slot] = [
                (k[row : row + 1, :, -n:], v[row : row + 1, :, -n:]) for k, v in new
            ]
        return out


def _left_pad(parts: tuple[torch.Tensor, ...], width: int) -> torch.Tensor:
    if all(p.shape[2] == width for p in parts):
        return torch.cat(parts)
    b, h, _, d = parts[0].shape
    out = parts[0].new_zeros(len(parts), h, width, d)
    for row, p in enumerate(parts):
        out[row, :, width - p.shape[2] :] = p[0]
    return out
