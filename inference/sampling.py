"""Per-row sampling. Each sampled row draws from its own torch.Generator, so a seeded request
produces the same text whatever else shares the batch."""

from __future__ import annotations

import torch

from .params import SamplingParams


def make_generator(params: SamplingParams, device: torch.device) -> torch.Generator | None:
    if params.greedy:
        return None
    gen = torch.Generator(device=device)
    if params.seed is None:
        gen.seed()
    else:
        gen.manual_seed(params.seed)
    return gen


def _filter(row: torch.Tensor, p: SamplingParams) -> torch.Tensor:
    row = row.float() / p.temperature
    if 0 < p.top_k < row.numel():
        kth = torch.topk(row, p.top_k).values[-1]
        row = row.masked_fill(row < kth, float("-inf"))
    if p.top_p < 1.0:
        probs, order = torch.sort(torch.softmax(row, -1), descending=True)
        # drop a token when the mass before it already reaches top_p; the first always stays
        drop = (torch.cumsum(probs, -1) - probs) >= p.top_p
        row = row.index_fill(0, order[drop], float("-inf"))
    return row


def sample(
    logits: torch.Tensor,
    params: list[SamplingParams],
    generators: list[torch.Generator | None],
) -> list[int]:
    """logits [rows, vocab] -> one token id per row."""
    out = torch.argmax(logits, dim=-1)  # greedy rows, and a placeholder for sampled ones
    for i, (p, gen) in enumerate(zip(params, generators, strict=True)):
        if not p.greedy:
            probs = torch.softmax(_filter(logits[i], p), -1)
            out[i] = torch.multinomial(probs, 1, generator=gen)[0]
    return out.tolist()
