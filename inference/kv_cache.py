"""The slot KV cache of the lean runner and the flat step plan over it.

Every request holds one slot: a row of per-layer keys and values up to the context length.
Single-token segments (decoding requests) attend in one batched matmul over the cache read in
place; prompt chunks attend one by one with a causal mask offset by what the slot already holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .runner import Segment

_MIN_CAP = 256


@dataclass(slots=True)
class Plan:
    ids: torch.Tensor  # [T] flat tokens: decode rows first, then prompt chunks
    pos: torch.Tensor  # [T]
    last: torch.Tensor  # [segments] flat index of each segment's last token, in input order
    n_dec: int
    dec_slots: torch.Tensor
    dec_pos: torch.Tensor
    dec_identity: bool  # decode slots are exactly 0..S-1, so no scatter is needed
    n_slots: int  # S: slots the decode attention spans
    dec_mask: torch.Tensor | None  # [S, 1, 1, L] additive
    chunks: list[tuple[int, int, int, int]]  # (slot, start, n, flat offset)


class SlotCache:
    """Keys and values [layers, slots, kv_heads, capacity, head_dim], one slot per request.

    The capacity doubles as sequences grow, up to max_len, and falls back once no slot is used.
    """

    def __init__(
        self, n_layers: int, slots: int, n_kv: int, hd: int, max_len: int, like: torch.Tensor
    ) -> None:
        self.shape = (n_layers, slots, n_kv, 0, hd)
        self.max_len = max_len
        self.device, self.dtype = like.device, like.dtype
        self.lengths = [0] * slots
        self.k = self.v = torch.empty(0)
        self._grow(min(_MIN_CAP, max_len))

    def _grow(self, cap: int) -> None:
        """Double the per-slot capacity (copying), so short traffic never pays for long context."""
        n_layers, slots, n_kv, old, hd = self.shape
        k = torch.zeros(n_layers, slots, n_kv, cap, hd, device=self.device, dtype=self.dtype)
        v = torch.zeros_like(k)
        if old:
            k[:, :, :, :old] = self.k
            v[:, :, :, :old] = self.v
        self.k, self.v, self.shape = k, v, (n_layers, slots, n_kv, cap, hd)

    def restore(self, slot: int, blocks: list[tuple[torch.Tensor, torch.Tensor]]) -> int:
        """Copy cached prefix blocks ([layers, kv, n, hd] each) into a slot; -> tokens restored."""
        k = torch.cat([b[0] for b in blocks], dim=2)
        v = torch.cat([b[1] for b in blocks], dim=2)
        n = k.shape[2]
        if n > self.shape[3]:
            self._grow(min(max(n, 2 * self.shape[3]), self.max_len))
        self.k[:, slot, :, :n] = k
        self.v[:, slot, :, :n] = v
        self.lengths[slot] = n
        return n

    def view(self, slot: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.k[:, slot, :, :n], self.v[:, slot, :, :n]

    def shrink(self) -> None:
        if self.shape[3] > _MIN_CAP and not any(self.lengths):
            self.shape = (*self.shape[:3], 0, self.shape[4])
            self._grow(min(_MIN_CAP, self.max_len))

    def plan(self, segs: list[Segment]) -> Plan:
        need = max(s.start + len(s.ids) for s in segs)
        if need > self.shape[3]:
            cap = self.shape[3]
            while cap < need:
                cap *= 2
            self._grow(min(cap, self.max_len))
        order = sorted(range(len(segs)), key=lambda i: len(segs[i].ids) != 1)  # stable
        ids: list[int] = []
        pos: list[int] = []
        last = [0] * len(segs)
        chunks = []
        n_dec = sum(len(s.ids) == 1 for s in segs)
        for i in order:
            s = segs[i]
            n = len(s.ids)
            if n > 1:
                chunks.append((s.slot, s.start, n, len(ids)))
            ids += s.ids
            pos += range(s.start, s.start + n)
            last[i] = len(ids) - 1
            self.lengths[s.slot] = s.start + n
        dev = self.device
        dec = [segs[i] for i in order[:n_dec]]
        dec_slots = [s.slot for s in dec]
        n_slots = max(dec_slots, default=-1) + 1
        mask = None
        if n_dec:
            lens = torch.ones(n_slots, dtype=torch.long)
            lens[dec_slots] = torch.tensor([s.start + 1 for s in dec])
            cols = torch.arange(int(lens.max()))
            mask = torch.zeros(n_slots, 1, 1, len(cols), dtype=self.dtype)
            mask.masked_fill_((cols[None, :] >= lens[:, None])[:, None, None], float("-inf"))
            mask = mask.to(dev)
        return Plan(
            ids=torch.tensor(ids, device=dev),
            pos=torch.tensor(pos, device=dev),
            last=torch.tensor(last, device=dev),
            n_dec=n_dec,
            dec_slots=torch.tensor(dec_slots, device=dev, dtype=torch.long),
            dec_pos=torch.tensor([s.start for s in dec], device=dev, dtype=torch.long),
            dec_identity=dec_slots == list(range(n_slots)),
            n_slots=n_slots,
            dec_mask=mask,
            chunks=chunks,
        )

    def attend(
        self,
        layer: int,
        plan: Plan,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        scale: float,
    ) -> torch.Tensor:
        """Write this step's k/v into the cache, then attend; q [T, H, hd] -> [T, H*hd]."""
        kc, vc = self.k[layer], self.v[layer]
        n_kv, hd = kc.shape[1], kc.shape[3]
        group = q.shape[1] // n_kv
        outs: list[torch.Tensor] = []
        if plan.n_dec:
            nd = plan.n_dec
            kc[plan.dec_slots, :, plan.dec_pos] = k[:nd]
            vc[plan.dec_slots, :, plan.dec_pos] = v[:nd]
            qd = q[:nd].view(nd, n_kv, group, hd)
            if not plan.dec_identity:
                qs = q.new_zeros(plan.n_slots, n_kv, group, hd)
                qs[plan.dec_slots] = qd
                qd = qs
            mask = plan.dec_mask
            assert mask is not None  # plan() builds it whenever a segment decodes
            length = mask.shape[-1]
            keys, vals = kc[: plan.n_slots, :, :length], vc[: plan.n_slots, :, :length]
            w = torch.matmul(qd, keys.transpose(-1, -2)) * scale + mask
            o = torch.matmul(torch.softmax(w.float(), -1).to(q.dtype), vals)
            if not plan.dec_identity:
                o = o[plan.dec_slots]
            outs.append(o.reshape(nd, -1))
        for slot, start, n, off in plan.chunks:
            end = start + n
            kc[slot, :, start:end] = k[off : off + n].transpose(0, 1)
            vc[slot, :, start:end] = v[off : off + n].transpose(0, 1)
            qc = q[off : off + n].view(n, n_kv, group, hd).permute(1, 2, 0, 3)
            w = torch.matmul(qc, kc[slot, :, None, :end].transpose(-1, -2)) * scale
            rows = torch.arange(start, end, device=q.device)[:, None]
            future = torch.arange(end, device=q.device)[None, :] > rows
            w = w.masked_fill(future, float("-inf"))
            o = torch.matmul(torch.softmax(w.float(), -1).to(q.dtype), vc[slot, :, None, :end])
            outs.append(o.permute(2, 0, 1, 3).reshape(n, -1))
        return outs[0] if len(outs) == 1 else torch.cat(outs)
