"""The one client every server gets: AsyncOpenAI, streamed chat completions, S streams at once,
each running its share of the prompts one after the other."""

from __future__ import annotations

import asyncio
import time

import httpx2  # what openai (3.x, requirements.txt) runs on
from openai import APIError, AsyncOpenAI, DefaultAsyncHttpxClient

from bench.common import interpolated


async def _one(client, model: str, prompt: str, max_tokens: int) -> dict:
    """One streamed chat completion: its TTFT (first chunk with content), tokens and text."""
    t0 = time.perf_counter()
    first = None
    chunks, pieces, usage = 0, [], None
    try:
        stream = await client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": prompt}],
            stream=True,
            temperature=0,
            frequency_penalty=0,  # the store's bundled model defaults to 0.5; llama-server to 0
            max_tokens=max_tokens,
            stream_options={"include_usage": True},
        )
        async for chunk in stream:
            if chunk.usage is not None:
                usage = chunk.usage
            for choice in chunk.choices:
                piece = choice.delta.content if choice.delta else None
                if piece:
                    chunks += 1
                    pieces.append(piece)
                    first = first or time.perf_counter()
    except (APIError, httpx2.HTTPError) as exc:  # a failed request is counted, never hidden
        return {"error": f"{type(exc).__name__}: {exc}"[:300], "tokens": 0}
    end = time.perf_counter()
    counted = usage.completion_tokens if usage is not None else None
    return {
        "ttft_s": round(first - t0, 4) if first else None,
        "total_s": round(end - t0, 4),
        "tokens": chunks if counted is None else counted,
        "tokens_from": "chunks" if counted is None else "usage",
        "chunks": chunks,
        "text": "".join(pieces),
    }


def shares(prompts: list[str], streams: int) -> list[list[str]]:
    """The prompts each stream runs: at least one each, the list cycled when it is shorter."""
    n = max(len(prompts), streams)
    cycled = [prompts[i % len(prompts)] for i in range(n)]
    return [cycled[i::streams] for i in range(streams)]


async def run_level(
    base_url: str, api_key: str, model: str, prompts: list[str], streams: int, max_tokens: int
) -> dict:
    """One concurrency level against one server: its summary and every request."""
    # A new connection per request: a pooled keep-alive connection that the server closes
    # when idle (llama-server after 5 s) fails the next request at random, and no retries
    # hide a failure. Connecting on localhost costs both servers the same ~0.1 ms.
    http = DefaultAsyncHttpxClient(limits=httpx2.Limits(max_keepalive_connections=0))
    client = AsyncOpenAI(
        base_url=base_url, api_key=api_key, max_retries=0, timeout=600.0, http_client=http
    )

    async def stream(share: list[str]) -> list[dict]:
        return [await _one(client, model, p, max_tokens) for p in share]

    try:
        t0 = time.perf_counter()
        done = await asyncio.gather(*(stream(s) for s in shares(prompts, streams)))
        wall = time.perf_counter() - t0
    finally:
        await client.close()
    rows = [r for share in done for r in share]
    return summary(rows, streams, wall)


def summary(rows: list[dict], streams: int, wall: float) -> dict:
    ttfts = [r["ttft_s"] for r in rows if r.get("ttft_s") is not None]
    tokens = sum(r["tokens"] for r in rows)
    return {
        "streams": streams,
        "requests": len(rows),
        "errors": sum(1 for r in rows if "error" in r),
        "tokens": tokens,
        "wall_s": round(wall, 3),
        "tokens_per_s": round(tokens / wall, 1) if wall > 0 else 0.0,
        "ttft_p50_s": round(interpolated(ttfts, 0.5), 3),
        "ttft_p95_s": round(interpolated(ttfts, 0.95), 3),
        "tokens_from": sorted({r["tokens_from"] for r in rows if "tokens_from" in r}),
        "requests_detail": rows,
    }


def warm_up(base_url: str, api_key: str, model: str, prompts: list[str], streams: int) -> None:
    """One unmeasured round, a few tokens per stream: connections open, code paths warm."""
    asyncio.run(run_level(base_url, api_key, model, prompts, streams, max_tokens=4))
