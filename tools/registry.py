"""The models this store serves, as the operator configures them.

Each model has an id (what a tool version pins, `model=` on /v1, the Celery queue
`inference.<id>`), a display name, a context length, default sampling, a description and a
backend:

- `builtin`: this project's engine inside a Celery worker, on a local Hugging Face folder or
  a GGUF file (converted and cached once); an empty `path` is the bundled default model;
- `openai`: any OpenAI-compatible server (vLLM, llama.cpp's llama-server, TGI) by base URL,
  with an optional key read from the environment variable `api_key_env` (never stored).

Without `GPTSTORE_MODELS_FILE` the registry holds one built-in model, the default
(`GPTSTORE_MODEL`, else SmolLM2-135M-Instruct), exactly as a store without a registry ran.
The file is TOML; the README's "Models" section shows one. A bad file stops the process at
start with a message naming the entry, never at run time.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from inference.defaults import DEFAULT_NAME

from .sampling import SAMPLING_RANGES

BACKENDS = ("builtin", "openai")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
QUEUE_PREFIX = "inference."
DEFAULT_CONTEXT = 2048
BUNDLED_FREQUENCY_PENALTY = 0.5


@dataclass(frozen=True)
class ModelSpec:
    id: str
    name: str
    backend: str = "builtin"
    context_length: int = DEFAULT_CONTEXT
    description: str = ""
    sampling: dict = field(default_factory=dict)
    path: str = ""  # builtin: a Hugging Face folder or a .gguf file; "" = the default model
    base_url: str = ""  # openai: e.g. http://gpu-box:8000/v1
    remote_model: str = ""  # openai: the server's name for it (default: the id)
    api_key_env: str = ""  # openai: the environment variable holding the key, if any
    max_in_flight: int = 8  # openai: requests one worker sends the server at once

    @property
    def queue(self) -> str:
        return QUEUE_PREFIX + self.id

    @property
    def is_remote(self) -> bool:
        return self.backend == "openai"


def _default_spec() -> ModelSpec:
    model = settings.GPTSTORE_MODEL
    model_id = Path(model).name if model else DEFAULT_NAME
    return ModelSpec(
        id=model_id,
        name=model_id,
        context_length=4096 if not model else DEFAULT_CONTEXT,  # the engine's cap
        description="The store's built-in model." if model else "Small, fast on a CPU; English.",
        path=model,
        # At low temperatures the bundled 135M model falls into loops ("It's a little owl,
        # it's a little owl, ...") until it runs out of tokens; this penalty ends them.
        sampling={} if model else {"frequency_penalty": BUNDLED_FREQUENCY_PENALTY},
    )


def _spec(entry: object, i: int) -> ModelSpec:
    if not isinstance(entry, dict):
        raise ImproperlyConfigured(f"models[{i}] must be a table")
    known = set(ModelSpec.__dataclass_fields__)
    unknown = set(entry) - known
    if unknown:
        raise ImproperlyConfigured(f"models[{i}]: unknown keys {sorted(unknown)}")
    model_id = entry.get("id")
    if not isinstance(model_id, str) or not ID_RE.match(model_id):
        raise ImproperlyConfigured(
            f"models[{i}]: id must be 1-100 letters, digits, '.', '_' or '-' (got {model_id!r})"
        )
    try:
        spec = ModelSpec(**{"name": model_id, **entry})
    except TypeError as exc:
        raise ImproperlyConfigured(f"model {model_id}: {exc}") from exc
    _check(spec)
    return spec


def _check(spec: ModelSpec) -> None:
    where = f"model {spec.id}"
    if spec.backend not in BACKENDS:
        raise ImproperlyConfigured(f"{where}: backend must be one of {', '.join(BACKENDS)}")
    if not isinstance(spec.context_length, int) or spec.context_length < 16:
        raise ImproperlyConfigured(f"{where}: context_length must be an integer >= 16")
    if not isinstance(spec.max_in_flight, int) or spec.max_in_flight < 1:
        raise ImproperlyConfigured(f"{where}: max_in_flight must be an integer >= 1")
    if spec.is_remote and not spec.base_url.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"{where}: an openai backend needs base_url (http or https)")
    for name, value in spec.sampling.items():
        lo, hi = SAMPLING_RANGES.get(name, (None, None))
        if lo is None or not isinstance(value, int | float) or not lo <= value <= hi:
            raise ImproperlyConfigured(f"{where}: sampling.{name} is not a known value in range")


@cache
def _load(path: str, default_id: str) -> tuple[dict[str, ModelSpec], str]:
    if not path:
        spec = _default_spec()
        return {spec.id: spec}, spec.id
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ImproperlyConfigured(f"GPTSTORE_MODELS_FILE {path}: {exc}") from exc
    entries = data.get("models")
    if not isinstance(entries, list) or not entries:
        raise ImproperlyConfigured(f"{path}: needs at least one [[models]] entry")
    specs: dict[str, ModelSpec] = {}
    for i, entry in enumerate(entries):
        spec = _spec(entry, i)
        if spec.id in specs:
            raise ImproperlyConfigured(f"{path}: model id {spec.id} appears twice")
        specs[spec.id] = spec
    chosen = default_id or next(iter(specs))
    if chosen not in specs:
        raise ImproperlyConfigured(f"GPTSTORE_DEFAULT_MODEL {chosen} is not in {path}")
    return specs, chosen


def models() -> dict[str, ModelSpec]:
    """Every registered model by id, in the file's order (the default first without one)."""
    return _load(settings.GPTSTORE_MODELS_FILE, settings.GPTSTORE_DEFAULT_MODEL)[0]


def default_model_id() -> str:
    return _load(settings.GPTSTORE_MODELS_FILE, settings.GPTSTORE_DEFAULT_MODEL)[1]


def get_model(model_id: str) -> ModelSpec | None:
    """The registered model `model_id` ("" = the default), or None if it is not registered."""
    return models().get(model_id or default_model_id())


def worker_models() -> list[ModelSpec]:
    """The models this worker process serves (`GPTSTORE_WORKER_MODELS`, default: the default)."""
    wanted = [m.strip() for m in settings.GPTSTORE_WORKER_MODELS.split(",") if m.strip()]
    missing = [m for m in wanted if m not in models()]
    if missing:
        raise ImproperlyConfigured(f"GPTSTORE_WORKER_MODELS names unknown models: {missing}")
    return [models()[m] for m in wanted] or [models()[default_model_id()]]
