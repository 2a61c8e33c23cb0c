"""Small helpers several test modules share (fixtures live in conftest.py files)."""

from __future__ import annotations

import time

from tools.models import Run


def wait_final(run_id, timeout: float = 60.0) -> Run:
    """Poll until a run is final, or the timeout passes; returns the run either way."""
    deadline = time.monotonic() + timeout
    while True:
        run = Run.objects.get(pk=run_id)
        if run.is_final or time.monotonic() > deadline:
            return run
        time.sleep(0.1)
