"""OpenMP housekeeping for an engine whose loop runs outside the thread that built it.

libgomp keeps one worker pool per thread that ever ran a parallel region. Once the pools of
all threads hold more threads than there are CPUs, libgomp switches every pool to a throttled
spin: its workers sleep on a futex between parallel regions and each region pays a wake-up.
With the builder's pool alive, the engine thread's decode step took 31-40 ms instead of ~20 ms
(2 cores, SmolLM2, one row), and small parallel ops ~7x longer. Releasing the builder's pool
before the engine thread starts keeps the engine's pool the only one.
"""

from __future__ import annotations

import ctypes

_OMP_PAUSE_SOFT = 1


_found: list[ctypes.CDLL] = []


def _openmp() -> ctypes.CDLL | None:
    """The OpenMP runtime torch loaded; None before torch is imported (looked up again later)."""
    if _found:
        return _found[0]
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "omp" in line.rsplit("/", 1)[-1]}
    except OSError:  # not Linux
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
            lib.omp_pause_resource_all  # noqa: B018 - OpenMP 5.0; older runtimes lack it
        except (OSError, AttributeError):
            continue
        _found.append(lib)
        return lib
    return None


def release_thread_pool() -> bool:
    """Free the calling thread's OpenMP workers; its next parallel region starts a new pool."""
    lib = _openmp()
    return lib is not None and lib.omp_pause_resource_all(_OMP_PAUSE_SOFT) == 0
