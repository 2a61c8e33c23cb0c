"""GPT Store's inference engine: one shared continuous-batching engine over a causal LM.

    lm = load_model()                      # SmolLM2-135M-Instruct by default
    with Engine(lm) as engine:
        handle = engine.submit(messages=[{"role": "user", "content": "Hi"}])
        for piece in handle: ...
        print(handle.result().text)

`RemoteEngine(base_url, model)` has the same face for a model on an OpenAI-compatible server
(vLLM, llama-server, TGI) and needs no torch.

Never imports Django or the apps; torch and transformers load lazily on first use.
"""

from .errors import EngineError, PromptTooLong, QueueFull
from .params import SamplingParams

__all__ = [
    "Engine",
    "EngineError",
    "PromptTooLong",
    "QueueFull",
    "RemoteEngine",
    "RequestHandle",
    "Result",
    "SamplingParams",
    "load_model",
]


def __getattr__(name: str):
    # Keep `import inference` light: web processes import the errors and params without torch.
    if name == "Engine":
        from .engine import Engine

        return Engine
    if name == "RemoteEngine":  # a model on an OpenAI-compatible server, same face as Engine
        from .remote import RemoteEngine

        return RemoteEngine
    if name == "load_model":
        from .loader import load_model

        return load_model
    if name in ("RequestHandle", "Result"):
        from . import request

        return getattr(request, name)
    raise AttributeError(f"module 'inference' has no attribute {name!r}")
