"""What both paths of the stack benchmark run, and how their runs are summarised."""

from __future__ import annotations

from bench.common import interpolated

QUESTIONS = [
    "What is the capital of France?",
    "Why is the sky blue?",
    "What do bees make?",
    "How many legs does a spider have?",
    "What is photosynthesis?",
    "Who wrote Hamlet?",
    "What is the boiling point of water?",
    "What is a prime number?",
    "Why do we have seasons?",
    "What is gravity?",
    "What is the largest ocean?",
    "How do vaccines work?",
    "What is a noun?",
    "What causes rain?",
    "What is the speed of light?",
    "What is an atom?",
    "What is democracy?",
    "How do plants drink water?",
    "What is a volcano?",
    "What is the moon made of?",
    "Why is exercise healthy?",
    "What is a computer?",
    "How do birds fly?",
    "What is electricity?",
    "What is the Internet?",
    "What is a galaxy?",
    "What is DNA?",
    "What is inflation?",
    "What is a haiku?",
    "Why do cats purr?",
    "What is recycling?",
    "What is a desert?",
]
SYSTEM = "You are a knowledgeable assistant. Answer briefly and clearly."
TEMPLATE = "Answer in two sentences: {{question}}"


def tool_messages(question: str) -> list[dict]:
    """The chat messages the benchmark tool's run sends for a question."""
    from tools.schema import render

    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": render(TEMPLATE, {"question": question})},
    ]


def summary(name: str, ttfts: list[float], tokens: int, wall: float, gaps: list[float]) -> dict:
    """`gaps`: time between successive pieces of text of one run, as its reader receives them
    (the stack may merge a few tokens into one event; the engine calls back once per piece)."""
    return {
        "path": name,
        "requests": len(ttfts),
        "ttft_p50_ms": round(interpolated(ttfts, 0.5) * 1000, 1),
        "ttft_p95_ms": round(interpolated(ttfts, 0.95) * 1000, 1),
        "gap_p50_ms": round(interpolated(gaps, 0.5) * 1000, 1),
        "gap_p95_ms": round(interpolated(gaps, 0.95) * 1000, 1),
        "tokens": tokens,
        "wall_s": round(wall, 3),
        "tokens_per_s": round(tokens / wall, 1) if wall > 0 else 0.0,
    }
