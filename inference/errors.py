"""Errors callers can catch without knowing anything else about the engine."""


class EngineError(Exception):
    """Base class for everything the engine refuses or fails with."""


class QueueFull(EngineError):
    """The waiting queue is at its bound; the caller should retry later or refuse the run."""


class PromptTooLong(EngineError):
    """The templated prompt leaves no room for even one new token in the context."""
