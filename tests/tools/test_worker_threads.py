"""A task that used torch in a worker's pool thread must not leave an OpenMP pool behind: a
second pool throttles the engine's (inference/threads.py)."""

import os

import pytest

from tests.fresh import run_json

# A fresh process (thread counts of the test process move with whatever else it runs) that
# loads the worker's task module, does torch work in a thread as a task would, and ends it the
# way Celery ends every task: with the task_postrun signal, sent from that thread.
SCRIPT = """
import json, os, threading, time
import django
django.setup()
import torch
from celery.signals import task_postrun
import tools.tasks  # noqa: F401 - connects the worker's signal handlers

def threads():
    return len(os.listdir("/proc/self/task"))

torch.set_num_threads(2)
seen = {}

def task_thread():
    torch.ones(4_000_000).add_(1)  # what an embedding task does: a parallel region
    seen["before"] = threads()
    task_postrun.send(sender=None, task_id="t", task=None, args=(), kwargs={}, retval=None)
    deadline = time.monotonic() + 5
    while threads() >= seen["before"] and time.monotonic() < deadline:
        time.sleep(0.01)
    seen["after"] = threads()

t = threading.Thread(target=task_thread)
t.start()
t.join()
print(json.dumps(seen))
"""


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one CPU: no OpenMP pool to free")
def test_task_postrun_frees_the_task_threads_openmp_pool():
    seen = run_json(SCRIPT, DJANGO_SETTINGS_MODULE="config.settings.test")
    assert seen["after"] < seen["before"]
