"""`python -m bench.openai_compare`: see the docstring in bench/openai_compare/__init__.py."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path

from bench.common import BASE_DIR, format_table, load_average, say
from bench.openai_compare import client, llama, store
from inference.defaults import DEFAULT_NAME
from ops import embedded

PROMPT_FILES = (
    BASE_DIR.parent / "shared" / "bench" / "prompts.json",
    BASE_DIR / "inference" / "bench" / "prompts.json",
)
OUTPUT = embedded.VAR_DIR / "bench" / "openai_compare.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m bench.openai_compare",
        description="OpenAI-compatible servers side by side: this store's /v1 and, when "
        "LLAMA_SERVER names the binary, llama.cpp's llama-server, with the same client.",
    )
    ap.add_argument("--streams", default="1,16", help="concurrency levels (1,16)")
    ap.add_argument("--max-tokens", type=int, default=64, help="max_tokens per request (64)")
    ap.add_argument("--prompts", type=int, default=16, help="requests per level (16)")
    ap.add_argument("--output", type=Path, default=OUTPUT, help=f"JSON figures ({OUTPUT})")
    args = ap.parse_args(argv)
    args.levels = [int(s) for s in args.streams.split(",") if s.strip()]
    if not args.levels or min(args.levels) < 1 or args.max_tokens < 1 or args.prompts < 1:
        ap.error("--streams, --max-tokens and --prompts must be positive")
    return args


def load_prompts(n: int) -> tuple[list[str], Path]:
    src = next(p for p in PROMPT_FILES if p.is_file())
    prompts = json.loads(src.read_text())["prompts"]
    return [prompts[i % len(prompts)] for i in range(n)], src


def measure(server, prompts: list[str], args) -> dict:
    """Every concurrency level against one server, after one unmeasured warm-up round."""
    client.warm_up(server.base_url, server.api_key, server.model, prompts, max(args.levels))
    levels = []
    for streams in args.levels:
        row = asyncio.run(
            client.run_level(
                server.base_url, server.api_key, server.model, prompts, streams, args.max_tokens
            )
        )
        row["load_1m"] = round(os.getloadavg()[0], 2)
        say(
            f"{server.name}: {streams} streams, {row['requests']} requests, {row['tokens']} "
            f"tokens, {row['tokens_per_s']} tok/s, TTFT p50 {row['ttft_p50_s']} s"
        )
        levels.append(row)
    return {
        "server": server.name,
        "model": server.model,
        "weights": server.weights,
        "levels": levels,
    }


def run_servers(args, prompts: list[str], key: str) -> tuple[list[dict], str]:
    """The store, then llama-server when there is one: (results, why llama-server was skipped)."""
    results = []
    server = store.StoreServer(key, max(args.levels))
    try:
        say(f"store up at {server.base_url}; worker engine ready")
        results.append(measure(server, prompts, args))
    finally:
        server.close()
    binary, skipped = llama.locate()
    if binary:
        from django.conf import settings

        model_dir = Path(settings.GPTSTORE_MODEL_CACHE) / DEFAULT_NAME
        gguf, weights = llama.choose_gguf(binary, model_dir, args.output.parent)
        parallel = max(16, max(args.levels))
        lserver = llama.LlamaServer(binary, gguf, weights, parallel, args.max_tokens)
        try:
            results.append(measure(lserver, prompts, args) | {"command": lserver.args})
        finally:
            lserver.close()
    return results, skipped


def render(results: list[dict]) -> str:
    rows: list[tuple] = [
        ("server", "streams", "requests", "errors", "tokens", "tok/s", "TTFT p50 s", "TTFT p95 s")
    ]
    for r in results:
        for lv in r["levels"]:
            rows.append(
                (
                    r["server"],
                    lv["streams"],
                    lv["requests"],
                    lv["errors"],
                    lv["tokens"],
                    f"{lv['tokens_per_s']:.1f}",
                    f"{lv['ttft_p50_s']:.3f}",
                    f"{lv['ttft_p95_s']:.3f}",
                )
            )
    return format_table(rows)


def same_answers(a: dict, b: dict) -> str:
    """How many answers two servers gave alike, per level (greedy on the same weights: all)."""
    counts = []
    for la, lb in zip(a["levels"], b["levels"], strict=True):
        pairs = list(zip(la["requests_detail"], lb["requests_detail"], strict=True))
        same = sum(1 for x, y in pairs if "text" in x and x.get("text") == y.get("text"))
        counts.append(f"{same}/{len(pairs)} at {la['streams']} streams")
    return ", ".join(counts)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, os.getcwd())
    prompts, src = load_prompts(args.prompts)
    say(
        f"levels {args.levels} streams, {len(prompts)} prompts from {src}, max_tokens "
        f"{args.max_tokens}, temperature 0, streamed chat completions; load {load_average()}"
    )
    started, key = store.setup(max(args.levels))
    for name in ("httpx", "httpx2"):  # a line per request would bury the figures
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        results, skipped = run_servers(args, prompts, key)
    finally:
        embedded.stop(started)
    print(render(results), flush=True)
    for r in results:
        say(f"{r['server']} ({r['model']}): {r['weights']}")
    for r in results[1:]:
        equal = same_answers(results[0], r)
        say(f"{r['server']} answers equal to {results[0]['server']}'s: {equal}")
    if skipped:
        say(f"llama-server skipped: {skipped}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    figures = {
        "command": "python -m bench.openai_compare " + " ".join(argv or sys.argv[1:]),
        "streams": args.levels,
        "max_tokens": args.max_tokens,
        "prompts": len(prompts),
        "prompts_file": str(src),
        "llama_server_skipped": skipped or None,
        "servers": results,
    }
    args.output.write_text(json.dumps(figures, indent=2))
    say(f"wrote {args.output}")
    return 1 if any(lv["errors"] for r in results for lv in r["levels"]) else 0


if __name__ == "__main__":
    sys.exit(main())
