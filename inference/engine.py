"""One background thread owns the model and runs continuous batching over a slot KV cache.

Every step: drop cancelled / timed-out requests, admit waiting ones into free slots, let the
scheduler pick this step's tokens (inference/scheduler.py), run them in one forward of the
runner, then sample, stream and retire. Callers only touch the queue, under one lock.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import torch

from .errors import EngineError, PromptTooLong, QueueFull
from .loader import LoadedModel
from .metrics import Metrics
from .params import SamplingParams
from .prompts import encode_prompt
from .request import RequestHandle, Result
from .runner import make_runner
from .sampling import sample
from .scheduler import Batch, Scheduler
from .sequence import Sequence
from .threads import release_thread_pool


class Engine:
    """Serve many concurrent requests from one model in one background thread.

    max_batch_size: KV slots, i.e. requests decoded together; max_queue: requests waiting for
    a slot before submit() raises QueueFull; max_seq_len: cap on prompt + output tokens (the KV
    cache grows up to it); prefill_chunk: prompt tokens per step while others decode;
    prefix_cache_tokens: KV of shared prompt prefixes kept for reuse (0 = off);
    runner: "auto" (lean Llama forward where supported, else HF), "lean" or "hf".
    """

    def __init__(
        self,
        lm: LoadedModel,
        *,
        max_batch_size: int = 32,
        max_queue: int = 256,
        max_seq_len: int | None = 4096,
        prefill_chunk: int = 128,
        prefix_cache_tokens: int = 4096,
        runner: str = "auto",
    ) -> None:
        if max_batch_size < 1 or max_queue < 0 or prefill_chunk < 1:
            raise ValueError("max_batch_size and prefill_chunk must be >= 1, max_queue >= 0")
        self.lm = lm
        self.max_batch_size, self.max_queue = max_batch_size, max_queue
        self.prefill_chunk = prefill_chunk
        self.max_context = min(lm.max_context, max_seq_len or lm.max_context)
        self.runner = make_runner(lm, runner, max_batch_size, self.max_context, prefix_cache_tokens)
        self._tok_lock = threading.Lock()  # HF fast tokenizers are not safe to share across threads
        self._detok = copy.deepcopy(lm.tokenizer)  # the engine thread's own copy
        gen_cfg = getattr(lm.model, "generation_config", None)
        eos = getattr(gen_cfg, "eos_token_id", None) or lm.tokenizer.eos_token_id
        self.eos = frozenset([eos] if isinstance(eos, int) else (eos or []))
        self._cond = threading.Condition()
        self.scheduler = Scheduler(
            self.runner,
            lambda handle, slot: Sequence(handle, slot, self._detok, lm.device),
            max_batch_size=max_batch_size,
            max_queue=max_queue,
            prefill_chunk=prefill_chunk,
            reuse_prefixes=self.runner.prefix is not None and prefix_cache_tokens > 0,
        )
        self._next_id = 0
        self._closed = False
        self._metrics = Metrics(max_batch_size)
        if lm.device.type == "cpu":
            release_thread_pool()  # see inference/threads.py: keeps the loop's steps full speed
        # Everything alive now (the model, torch, transformers, the host application) stays
        # alive. A full collection walks all of it with the GIL held, stalling every stream:
        # ~200 ms once SmolLM2 is loaded, under 1 ms with it frozen out of the cyclic GC.
        gc.freeze()
        self._thread = threading.Thread(target=self._loop, name="inference-engine", daemon=True)
        self._thread.start()

    # -- public face ---------------------------------------------------------------------------
    def count_tokens(self, prompt: str | None = None, *, messages: list[dict] | None = None) -> int:
        return len(self._encode(prompt, messages))

    def submit(
        self,
        prompt: str | None = None,
        *,
        messages: list[dict] | None = None,
        params: SamplingParams | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> RequestHandle:
        # A private copy: the caller may reuse or mutate its params object while we run.
        params = dataclasses.replace(params) if params is not None else SamplingParams()
        ids = self._encode(prompt, messages)
        if len(ids) + 1 > self.max_context:
            raise PromptTooLong(
                f"prompt is {len(ids)} tokens but the context holds {self.max_context}; "
                f"shorten it to at most {self.max_context - 1} tokens"
            )
        with self._cond:
            if self._closed:
                raise EngineError("engine is closed")
            if not self.scheduler.has_room():
                raise QueueFull(
                    f"engine queue is full ({self.max_queue} requests waiting); retry later"
                )
            self._next_id += 1
            handle = RequestHandle(self._next_id, ids, params, on_text, self._wake)
            self.scheduler.add(handle)
            self._cond.notify_all()
        return handle

    def metrics(self) -> dict[str, Any]:
        with self._cond:
            snap = self._metrics.snapshot(len(self.scheduler.waiting), len(self.scheduler.live))
        store = self.runner.prefix
        snap["prefix_cache_hits"] = store.hits if store else 0
        snap["prefix_tokens_reused"] = store.reused_tokens if store else 0
        return snap

    def close(self, timeout: float | None = 10.0) -> None:
        """Stop the loop; requests still waiting or running finish as "cancelled"."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers ---------------------------------------------------------------------------
    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _encode(self, prompt: str | None, messages: list[dict] | None) -> list[int]:
        with self._tok_lock:
            return encode_prompt(self.lm.tokenizer, self.lm.is_chat, prompt, messages)

    # -- the loop ------------------------------------------------------------------------------
    def _loop(self) -> None:
        try:
            while self._serve_once():
                pass
        finally:  # closed, or a bug in the loop itself: never leave a caller waiting forever
            with self._cond:
                self._closed = True
                for seq in self.scheduler.live:
                    seq.finish_reason = seq.finish_reason or "cancelled"
                    seq.error = seq.error or "engine closed"
                self._retire()
                while self.scheduler.waiting:
                    h = self.scheduler.waiting.popleft()
                    self._finish_waiting(h, "cancelled", "engine closed")

    def _serve_once(self) -> bool:
        with self._cond:
            while not self._closed and self.scheduler.idle:
                self.runner.shrink()
                self._cond.wait()
            if self._closed:
                return False
            for h, reason in self.scheduler.drop_waiting(time.perf_counter()):
                self._finish_waiting(h, reason)
            try:
                self.scheduler.admit()
            except Exception as exc:  # noqa: BLE001 - fail the live requests, keep serving
                self._fail_live("admission", exc)
        try:
            if self.scheduler.live:
                self._step()
        except Exception as exc:  # noqa: BLE001 - fail this step's requests, keep serving
            self._fail_live("step", exc)
        return True

    def _fail_live(self, where: str, exc: Exception) -> None:
        """A bug in one step or admission fails the requests in flight, never the loop: the
        engine serves the next ones."""
        traceback.print_exc()
        for seq in self.scheduler.live:
            seq.fail(f"engine {where} failed: {type(exc).__name__}: {exc}")
        self._retire()

    def _step(self) -> None:
        self.scheduler.expire(time.perf_counter())
        self._retire()
        batch = self.scheduler.schedule()
        if not batch.segments:
            return
        logits = self.runner.step(batch.segments)
        self._postprocess(batch, logits)
        self._retire()

    def _postprocess(self, batch: Batch, logits: torch.Tensor) -> None:
        """Sample a token for every request past its prompt; cache prompts that just completed."""
        seqs = batch.seqs
        ready = [i for i, seq in enumerate(seqs) if not seq.prefilling]
        if self.scheduler.reuse_prefixes:
            for i in ready:
                if not seqs[i].tokens:  # prompt just completed: its KV can serve later requests
                    self.runner.remember_prefix(seqs[i].slot, seqs[i].prompt)
        if ready:
            rows = logits[ready] if len(ready) < len(seqs) else logits
            picked = [seqs[i] for i in ready]
            tokens = sample(
                rows,
                [s.params for s in picked],
                [s.generator for s in picked],
                [s.tokens for s in picked],
            )
            for seq, token in zip(picked, tokens, strict=True):
                seq.accept(token, self.eos, self.max_context)
        self._metrics.record_step(len(batch.segments), len(ready))

    def _retire(self) -> None:
        for seq in self.scheduler.retire():
            seq.handle._finish(_final_result(seq))
            self._metrics.requests_finished += 1

    def _finish_waiting(self, h: RequestHandle, reason: str, error: str | None = None) -> None:
        waited = time.perf_counter() - h.submitted_at
        h._finish(Result("", reason, len(h.prompt_ids), 0, None, waited, error))
        self._metrics.requests_finished += 1


def _final_result(seq: Sequence) -> Result:
    try:
        return seq.result()
    except Exception as exc:  # noqa: BLE001 - e.g. a callback raising on the final flush
        return Result(
            seq.text,
            "error",
            len(seq.prompt),
            len(seq.tokens),
            None,
            0.0,
            f"{type(exc).__name__}: {exc}",
        )
