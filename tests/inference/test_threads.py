import os

import pytest

from tests.fresh import run_json

# Run in a fresh process: thread counts of the test process move with whatever else it runs.
SCRIPT = """
import json, os, time
import torch
from inference.threads import release_thread_pool

def threads():
    return len(os.listdir("/proc/self/task"))

torch.set_num_threads(2)
start = threads()
torch.ones(4_000_000).add_(1)  # a parallel region: this thread now owns an OpenMP pool
before = threads()
released = release_thread_pool()
deadline = time.monotonic() + 5
while threads() >= before and time.monotonic() < deadline:
    time.sleep(0.01)
after = threads()
total = torch.ones(4_000_000).add_(1).sum().item()  # torch still works: a fresh pool
print(json.dumps({"start": start, "before": before, "after": after, "released": released,
                  "total": total}))
"""


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one CPU: no OpenMP pool to free")
def test_release_thread_pool_stops_the_callers_openmp_workers():
    seen = run_json(SCRIPT)
    assert seen["before"] > seen["start"]  # the pool's worker thread exists
    assert seen["released"]
    assert seen["after"] < seen["before"]
    assert seen["total"] == 8_000_000
