"""Chat threads: who may see them, and their progress events across workers."""

from userops.threads.access import THREAD_ID_PATTERN, check_thread_id, may_see, owner_of, sees_all

__all__ = [
    "THREAD_ID_PATTERN",
    "check_thread_id",
    "may_see",
    "owner_of",
    "sees_all",
]
