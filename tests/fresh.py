"""Run a Python snippet in a fresh interpreter, for tests whose subject is process-wide state
(thread counts, OpenMP pools) that the test process itself would blur."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_json(script: str, **env: str) -> dict:
    """Run `script` from the repository root; return the JSON object it printed last."""
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])
