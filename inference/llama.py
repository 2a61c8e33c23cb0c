"""A lean forward for Llama-family models over a preallocated slot KV cache.

Per step it runs one flat batch of tokens (one per decoding request plus prompt chunks of
requests in prefill), so no padding is computed. Q/K/V and gate/up are fused into one matmul
each, and attention reads the cache in place. It mirrors HF's LlamaForCausalLM math
(RMSNorm in float32, RoPE table from the model's own inv_freq) so greedy output matches
`generate` token for token.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
import torch.nn.functional as F

from .kv_cache import SlotCache
from .prefix import PrefixStore
from .runner import Segment


def supports(model: Any) -> bool:
    """Whether `model` is a Hugging Face Llama-family model whose math this runner mirrors."""
    cfg = model.config
    return (
        cfg.model_type == "llama"
        and getattr(cfg, "hidden_act", "silu") == "silu"
        and getattr(cfg, "pretraining_tp", 1) == 1
        and not getattr(cfg, "mlp_bias", False)
        and hasattr(getattr(model, "model", None), "rotary_emb")
    )


def linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    """x @ w.T computed as (w @ x.T).T.

    With few rows (decoding), MKL runs F.linear's x @ w.T through a path that is 2-4x slower
    on CPU than w @ x.T (measured at 2-8 rows, SmolLM2 shapes), and a single row is faster as
    two. Same products and sums; only the summation order, i.e. the last bits, can differ.
    """
    if x.device.type != "cpu" or x.shape[0] > 32:
        return F.linear(x, w, b)
    n = x.shape[0]
    xt = x.t() if n > 1 else torch.cat((x, x)).t()
    out = torch.mm(w, xt)[:, :n].t()
    return out if b is None else out + b


def _fuse(linears: list[torch.nn.Linear]) -> torch.Tensor:
    """Concatenate weights into one matrix and point the modules at row views of it, so the
    HF model keeps working without holding a second copy of those weights."""
    fused = torch.cat([m.weight for m in linears])
    row = 0
    for m in linears:
        n = m.weight.shape[0]
        m.weight = torch.nn.Parameter(fused[row : row + n], requires_grad=False)
        row += n
    return fused


class _Layer(NamedTuple):
    w_in: torch.Tensor
    w_qkv: torch.Tensor
    b_qkv: torch.Tensor | None
    w_o: torch.Tensor
    b_o: torch.Tensor | None
    w_post: torch.Tensor
    w_gu: torch.Tensor
    w_down: torch.Tensor


class LlamaRunner:
    """The Runner for Llama-family models, with shared prompt-prefix reuse.

    model: a Hugging Face LlamaForCausalLM (or a model of the same structure); its modules
    are read by attribute, as transformers defines them.
    """

    def __init__(self, model: Any, max_slots: int, max_len: int, prefix_tokens: int = 0) -> None:
        cfg, core = model.config, model.model
        self.n_heads: int = cfg.num_attention_heads
        self.n_kv: int = cfg.num_key_value_heads
        self.hd: int = getattr(cfg, "head_dim", None) or cfg.hidden_size // self.n_heads
        self.scale = self.hd**-0.5
        p: torch.Tensor = next(model.parameters())
        self.device, self.dtype = p.device, p.dtype
        self.eps: float = cfg.rms_norm_eps
        self.layers: list[_Layer] = []
        with torch.no_grad():
            for layer in core.layers:
                at, mlp = layer.self_attn, layer.mlp
                qkv = [at.q_proj, at.k_proj, at.v_proj]
                bias = torch.cat([m.bias for m in qkv]) if at.q_proj.bias is not None else None
                self.layers.append(
                    _Layer(
                        layer.input_layernorm.weight,
                        _fuse(qkv),
                        bias,
                        at.o_proj.weight,
                        at.o_proj.bias,
                        layer.post_attention_layernorm.weight,
                        _fuse([mlp.gate_proj, mlp.up_proj]),
                        mlp.down_proj.weight,
                    )
                )
            self.embed: torch.Tensor = core.embed_tokens.weight
            self.norm: torch.Tensor = core.norm.weight
            self.lm_head: torch.Tensor = model.lm_head.weight
            rot = core.rotary_emb
            pos = torch.arange(max_len, device=self.device, dtype=torch.float32)
            freqs = pos[:, None] * rot.inv_freq.float().to(self.device)[None, :]
            emb = torch.cat((freqs, freqs), dim=-1)
            self.cos = (emb.cos() * rot.attention_scaling).to(self.dtype)
            sin = (emb.sin() * rot.attention_scaling).to(self.dtype)
            # rotate_half(x) * sin == flip-halves(x) * sin with the first half negated
            half = sin.shape[-1] // 2
            self.sin = torch.cat((-sin[:, :half], sin[:, half:]), dim=-1)
        self.prefix = PrefixStore(prefix_tokens)
        self.cache = SlotCache(len(self.layers), max_slots, self.n_kv, self.hd, max_len, p)

    def release(self, slot: int) -> None:
        self.cache.lengths[slot] = 0

    def shrink(self) -> None:
        self.cache.shrink()

    # Inference mode like `step`: a cache grown inside a step holds inference tensors, which
    # may only be written (restored into) in inference mode.
    @torch.inference_mode()
    def reuse_prefix(self, slot: int, prompt: list[int]) -> int:
        """Fill the slot with cached KV of the longest known prefix; -> tokens covered."""
        n, blocks = self.prefix.lookup(prompt)
        return self.cache.restore(slot, blocks) if n else 0

    @torch.inference_mode()
    def remember_prefix(self, slot: int, prompt: list[int]) -> None:
        self.prefix.remember(prompt, *self.cache.view(slot, len(prompt)))

    def _norm(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        if x.dtype == torch.float32:  # one fused op, bit-identical to HF's LlamaRMSNorm
            return F.rms_norm(x, w.shape, w, self.eps)
        # HF normalises in float32 whatever the model dtype, then scales in the model dtype
        return w * F.rms_norm(x.float(), w.shape, None, self.eps).to(x.dtype)

    @torch.inference_mode()
    def step(self, segs: list[Segment]) -> torch.Tensor:
        """Run one flat batch; return logits [len(segs), vocab] at each segment's last token."""
        plan = self.cache.plan(segs)
        x = self.embed[plan.ids]
        cos, sin = self.cos[plan.pos][:, None], self.sin[plan.pos][:, None]
        nq, nkv, hd = self.n_heads * self.hd, self.n_kv * self.hd, self.hd
        for i, (w_in, w_qkv, b_qkv, w_o, b_o, w_post, w_gu, w_down) in enumerate(self.layers):
            qkv = linear(self._norm(x, w_in), w_qkv, b_qkv).contiguous()
            qk = qkv[:, : nq + nkv].view(len(x), -1, hd)  # RoPE on q and k heads at once
            swapped = qk.unflatten(-1, (2, hd // 2)).flip(-2).flatten(-2)
            qk = qk * cos + swapped * sin
            q, k = qk[:, : self.n_heads], qk[:, self.n_heads :]
            v = qkv[:, nq + nkv :].view(-1, self.n_kv, hd)
            att = self.cache.attend(i, plan, q, k, v, self.scale)
            x = x + linear(att, w_o, b_o)
            gate, up = linear(self._norm(x, w_post), w_gu).chunk(2, dim=-1)
            x = x + linear(F.silu(gate) * up, w_down)
        h = self._norm(x[plan.last], self.norm)
        return linear(h, self.lm_head).contiguous()
