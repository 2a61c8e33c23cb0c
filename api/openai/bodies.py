"""Answer bodies of the completion endpoints, from a stored run (OpenAI's field names)."""

from __future__ import annotations

from tools.models import Run


def ids(run: Run, chat: bool) -> dict:
    """The fields every answer and chunk of one completion shares."""
    return {
        "id": f"{'chatcmpl' if chat else 'cmpl'}-{run.pk.hex}",
        "object": "chat.completion" if chat else "text_completion",
        "created": int(run.queued_at.timestamp()),
        "model": run.model,
        "system_fingerprint": None,
    }


def usage(run: Run) -> dict:
    prompt, completion = run.prompt_tokens or 0, run.completion_tokens or 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def finish_reason(run: Run) -> str:
    return "length" if run.finish_reason in ("length", "timeout") else "stop"


def completion_body(run: Run, chat: bool) -> dict:
    if chat:
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": run.output, "refusal": None},
            "logprobs": None,
            "finish_reason": finish_reason(run),
        }
    else:
        choice = {
            "index": 0,
            "text": run.output,
            "logprobs": None,
            "finish_reason": finish_reason(run),
        }
    return {**ids(run, chat), "choices": [choice], "usage": usage(run)}
