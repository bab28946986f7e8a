"""Running the loop for people: threads, decisions, locks, checkpoints, recovery."""

from agents.runtime.checkpoint import checkpoint_url, open_checkpointer, prune_threads
from agents.runtime.checkpoint_scrub import checkpoint_step, iter_values, url_step
from agents.runtime.locks import thread_lock
from agents.runtime.recovery import recover
from agents.runtime.threads import LoopRuntime, RunResult, open_runtime

__all__ = [
    "LoopRuntime",
    "RunResult",
    "checkpoint_step",
    "checkpoint_url",
    "iter_values",
    "open_checkpointer",
    "open_runtime",
    "prune_threads",
    "recover",
    "thread_lock",
    "url_step",
]
