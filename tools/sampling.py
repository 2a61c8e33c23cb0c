"""Sampling: the ranges a tool or a request may choose from, the defaults, and the
parameters a run is given. The one place these numbers live."""

from __future__ import annotations

import random

from django.conf import settings

from .schema import SchemaError

# What creators and clients may set, and the ranges they may set it in.
SAMPLING_RANGES = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "max_new_tokens": (1, 4096),
    "frequency_penalty": (-2.0, 2.0),
    "presence_penalty": (-2.0, 2.0),
}
PENALTIES = ("frequency_penalty", "presence_penalty")
DEFAULT_MAX_NEW_TOKENS = 256
DEFAULT_TEMPERATURE = 0.7
DEFAULT_TOP_P = 1.0
# Below this a temperature means greedy decoding: dividing logits by 1e-45 overflows float32
# and the engine would sample from NaNs.
GREEDY_BELOW = 1e-5


def _temperature(value) -> float:
    value = float(value)
    return 0.0 if value < GREEDY_BELOW else value


def clean_sampling(defaults: dict) -> dict:
    if not isinstance(defaults, dict):
        raise SchemaError({"sampling_defaults": ["must be an object"]})
    clean, errors = {}, []
    for key, value in defaults.items():
        if key not in SAMPLING_RANGES:
            errors.append(f"unknown setting {key!r}")
            continue
        lo, hi = SAMPLING_RANGES[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            errors.append(f"{key} must be between {lo} and {hi}")
            continue
        clean[key] = int(value) if key == "max_new_tokens" else float(value)
    if errors:
        raise SchemaError({"sampling_defaults": errors})
    return clean


def sampling_for(
    *, version, overrides: dict | None = None, model_defaults: dict | None = None
) -> dict:
    """The sampling parameters a run uses: the model's defaults (the operator's registry),
    then the tool's, then the request's overrides, capped server-side."""
    chosen = {
        **(model_defaults or {}),
        **(version.sampling_defaults or {}),
        **clean_sampling(overrides or {}),
    }
    cap = settings.GPTSTORE_MAX_NEW_TOKENS
    return {
        "temperature": _temperature(chosen.get("temperature", DEFAULT_TEMPERATURE)),
        "top_p": float(chosen.get("top_p", DEFAULT_TOP_P)) or DEFAULT_TOP_P,
        "max_new_tokens": max(
            1, min(int(chosen.get("max_new_tokens", DEFAULT_MAX_NEW_TOKENS)), cap)
        ),
        "seed": random.randrange(2**31),
        **_penalties(chosen),
    }


def _penalties(chosen: dict) -> dict:
    """The penalties that are set (0 is the engine's default, so it is left out)."""
    return {name: float(chosen[name]) for name in PENALTIES if chosen.get(name)}


def prompt_limit(*, context_length: int, max_new_tokens: int) -> int:
    """The most prompt tokens a run may send: what the model's context holds after room for
    the answer it asks for (at most half the context), never over GPTSTORE_MAX_PROMPT_TOKENS."""
    room = min(max_new_tokens, context_length // 2)
    return max(1, min(settings.GPTSTORE_MAX_PROMPT_TOKENS, context_length - room))


def api_sampling(
    *,
    max_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    stop: list[str] | None = None,
    frequency_penalty: float | None = None,
    presence_penalty: float | None = None,
) -> dict:
    """Sampling values of an OpenAI-style request (already validated), for the run's
    `sampling` field; absent values are left out."""
    out: dict = {}
    if max_tokens is not None:
        out["max_new_tokens"] = max(1, min(int(max_tokens), settings.GPTSTORE_MAX_NEW_TOKENS))
    if temperature is not None:
        out["temperature"] = _temperature(temperature)
    if top_p is not None:
        out["top_p"] = float(top_p)
    if seed is not None:
        out["seed"] = int(seed)
    if stop:
        out["stop"] = list(stop)
    # Set even when 0: a request's 0 overrides the model's or the tool's default penalty.
    if frequency_penalty is not None:
        out["frequency_penalty"] = float(frequency_penalty)
    if presence_penalty is not None:
        out["presence_penalty"] = float(presence_penalty)
    return out


def base_sampling(overrides: dict | None = None, *, model_defaults: dict | None = None) -> dict:
    """The parameters of a run of a model itself (no tool): the model's defaults, then the
    request's overrides (already validated and capped by `api_sampling`)."""
    params = {
        "temperature": DEFAULT_TEMPERATURE,
        "top_p": DEFAULT_TOP_P,
        "max_new_tokens": DEFAULT_MAX_NEW_TOKENS,
        "seed": random.randrange(2**31),
        **(model_defaults or {}),
        **(overrides or {}),
    }
    params["max_new_tokens"] = max(
        1, min(int(params["max_new_tokens"]), settings.GPTSTORE_MAX_NEW_TOKENS)
    )
    params["temperature"] = _temperature(params["temperature"])
    return params
