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

from .runner import Segment


class HFRunner:
    def __init__(self, model: torch.nn.Module, max_slots: int, max_len: int) -> None:
        self.model = model
        self.device = next(model.parameters()).device
        self.past: list[list[tuple[torch.Tensor, torch.Tensor]] | None] = [None] * max_slots

    def release(self, slot: int) -> None:
        self.past[slot] = None

    def shrink(self) -> None:
        pass

    def _run(self, ids, pos, mask, past):
        cache = DynamicCache(ddp_cache_data=past) if past else DynamicCache()
        # transformers 5.24 names the argument `cache` (past_key_values is deprecated); the
        # cache object is updated in place, so read it back from our own reference.
        out = self.model(input_ids=ids, position_ids=pos, attention_mask=mask, cache=cache)
        return out.logits[:, -1], [(lay.keys, lay.values) for lay in cache.layers]

    @torch.inference_mode()
    def step(self, segs: list[Segment]) -> torch.Tensor:
        logits: list[torch.Tensor | None] = [None] * len(segs)
        dev = self.device
        dec = [i for i, s in enumerate(segs) if len(s.ids) == 1 and s.start > 0]
        for i, s in enumerate(segs):
            if i in dec:
                continue
            past = self.past[s.slot] if s.start else None
            n = len(s.ids)
            ids = torch.tensor([s.ids], device=dev)
            pos = torch.arange(s.start, s.start + n, device=dev)[None]
            mask = torch.ones(1, s.start + n, dtype=torch.long, device=dev)
            logits[i], self.past[s.slot] = self._run(ids, pos, mask, past)
        if dec:
            lens = [segs[i].start for i in dec]
            width = max(lens)
            ids = torch.tensor([[segs[i].ids[0]] for i in dec], device=dev)
            pos = torch.tensor([[n] for n in lens], device=dev)
            mask = torch.zeros(len(dec), width + 1, dtype=torch.long, device=dev)
            for row, n in enumerate(lens):
                mask[row, width - n :] = 1
            past = []
            for layer in range(len(self.past[segs[dec[0]].slot])):
                ks, vs = zip(*(self.past[segs[i].slot][layer] for i in dec), strict=True)
                past.append((_left_pad(ks, width), _left_pad(vs, width)))
            out, new = self._run(ids, pos, mask, past)
            for row, i in enumerate(dec):
                n = lens[row] + 1  # keep only this row's real positions
                self.past[segs[i].slot] = [
                    (k[row : row + 1, :, -n:], v[row : row + 1, :, -n:]) for k, v in new
                ]
                logits[i] = out[row]
        return torch.stack([lg.reshape(-1) for lg in logits])


def _left_pad(parts: tuple[torch.Tensor, ...], width: int) -> torch.Tensor:
    if all(p.shape[2] == width for p in parts):
        return torch.cat(parts)
    b, h, _, d = parts[0].shape
    out = parts[0].new_zeros(len(parts), h, width, d)
    for row, p in enumerate(parts):
        out[row, :, width - p.shape[2] :] = p[0]
    return out
