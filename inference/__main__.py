"""`python -m inference prepare` caches the default model; `generate "prompt"` is a smoke test."""

from __future__ import annotations

import argparse
import sys
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m inference")
    sub = ap.add_subparsers(dest="cmd", required=True)
    prep = sub.add_parser("prepare", help="convert the default model into the cache and load it")
    prep.add_argument("--cache-dir", default=None)
    gen = sub.add_parser("generate", help="stream one completion to stdout")
    gen.add_argument("prompt")
    gen.add_argument("--model", default=None, help="folder or hub id (default: SmolLM2)")
    gen.add_argument("--cache-dir", default=None)
    gen.add_argument("--device", default=None)
    gen.add_argument("--dtype", default=None)
    gen.add_argument("--max-new-tokens", type=int, default=128)
    gen.add_argument("--temperature", type=float, default=0.0)
    gen.add_argument("--seed", type=int, default=None)
    gen.add_argument("--raw", action="store_true", help="plain prompt, no chat template")
    args = ap.parse_args(argv)

    from . import Engine, EngineError, SamplingParams, load_model
    from .loader import timed_prepare

    try:
        if args.cmd == "prepare":
            path, secs = timed_prepare(args.cache_dir)
            print(f"default model ready in {path.resolve()} ({secs:.1f} s)")
            return 0
        t0 = time.perf_counter()
        lm = load_model(args.model, device=args.device, dtype=args.dtype, cache_dir=args.cache_dir)
        print(
            f"[{lm.name} on {lm.device} {lm.dtype}, loaded in {time.perf_counter() - t0:.1f} s]",
            file=sys.stderr,
        )
        params = SamplingParams(
            temperature=args.temperature, max_new_tokens=args.max_new_tokens, seed=args.seed
        )
        with Engine(lm, max_batch_size=1) as engine:
            if args.raw or not lm.is_chat:
                handle = engine.submit(args.prompt, params=params)
            else:
                handle = engine.submit(
                    messages=[{"role": "user", "content": args.prompt}], params=params
                )
            for piece in handle:
                print(piece, end="", flush=True)
            res = handle.result()
        print(
            f"\n[{res.finish_reason}: {res.completion_tokens} tokens, ttft {res.ttft_s or 0:.2f} s,"
            f" {res.completion_tokens / res.total_s:.1f} tok/s]",
            file=sys.stderr,
        )
        return 0 if res.finish_reason != "error" else 1
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
