"""OpenAI-compatible servers side by side: `python -m bench.openai_compare`.

    python -m bench.openai_compare [--streams 1,16] [--max-tokens 64] [--prompts 16]
    LLAMA_SERVER=/path/to/llama-server python -m bench.openai_compare

One client (the official `openai` package: AsyncOpenAI, streamed chat completions,
temperature 0, no frequency penalty, `max_tokens`), the same prompts
(../shared/bench/prompts.json, else inference/bench/prompts.json, cycled to --prompts) and
the same concurrency levels drive each server in turn. At each level, S streams run at once,
each its share of the prompts one after the other (at least S requests, so that every stream
runs one). Per request: time to the first chunk with content (TTFT) and completion tokens
(the server's `usage`, else the content chunks). Per level: requests, total completion
tokens, aggregate tok/s (tokens over the level's wall time), TTFT p50 and p95. A table is
printed and var/bench/openai_compare.json written.

Servers:
- this store's own `/v1` (model `base`), always: a real stack (uvicorn + one Celery inference
  worker, as `make run` starts them) on its own database (gptstore_openai_bench, recreated)
  and Redis db 4 of the embedded servers, a user and an API token (store.py);
- llama.cpp's `llama-server`, when LLAMA_SERVER names the binary, on the same model (llama.py):
  the GGUF named by LLAMA_GGUF; else a float32 GGUF converted once from the cached
  safetensors folder (var/models/SmolLM2-135M-Instruct) into var/bench/ when
  `convert_hf_to_gguf.py` sits next to the binary (or two folders up, as in a llama.cpp
  build tree) or on PATH; else the Q4_1 GGUF this project ships (said in the output:
  4-bit, so not the same weights as the store's float32 model). Without LLAMA_SERVER a line
  says it was skipped and why.

The servers run one after the other, never at once: they share this machine's cores.
Figures and how to read them: docs/bench-openai.md.
"""
