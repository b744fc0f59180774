"""State that every application process of one deployment must see alike: in this process by default, in Redis when
``REDIS_URL`` is set (several processes or machines behind a load balancer).

What lives here: the WeChat channel's message claims and replies (a retry may reach another process than the first
delivery), each follower's last options and unread pages ("1", "更多" may reach another process), and the queue of late
replies (sent by whichever process is free, even when the one that computed them has died).

Redis going away never fails a request: a :class:`RedisStore` call that cannot reach Redis logs a warning and
behaves as a process alone would (a claim succeeds, nothing is found, a late reply is sent directly), and works
again once Redis is back.

Example:
    >>> import asyncio
    >>> store = MemoryStore()
    >>> asyncio.run(store.claim("wx:msg:1", ttl=60)), asyncio.run(store.claim("wx:msg:1", ttl=60))
    (True, False)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

log = logging.getLogger(__name__)

PREFIX = "zhengwu:"  # every key of ours in a Redis that may serve other applications too
POP_WAIT_S = 5  # the longest a blocking pop waits on the server


K = TypeVar("K")
V = TypeVar("V")


class BoundedTTLCache(Generic[K, V]):
    """A small in-memory map that forgets entries after ``ttl`` seconds and keeps at most ``max_entries``.

    The oldest entry is evicted first. Not shared between processes.

    Args:
        ttl: seconds an entry lives after it was last set (unless :meth:`set` says otherwise).
        max_entries: the most entries kept.
        clock: monotonic seconds (tests pass a fake).

    Example:
        >>> cache = BoundedTTLCache(ttl=60, max_entries=2)
        >>> cache.set("a", 1); cache.set("b", 2); cache.set("c", 3)
        >>> cache.get("a"), cache.get("c")
        (None, 3)
    """

    def __init__(self, ttl: float, max_entries: int, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value under ``key``, or None when absent or expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._entries[key]
            return None
        return entry[1]

    def set(self, key: K, value: V, ttl: float | None = None) -> None:
        """Store ``value`` for ``ttl`` seconds (default: the cache's), evicting expired and then the oldest entries."""
        self._entries.pop(key, None)
        self._entries[key] = (self._clock() + (self.ttl if ttl is None else ttl), value)
        now = self._clock()
        while self._entries:
            oldest_key, (expires, _) = next(iter(self._entries.items()))
            if expires > now and len(self._entries) <= self.max_entries:
                break
            del self._entries[oldest_key]

    def pop(self, key: K) -> None:
        """Forget ``key`` (no error when absent)."""
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


class SharedStore(Protocol):
    shared: bool
    """True when other processes see the same state (Redis)."""

    async def get(self, key: str) -> str | None:
        """The value of ``key``, or None when absent or expired."""
        ...

    async def set(self, key: str, value: str, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds."""
        ...

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        ...

    async def claim(self, key: str, ttl: float) -> bool:
        """Set ``key`` for ``ttl`` seconds unless it exists; True when this call set it."""
        ...

    async def push(self, queue: str, value: str) -> bool:
        """Append ``value`` to ``queue``; False when it could not be queued (the caller acts on it itself)."""
        ...

    async def pop(self, queue: str, timeout: float) -> str | None:
        """The oldest value of ``queue``, waiting up to ``timeout`` seconds; None when there was none."""
        ...

    async def aclose(self) -> None: ...


class MemoryStore:
    """The state of one process: bounded (the least recently set keys are forgotten first), with per-key expiry.

    Args:
        max_entries: the most keys kept.
        clock: monotonic seconds (tests pass a fake).
    """

    shared = False

    def __init__(self, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self._entries: BoundedTTLCache[str, str] = BoundedTTLCache(ttl=3600.0, max_entries=max_entries, clock=clock)
        self._queues: dict[str, asyncio.Queue[str]] = {}

    async def get(self, key: str) -> str | None:
        return self._entries.get(key)

    async def set(self, key: str, value: str, ttl: float) -> None:
        self._entries.set(key, value, ttl)

    async def delete(self, key: str) -> None:
        self._entries.pop(key)

    async def claim(self, key: str, ttl: float) -> bool:
        if self._entries.get(key) is not None:
            return False
        self._entries.set(key, "1", ttl)
        return True

    async def push(self, queue: str, value: str) -> bool:
        self._queues.setdefault(queue, asyncio.Queue()).put_nowait(value)
        return True

    async def pop(self, queue: str, timeout: float) -> str | None:
        try:
            return await asyncio.wait_for(self._queues.setdefault(queue, asyncio.Queue()).get(), timeout)
        except TimeoutError:
            return None

    async def aclose(self) -> None:
        self._queues.clear()


class RedisStore:
    """The state in Redis, shared by every process that uses the same server (keys prefixed ``zhengwu:``).

    Args:
        url: ``redis://[:password@]host:port/db``.
        timeout: seconds per Redis call (a slow or unreachable Redis must not hold a WeChat reply past its window).
    """

    shared = True

    def __init__(self, url: str, timeout: float = 1.0):
        import redis.asyncio

        self.url = url
        self.redis = redis.asyncio.Redis.from_url(
            url, decode_responses=True, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        # blocking pops wait on the server longer than a call may take: their own connections, their own timeout
        self._blocking = redis.asyncio.Redis.from_url(
            url, decode_responses=True, socket_timeout=POP_WAIT_S + 5, socket_connect_timeout=timeout
        )

    def _failed(self, what: str, exc: Exception) -> None:
        log.warning("Redis unavailable (%s): %s; this process acts alone until it is back", what, exc)

    async def get(self, key: str) -> str | None:
        try:
            return await self.redis.get(PREFIX + key)
        except Exception as exc:
            self._failed("get", exc)
            return None

    async def set(self, key: str, value: str, ttl: float) -> None:
        try:
            await self.redis.set(PREFIX + key, value, px=max(1, int(ttl * 1000)))
        except Exception as exc:
            self._failed("set", exc)

    async def delete(self, key: str) -> None:
        try:
            await self.redis.delete(PREFIX + key)
        except Exception as exc:
            self._failed("delete", exc)

    async def claim(self, key: str, ttl: float) -> bool:
        try:
            return bool(await self.redis.set(PREFIX + key, "1", px=max(1, int(ttl * 1000)), nx=True))
        except Exception as exc:
            self._failed("claim", exc)
            return True

    async def push(self, queue: str, value: str) -> bool:
        try:
            await self.redis.rpush(PREFIX + queue, value)
            return True
        except Exception as exc:
            self._failed("push", exc)
            return False

    async def pop(self, queue: str, timeout: float) -> str | None:
        try:
            item = await self._blocking.blpop([PREFIX + queue], timeout=max(1, min(POP_WAIT_S, round(timeout))))
        except Exception as exc:
            self._failed("pop", exc)
            await asyncio.sleep(timeout)
            return None
        return item[1] if item else None

    async def aclose(self) -> None:
        await self.redis.aclose()
        await self._blocking.aclose()


def open_store(redis_url: str | None) -> SharedStore:
    """Redis when a URL is configured, this process's memory otherwise."""
    return RedisStore(redis_url) if redis_url else MemoryStore()
