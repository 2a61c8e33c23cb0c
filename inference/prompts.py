"""Turn a plain prompt or chat messages into token ids the way the model expects them."""

from __future__ import annotations

from typing import Any


def encode_prompt(
    tok: Any, is_chat: bool, prompt: str | None, messages: list[dict] | None
) -> list[int]:
    if (prompt is None) == (messages is None):
        raise ValueError("pass exactly one of prompt= or messages=")
    if messages is not None:
        if not messages or any(
            not isinstance(m, dict) or not isinstance(m.get("content"), str) for m in messages
        ):
            raise ValueError('messages must be a non-empty list of {"role": ..., "content": str}')
        if is_chat:
            # The template already writes the special tokens; encoding must not add a second BOS.
            text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            ids = tok(text, add_special_tokens=False)["input_ids"]
        else:
            ids = tok("\n\n".join(m["content"] for m in messages))["input_ids"]
    else:
        if not isinstance(prompt, str):
            raise ValueError(f"prompt must be a string, got {type(prompt).__name__}")
        ids = tok(prompt)["input_ids"]
    if not ids:  # an empty prompt still needs one token to condition on
        bos = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
        if bos is None:
            raise ValueError("empty prompt and the tokenizer has no BOS token to start from")
        ids = [bos]
    return list(ids)
