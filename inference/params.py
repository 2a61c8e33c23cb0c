"""Per-request sampling parameters; they check themselves so bad values fail at submit time."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class SamplingParams:
    temperature: float = 0.7  # 0 means greedy
    top_p: float = 1.0
    top_k: int = 0  # 0 disables the top-k cut
    max_new_tokens: int = 256
    seed: int | None = None
    stop: tuple[str, ...] = ()
    ignore_eos: bool = False
    deadline_s: float | None = None  # seconds after submit; then finish_reason "timeout"
    # OpenAI's penalties, over the tokens generated so far: a token's logit drops by
    # frequency_penalty per earlier use and by presence_penalty once it has been used.
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.stop, str):
            self.stop = (self.stop,)  # a bare string would otherwise become a tuple of chars
        self.stop = tuple(self.stop)
        if not isinstance(self.temperature, int | float) or not 0 <= self.temperature <= 100:
            raise ValueError(f"temperature must be a number in [0, 100], got {self.temperature!r}")
        if not isinstance(self.top_p, int | float) or not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p!r}")
        if not isinstance(self.top_k, int) or self.top_k < 0:
            raise ValueError(f"top_k must be an int >= 0 (0 = off), got {self.top_k!r}")
        if not isinstance(self.max_new_tokens, int) or self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be an int >= 1, got {self.max_new_tokens!r}")
        if self.seed is not None and not isinstance(self.seed, int):
            raise ValueError(f"seed must be an int or None, got {self.seed!r}")
        if any(not isinstance(s, str) or not s for s in self.stop):
            raise ValueError(f"stop must be non-empty strings, got {self.stop!r}")
        _check_penalties(self.frequency_penalty, self.presence_penalty)
        if self.deadline_s is not None and not self.deadline_s > 0:
            raise ValueError(f"deadline_s must be > 0 seconds or None, got {self.deadline_s!r}")

    @property
    def penalized(self) -> bool:
        return bool(self.frequency_penalty or self.presence_penalty)

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


def _check_penalties(*values: float) -> None:
    for name, value in zip(("frequency_penalty", "presence_penalty"), values, strict=True):
        if not isinstance(value, int | float) or not -2 <= value <= 2:
            raise ValueError(f"{name} must be a number in [-2, 2], got {value!r}")
