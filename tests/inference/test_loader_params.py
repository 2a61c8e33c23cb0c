"""Model loading (offline only), the cache conversion's atomicity, and parameter validation."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from inference import EngineError, SamplingParams, load_model, loader

REPO = Path(__file__).resolve().parents[2]


def test_uncached_hub_id_fails_fast_and_clearly(tmp_path):
    t0 = time.perf_counter()
    with pytest.raises(EngineError, match="hub"):
        load_model("nobody-here/no-such-model-xyz", cache_dir=tmp_path)
    assert time.perf_counter() - t0 < 10


def test_local_folders_load(tiny_gpt2_dir, tiny_llama_dir):
    gpt2 = load_model(str(tiny_gpt2_dir), device="cpu")
    assert not gpt2.is_chat and gpt2.max_context == 256 and str(gpt2.dtype) == "torch.float32"
    llama = load_model(str(tiny_llama_dir), device="cpu", dtype="float64")
    assert llama.is_chat and llama.device.type == "cpu" and llama.name == tiny_llama_dir.name


def test_conversion_is_atomic(tmp_path, monkeypatch):
    calls = []

    def fake_convert(gguf, dest):
        calls.append(dest)
        tmp = dest.parent / ".tmp-x"
        tmp.mkdir(parents=True)
        (tmp / "config.json").write_text("{}")
        (tmp / "CONVERTED_FROM").write_text("x")
        tmp.rename(dest)

    monkeypatch.setattr(loader, "_convert_gguf", fake_convert)
    monkeypatch.setattr(loader, "_gguf_path", lambda: Path("x.gguf"))
    broken = tmp_path / loader.DEFAULT_NAME
    broken.mkdir()
    (broken / "config.json").write_text("half-written")  # no CONVERTED_FROM marker
    assert loader.ensure_default_model(tmp_path) == broken
    assert (broken / "CONVERTED_FROM").is_file() and len(calls) == 1
    loader.ensure_default_model(tmp_path)
    assert len(calls) == 1  # a complete cache is reused


def test_env_var_overrides_default_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("GPTSTORE_MODEL_CACHE", str(tmp_path))
    assert loader.default_cache_dir() == tmp_path


@pytest.mark.parametrize(
    "kwargs",
    [
        {"temperature": -1},
        {"top_p": 0},
        {"top_p": 1.5},
        {"top_k": -2},
        {"max_new_tokens": 0},
        {"stop": ("",)},
        {"deadline_s": 0},
        {"seed": "x"},
    ],
)
def test_sampling_params_validate(kwargs):
    with pytest.raises(ValueError):
        SamplingParams(**kwargs)


def test_sampling_params_defaults():
    p = SamplingParams(stop="END")
    assert p.stop == ("END",) and p.max_new_tokens == 256 and not p.greedy
    assert SamplingParams(temperature=0).greedy


def test_import_is_light_and_django_free():
    code = (
        "import sys, inference; "
        "from inference import SamplingParams, EngineError, QueueFull, PromptTooLong; "
        "bad = [m for m in ('django', 'store', 'tools', 'torch') if m in sys.modules]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr
    src = "\n".join(p.read_text() for p in (REPO / "inference").glob("*.py"))
    assert "import django" not in src and "from store" not in src and "from tools" not in src
