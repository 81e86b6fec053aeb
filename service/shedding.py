"""Load shedding: beyond capacity, a quick 503 with Retry-After instead of a queue into timeouts.

Requests fall into classes by what they cost. `heavy` ranks or encodes (GET …/matches, POST
/search, writes, which embed their units); `light` is the rest (lists, profiles, reference data).
Each class may run `limit` requests at once and keep `queue` more waiting, each at most
`max_wait` seconds; a request that finds the queue full, or waits longer, is answered 503 at once
with `Retry-After`, before the app reads its body. `/health` is never held back, so a load
balancer can tell a busy server from a dead one.

Why bound concurrency and not the rate: the work is CPU-bound Python, so past a few requests per
core more of them in flight only share the GIL and the cores and every one gets slower (measured in
benchmarks/bench_load.py: the unbounded server answered none of 500 req/s in time). A small limit
keeps the latency of admitted requests near their service time and turns the excess into 503s.

A busy process also lets go of the connections it is busy with: a 503, and the answer to a request that had
to wait for a place, carry `Connection: close`. With `--workers N` the client's next request then opens a
new connection, which the least busy worker tends to accept first (they race for it); otherwise a kept-alive
connection stays with the worker that accepted it, and one worker was measured shedding at 82 % of a core
while the other used 48 % (benchmarks/RESULTS.md, fifth session).
"""

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matching.messages import Lang, render
from service.language import SCOPE_KEY

HEAVY, LIGHT = "heavy", "light"
EXEMPT = frozenset({"/health"})
WRITES = frozenset({"POST", "PUT", "PATCH"})


def classify(method: str, path: str) -> str | None:
    """The class a request belongs to; None for one that is never shed."""
    if path in EXEMPT:
        return None
    if path.endswith("/matches") or method in WRITES:
        return HEAVY
    return LIGHT


# How a request got in: at once, after waiting for a place, or not at all.
Admission = Literal["free", "waited", "refused"]
FREE: Admission = "free"
WAITED: Admission = "waited"
REFUSED: Admission = "refused"
CLOSE = (b"connection", b"close")


@dataclass(frozen=True)
class Limit:
    limit: int  # requests of the class running at once
    queue: int  # more that may wait for a place
    max_wait: float  # seconds one may wait before it is turned away


class Gate:
    """A semaphore with a bounded, time-limited queue, for one event loop."""

    def __init__(self, limit: Limit) -> None:
        self.config = limit
        self.active = 0
        self.waiting = 0
        self._free: asyncio.Semaphore | None = None
        self.shed = 0  # requests turned away, for tests and logs

    @property
    def free(self) -> asyncio.Semaphore:
        # Made on first use, inside the server's loop (a loop-bound primitive cannot be made at start).
        if self._free is None:
            self._free = asyncio.Semaphore(self.config.limit)
        return self._free

    async def enter(self) -> Admission:
        free = self.free
        if not free.locked() and self.waiting == 0:
            await free.acquire()  # does not block: a place is free and nobody is ahead
            admission: Admission = FREE
        else:
            if self.waiting >= self.config.queue:
                self.shed += 1
                return REFUSED
            self.waiting += 1
            try:
                await asyncio.wait_for(free.acquire(), self.config.max_wait)
            except TimeoutError:
                self.shed += 1
                return REFUSED
            finally:
                self.waiting -= 1
            admission = WAITED
        self.active += 1
        return admission

    def leave(self) -> None:
        self.active -= 1
        self.free.release()


class LoadShedding:
    """Pure ASGI middleware: a `Gate` per class of request; 503 `overloaded` when a gate refuses."""

    def __init__(self, app: ASGIApp, limits: dict[str, Limit], retry_after: int,
                 classify: Callable[[str, str], str | None] = classify) -> None:
        self.app = app
        self.gates = {name: Gate(limit) for name, limit in limits.items()}
        self.retry_after = retry_after
        self.classify = classify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        gate = self.gates.get(self.classify(scope["method"], scope["path"]) or "")
        if gate is None:
            await self.app(scope, receive, send)
            return
        admission = await gate.enter()
        if admission == REFUSED:
            await self._refuse(send, gate, scope.get(SCOPE_KEY, "en"))
            return
        try:
            await self.app(scope, receive, send if admission == FREE else _closing(send))
        finally:
            gate.leave()

    async def _refuse(self, send: Send, gate: Gate, lang: Lang) -> None:
        body = json.dumps({
            "error": "overloaded",
            "detail": render(lang, "error.overloaded", limit=gate.config.limit, waiting=gate.waiting,
                             retry=self.retry_after),
            "fields": [],
        }).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   (b"retry-after", str(self.retry_after).encode()), CLOSE]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _closing(send: Send) -> Send:
    """`send`, with `Connection: close` on the response: the client's next request opens a new connection."""
    async def closing(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), CLOSE]}
        await send(message)
    return closing
