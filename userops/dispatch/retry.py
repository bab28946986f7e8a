"""Send a batch with tenacity retries on transient failures only.

A message is retried when its :class:`SendResult` says ``transient`` or when the whole
``send_batch`` call raised (a batch-level failure: connection reset, timeout). Waits are
exponential with jitter (``wait_exponential_jitter``) and never shorter than a provider's
``retry_after``. Permanent failures are returned at once, never retried.
"""

from __future__ import annotations

from collections import Counter

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from userops.dispatch.adapters.base import ChannelAdapter, OutgoingMessage, SendResult
from userops.dispatch.policy import Policy


class TransientBatch(Exception):
    """Some messages of the batch failed transiently (retry them)."""

    def __init__(self, retry_after: float = 0.0) -> None:
        super().__init__("transient failure")
        self.retry_after = retry_after


def _waiter(policy: Policy) -> wait_exponential_jitter:
    base = wait_exponential_jitter(
        initial=policy.retry.initial_seconds,
        max=policy.retry.max_seconds,
        jitter=policy.retry.initial_seconds,
    )

    class _Wait(wait_exponential_jitter):
        def __call__(self, retry_state: RetryCallState) -> float:
            exc = retry_state.outcome.exception() if retry_state.outcome else None
            after = exc.retry_after if isinstance(exc, TransientBatch) else 0.0
            return max(base(retry_state), after)

    return _Wait()


async def send_with_retry(
    adapter: ChannelAdapter, messages: list[OutgoingMessage], policy: Policy
) -> tuple[dict[str, SendResult], Counter[str], float]:
    """Send ``messages``; return final results by key, tries by key, and the largest retry_after.

    Messages still failing transiently after ``retry.in_process_tries`` keep their last
    transient result (the worker re-queues them with a backoff or dead-letters them).
    """
    results: dict[str, SendResult] = {}
    tries: Counter[str] = Counter()
    waited = 0.0
    pending = list(messages)
    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.retry.in_process_tries),
        wait=_waiter(policy),
        retry=retry_if_exception_type(TransientBatch),
        reraise=False,
    )
    try:
        async for attempt in retrying:
            with attempt:
                for m in pending:
                    tries[m.idempotency_key] += 1
                try:
                    out = await adapter.send_batch(pending)
                    if len(out) != len(pending):
                        raise ValueError(f"adapter returned {len(out)} results for {len(pending)}")
                except Exception as exc:  # a whole-batch failure is transient
                    for m in pending:
                        results[m.idempotency_key] = SendResult(
                            m.idempotency_key, False, transient=True, error=f"batch: {exc}"[:60]
                        )
                    raise TransientBatch() from exc
                retry_after = 0.0
                for m, r in zip(pending, out, strict=True):
                    results[m.idempotency_key] = r
                    retry_after = max(retry_after, r.retry_after or 0.0)
                pending = [m for m, r in zip(pending, out, strict=True) if not r.ok and r.transient]
                waited = max(waited, retry_after)
                if pending:
                    raise TransientBatch(retry_after)
    except RetryError:
        pass
    return results, tries, waited
