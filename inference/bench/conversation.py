"""`python -m inference.bench.conversation`: time to first token of each turn of a chat.

Every turn of a conversation sends the whole conversation again (the engine keeps no
state between requests), so turn 5's prompt holds four earlier questions and answers. The
prefix cache is what keeps later turns cheap: this prints the TTFT of each turn with the
cache on and off, on the same greedy conversation, and the prompt length of each turn.
"""

from __future__ import annotations

import argparse
import statistics

from ..engine import Engine
from ..loader import load_model
from ..params import SamplingParams

SYSTEM = "You are a patient teacher. Answer in a few sentences."
QUESTIONS = [
    "Explain what a hash table is.",
    "How does it handle two keys with the same hash?",
    "What happens to lookups when the table gets full?",
    "Compare that with a balanced binary search tree.",
    "Which would you pick for a phone book app, and why?",
]


def conversation_ttfts(engine: Engine, new_tokens: int, tag: str) -> list[tuple[int, float]]:
    """(prompt tokens, TTFT seconds) of each turn of one conversation. `tag` makes its first
    question its own, so one conversation never finds another's turns in the cache (only
    the shared system prompt, as users of one tool share it)."""
    messages = [{"role": "system", "content": SYSTEM}]
    out = []
    params = SamplingParams(temperature=0.0, max_new_tokens=new_tokens)
    for i, question in enumerate(QUESTIONS):
        text = f"I am {tag}. {question}" if i == 0 else question
        messages.append({"role": "user", "content": text})
        result = engine.submit(messages=list(messages), params=params).result()
        assert result.ttft_s is not None, result.error
        out.append((result.prompt_tokens, result.ttft_s))
        messages.append({"role": "assistant", "content": result.text})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m inference.bench.conversation", description=__doc__)
    ap.add_argument("--model", default=None)
    ap.add_argument("--device", default=None)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3, help="median of N conversations")
    args = ap.parse_args()
    lm = load_model(args.model, device=args.device)
    rows: dict[str, list[list[tuple[int, float]]]] = {}
    # 4096 tokens of prefix cache is the engine's default, as the worker runs it.
    for label, cache in (("prefix cache on", 4096), ("prefix cache off", 0)):
        with Engine(lm, prefix_cache_tokens=cache) as engine:
            conversation_ttfts(engine, 4, "warming up")  # first-call costs are not a turn's
            rows[label] = [
                conversation_ttfts(engine, args.new_tokens, f"student {i}")
                for i in range(args.repeat)
            ]
    print(
        f"{lm.name} on {lm.device}, {args.new_tokens} new tokens per turn, greedy, "
        f"median of {args.repeat} conversations"
    )
    print(f"{'turn':>4} {'prompt tok':>10} " + " ".join(f"{k + ' TTFT ms':>24}" for k in rows))
    for turn in range(len(QUESTIONS)):
        n_prompt = rows["prefix cache on"][0][turn][0]
        cells = [
            f"{statistics.median(conv[turn][1] for conv in convs) * 1000:>24.0f}"
            for convs in rows.values()
        ]
        print(f"{turn + 1:>4} {n_prompt:>10} " + " ".join(cells))


if __name__ == "__main__":
    main()
