"""A registry of two models (one built-in, one remote) for page tests: `use_two_models`."""

from __future__ import annotations

TWO = """
[[models]]
id = "smol"
name = "SmolLM2 135M"
description = "Small and fast; English."

[[models]]
id = "big-remote"
name = "Big remote"
backend = "openai"
base_url = "http://127.0.0.1:9/v1"
context_length = 32768
api_key_env = "BIG_KEY"
description = "A large model on a GPU server"
"""


def use_two_models(settings, directory) -> str:
    """Point the registry at TWO ("smol" first, so the default); returns the file's path."""
    path = directory / "models.toml"
    path.write_text(TWO)
    settings.GPTSTORE_MODELS_FILE = str(path)
    settings.GPTSTORE_DEFAULT_MODEL = ""
    return str(path)
