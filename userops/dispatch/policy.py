"""The dispatch policy: what may be sent to whom, when (config + the time rules).

The policy is a YAML file (``policy_default.yaml`` ships with the package; see
docs/policy.md). This module holds the config model and the pure time arithmetic: quiet
hours in the user's own zone (DST-aware through :mod:`zoneinfo`) and rolling-window
frequency caps. :mod:`userops.dispatch.decide` applies them to recipients.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from userops.errors import BadInput

DEFAULT_FILE = Path(__file__).with_name("policy_default.yaml")
FALLBACK_TZ = "Asia/Shanghai"


class CapRule(BaseModel):
    """At most ``max`` marketing messages in any rolling window of ``window_hours``."""

    model_config = ConfigDict(extra="forbid")
    window_hours: float = Field(gt=0)
    """Length of the rolling window."""
    max: int = Field(ge=0)
    """Messages allowed in the window."""

    @property
    def window_s(self) -> int:
        """Window length in seconds."""
        return int(self.window_hours * 3600)


class QuietHours(BaseModel):
    """Local times between which marketing messages wait (may wrap midnight)."""

    model_config = ConfigDict(extra="forbid")
    start: time
    """First quiet minute (local)."""
    end: time
    """First allowed minute after the quiet period (local)."""

    @field_validator("start", "end", mode="before")
    @classmethod
    def _parse(cls, v: Any) -> Any:
        if isinstance(v, int):  # YAML reads 21:00 unquoted as sexagesimal minutes
            return time(v // 60, v % 60)
        return v


class FrequencyCaps(BaseModel):
    """Global and per-channel caps."""

    model_config = ConfigDict(extra="forbid")
    global_: list[CapRule] = Field(default_factory=list, alias="global")
    """Caps counting every channel."""
    per_channel: dict[str, list[CapRule]] = Field(default_factory=dict)
    """Caps counting one channel."""

    def rules_for(self, channel: str) -> list[tuple[CapRule, str | None]]:
        """Rules that apply to a message on ``channel`` (``None`` = counts all channels)."""
        out: list[tuple[CapRule, str | None]] = [(r, None) for r in self.global_]
        out += [(r, channel) for r in self.per_channel.get(channel, [])]
        return out

    @property
    def longest_s(self) -> int:
        """Longest window in seconds (how far back sends matter)."""
        rules = list(self.global_) + [r for rs in self.per_channel.values() for r in rs]
        return max((r.window_s for r in rules), default=0)


class RetryPolicy(BaseModel):
    """Delivery retries on transient failures."""

    model_config = ConfigDict(extra="forbid")
    max_attempts: int = Field(default=5, ge=1)
    """Failed hand-overs before a row is dead-lettered."""
    initial_seconds: float = 1.0
    """First backoff."""
    max_seconds: float = 60.0
    """Largest backoff."""
    in_process_tries: int = Field(default=3, ge=1)
    """Tries inside one worker pass before the row is re-queued with a backoff."""
    deadline_hours: float = Field(default=24.0, gt=0)
    """A message not handed over this long after it was queued is dead-lettered (expired)."""
    breaker_failures: int = Field(default=2, ge=1)
    """Failed hand-overs in a row (nothing accepted) that open a channel's circuit breaker."""
    breaker_cooldown_seconds: float = Field(default=30.0, gt=0)
    """How long an open breaker holds a channel before one probe (doubles per failed probe)."""
    breaker_max_cooldown_seconds: float = Field(default=600.0, gt=0)
    """Longest cool-down of an open breaker."""


class Policy(BaseModel):
    """The whole dispatch policy."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    quiet_hours: QuietHours | None = None
    """Quiet hours in the user's zone; ``None`` disables them."""
    frequency_caps: FrequencyCaps = Field(default_factory=FrequencyCaps)
    """Caps on marketing messages."""
    over_cap: Literal["defer", "suppress"] = "defer"
    """What happens to a message over a cap."""
    max_defer_hours: float = 72
    """A cap deferral longer than this suppresses instead (``frequency_cap``)."""
    transactional_requires_grant: bool = False
    """When false, transactional messages pass without a consent row (not a withdrawal)."""
    costs: dict[str, float] = Field(default_factory=dict)
    """Cost per message by channel (SMS: per segment)."""
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    """Retry settings of the worker."""
    allow_self_approval: bool = False
    """Whether the proposer of a plan may also approve it."""
    auto_approve_tiers: list[str] = Field(default_factory=list)
    """Risk tiers approved without a person (``low``...); empty = every step needs one."""
    lease_seconds: int = 120
    """How long a worker owns claimed rows before others may reclaim them."""
    batch_size: int = 5000
    """Rows claimed per worker transaction."""

    @classmethod
    def load(cls, path: str | Path | None = None) -> Policy:
        """Load the policy from ``path``, the configured file, or the built-in defaults.

        Raises:
            BadInput: the file is not valid YAML or a field is invalid (field named).
        """
        if path is None:
            from userops.settings import get_settings

            path = get_settings().policy_file or DEFAULT_FILE
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise BadInput.one(f"cannot read policy: {exc}", source=str(path)) from exc
        if not isinstance(data, dict):
            raise BadInput.one("policy must be a mapping", source=str(path))
        return cls.with_overrides(data, source=str(path))

    @classmethod
    def with_overrides(cls, data: dict[str, Any], *, source: str = "policy") -> Policy:
        """The built-in defaults with ``data`` merged over them, key by key."""
        base = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
        merged = _merge(base, data)
        try:
            return cls.model_validate(merged)
        except ValidationError as exc:
            raise BadInput.from_validation_error(exc, source=source) from exc

    def cost(self, channel: str, segments: int = 1) -> float:
        """Cost of one message on ``channel`` (``segments`` SMS parts)."""
        return self.costs.get(channel, 0.0) * max(1, segments)

    def next_quiet_free(self, ts: int, tz: str) -> int:
        """First allowed epoch second at or after ``ts`` in zone ``tz`` (quiet hours)."""
        if self.quiet_hours is None:
            return ts
        return _next_free(ts, tz, self.quiet_hours.start, self.quiet_hours.end)

    def cap_free_time(
        self, commits: list[tuple[int, str]], channel: str, ts: int, *, symmetric: bool
    ) -> int:
        """Earliest time at or after ``ts`` where a message on ``channel`` fits every cap.

        ``commits`` are the user's other marketing messages as ``(ts, channel)``. The window
        of a message at ``t`` is ``(t-W, t]`` (``symmetric=False``: only past sends count,
        used right before sending) or ``(t-W, t+W)`` (``symmetric=True``: scheduled messages
        count too, used when enqueuing; conservative for caps above one).
        """
        t = ts
        rules = self.frequency_caps.rules_for(channel)
        for _ in range(64):
            moved = False
            for rule, chan in rules:
                times = [c for c, ch in commits if chan is None or ch == chan]
                t2 = _fit(times, t, rule.window_s, rule.max, symmetric)
                if t2 != t:
                    t, moved = t2, True
            if not moved:
                return t
        return t


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _in_window(c: int, t: int, w: int, symmetric: bool) -> bool:
    if symmetric:
        return abs(c - t) < w
    return t - w < c <= t


def _fit(times: list[int], t: int, w: int, cap: int, symmetric: bool) -> int:
    """Move ``t`` forward until fewer than ``cap`` of ``times`` fall in its window."""
    if cap <= 0:
        return t + 10**9  # never: beyond any deferral horizon
    while sum(1 for c in times if _in_window(c, t, w, symmetric)) >= cap:
        later = [c + w for c in times if c + w > t]
        if not later:
            return t
        t = min(later)
    return t


@lru_cache(maxsize=4096)
def zone(tz: str | None) -> ZoneInfo:
    """Return the zone ``tz`` (unknown or empty zones fall back to Asia/Shanghai)."""
    try:
        return ZoneInfo(tz or FALLBACK_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(FALLBACK_TZ)


@lru_cache(maxsize=65536)
def _next_free(ts: int, tz: str, start: time, end: time) -> int:
    z = zone(tz)
    local = datetime.fromtimestamp(ts, z)
    now = local.time().replace(tzinfo=None)
    if start == end:
        return ts
    if start > end:  # wraps midnight, e.g. 21:00-09:00
        quiet = now >= start or now < end
        day = local.date() if now < end else local.date() + timedelta(days=1)
    else:
        quiet = start <= now < end
        day = local.date()
    if not quiet:
        return ts
    return int(datetime.combine(day, end, tzinfo=z).timestamp())
