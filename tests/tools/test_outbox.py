"""The worker's outbox: a run's first words reach Redis at once, later pieces are merged."""

import time
import uuid

from tools import streams
from tools.worker import Outbox


def _texts(run_id) -> list[str]:
    return [ev["text"] for _, ev in streams.read_all(run_id) if ev["type"] == "text"]


def _until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_first_piece_goes_at_once_and_later_pieces_are_merged(redis_client):
    box, run = Outbox(interval=2.0), str(uuid.uuid4())
    box.put(run, "Hello", urgent=True)
    box.start()
    _until(lambda: _texts(run))
    for word in (" big", " wide", " world"):
        box.put(run, word)
    time.sleep(0.1)
    assert _texts(run) == ["Hello"]  # held until the interval has passed
    _until(lambda: len(_texts(run)) > 1)
    assert _texts(run) == ["Hello", " big wide world"]  # one event for the three pieces


def test_flush_and_another_runs_first_words_send_held_text_at_once(redis_client):
    box, a, b = Outbox(interval=60.0), str(uuid.uuid4()), str(uuid.uuid4())
    box.put(a, "a1", urgent=True)
    assert box.flush(timeout=10)
    box.put(a, "a2")
    box.put(b, "b1", urgent=True)  # b's first words do not wait for a's interval
    _until(lambda: _texts(b), timeout=10)
    assert _texts(b) == ["b1"] and _texts(a) == ["a1", "a2"]
    box.put(a, "a3")
    assert box.flush(timeout=10)  # the final event must follow all of a run's text
    assert _texts(a) == ["a1", "a2", "a3"]
