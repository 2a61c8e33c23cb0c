"""What an inference worker process holds: its engine, its supervisor thread (leases,
cancellation, metrics) and the outbox that streams text to Redis."""

from .supervision import Supervisor, engine_metrics, supervisor, worker_id
from .text_outbox import Outbox, outbox

__all__ = ["Outbox", "Supervisor", "engine_metrics", "outbox", "supervisor", "worker_id"]
