"""A first-come first-served bound on how many requests run at once, for one event loop."""

from __future__ import annotations

import asyncio
from collections import deque


class Gate:
    """Touched only from the loop's own thread: no lock."""

    def __init__(self, size: int) -> None:
        self.size, self.busy = size, 0
        self.waiting: deque[asyncio.Future] = deque()

    async def acquire(self) -> None:
        if self.busy < self.size and not self.waiting:
            self.busy += 1
            return
        turn = asyncio.get_running_loop().create_future()
        self.waiting.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # our turn came as we were cancelled: hand it on
            else:
                self.waiting.remove(turn)
            raise

    def release(self) -> None:
        while self.waiting:
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_result(None)  # the slot passes straight to the next in line
                return
        self.busy -= 1
