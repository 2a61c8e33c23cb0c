"""Tiny random Llama and GPT-2 models (float64, offline tokenizer) and the real SmolLM2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tiny_models import write_tiny_gpt2, write_tiny_llama

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory) -> Path:
    return write_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def tiny_gpt2_dir(tmp_path_factory) -> Path:
    return write_tiny_gpt2(tmp_path_factory.mktemp("tiny-gpt2"))


@pytest.fixture(scope="session")
def tiny_llama(tiny_llama_dir):
    from inference import load_model

    return load_model(str(tiny_llama_dir), device="cpu", dtype="float64")


@pytest.fixture(scope="session")
def tiny_gpt2(tiny_gpt2_dir):
    from inference import load_model

    return load_model(str(tiny_gpt2_dir), device="cpu", dtype="float64")


@pytest.fixture(scope="session")
def smollm():
    """The real default model in the default CPU config; converts once into var/models."""
    from inference import load_model

    return load_model(cache_dir=REPO / "var" / "models", device="cpu")


@pytest.fixture(scope="session")
def smollm_engine(smollm):
    from inference import Engine

    with Engine(smollm) as engine:
        yield engine
