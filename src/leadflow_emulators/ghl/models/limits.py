"""GHL's API v2 rate limits per client (app) per location: a burst of 100 requests per 10 seconds and
200,000 per day, reported on every answer in the ``X-RateLimit-*`` headers; past either, 429.

Limits are backend settings (``GhlLimits``), changeable at run time (off for benchmarks).

Example:
    >>> from datetime import UTC, datetime
    >>> from leadflow_emulators.common.clock import Clock
    >>> limiter = RateLimiter(Clock(start=datetime(2026, 1, 1, tzinfo=UTC), frozen=True), GhlLimits(burst=2))
    >>> limiter.take("app:loc")["X-RateLimit-Remaining"], limiter.take("app:loc")["X-RateLimit-Remaining"]
    ('1', '0')
    >>> limiter.take("app:loc")
    Traceback (most recent call last):
    ...
    leadflow_emulators.ghl.models.limits.RateLimited: Too Many Requests
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass, fields
from typing import Any

from leadflow_emulators.common.clock import Clock


@dataclass
class GhlLimits:
    enabled: bool = True
    burst: int = 100
    burst_window_ms: int = 10_000
    daily: int = 200_000

    def snapshot(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, changes: dict[str, Any]) -> None:
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown limit settings: {unknown} (known: {sorted(known)})")
        for name, value in changes.items():
            if name == "enabled":
                if not isinstance(value, bool):
                    raise ValueError("limit enabled expects true or false")
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"limit {name} expects a non-negative integer, got {value!r}")
        for name, value in changes.items():
            setattr(self, name, value)


class RateLimited(Exception):
    def __init__(self, headers: dict[str, str]) -> None:
        super().__init__("Too Many Requests")
        self.headers = headers


class RateLimiter:
    def __init__(self, clock: Clock, limits: GhlLimits) -> None:
        self.clock = clock
        self.limits = limits
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}
        self._days: dict[str, tuple[str, int]] = {}

    def take(self, key: str) -> dict[str, str]:
        """Count one request for ``key``; the headers to send, or ``RateLimited`` (with them) past a limit."""
        limits = self.limits
        if not limits.enabled:  # nothing counted (benchmarks); the headers still go out, at their full values
            return {
                "X-RateLimit-Limit-Daily": str(limits.daily),
                "X-RateLimit-Daily-Remaining": str(limits.daily),
                "X-RateLimit-Interval-Milliseconds": str(limits.burst_window_ms),
                "X-RateLimit-Max": str(limits.burst),
                "X-RateLimit-Remaining": str(limits.burst),
            }
        now = self.clock.timestamp()
        day = self.clock.now().date().isoformat()
        with self._lock:
            window = self._windows.setdefault(key, deque())
            horizon = now - limits.burst_window_ms / 1000.0
            while window and window[0] <= horizon:
                window.popleft()
            seen_day, used = self._days.get(key, (day, 0))
            if seen_day != day:
                used = 0
            over = len(window) >= limits.burst or used >= limits.daily
            if not over:
                window.append(now)
                used += 1
                self._days[key] = (day, used)
            headers = {
                "X-RateLimit-Limit-Daily": str(limits.daily),
                "X-RateLimit-Daily-Remaining": str(max(limits.daily - used, 0)),
                "X-RateLimit-Interval-Milliseconds": str(limits.burst_window_ms),
                "X-RateLimit-Max": str(limits.burst),
                "X-RateLimit-Remaining": str(max(limits.burst - len(window), 0)),
            }
        if over:
            raise RateLimited(headers)
        return headers

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()
            self._days.clear()
