import os
import time

import pytest
import torch

from inference.threads import release_thread_pool


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


@pytest.mark.skipif(torch.get_num_threads() < 2, reason="one OpenMP thread: no pool to free")
def test_release_thread_pool_stops_the_callers_openmp_workers():
    torch.ones(4_000_000).add_(1)  # a parallel region: this thread now owns a worker pool
    before = _threads()
    assert release_thread_pool()
    deadline = time.monotonic() + 2
    while _threads() >= before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _threads() < before
    # torch still works afterwards: the next parallel region builds a fresh pool
    assert torch.ones(4_000_000).add_(1).sum().item() == 8_000_000
