"""Load shedding: a saturated class answers 503 `overloaded` with Retry-After at once and changes
nothing; other classes, /health and requests under the limit go on; a queued request runs when a
place frees, and one that waits too long is turned away.

No test depends on timing. The gate tests drive the real app's middleware stack (the error
middleware, the language choice, the shedding gate and the body-size limit, in the order
`create_app` builds them) with only the innermost app replaced by one that holds each request
until the test releases it, so "a request is inside" is a fact the test waits for, not a guess.
The end-to-end test takes the one heavy place of a real server on the server's own event loop,
then asks over HTTP.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from embeddings.encoder import Encoder
from matching import keys
from matching.db import make_engine, make_sessionmaker, upgrade
from matching.reference import Reference
from matching.vocab import Role
from service.app import create_app
from service.language import LanguageChoice
from service.limits import BodySizeLimit
from service.settings import Settings
from service.shedding import HEAVY, LIGHT, REFUSED, Gate, LoadShedding, classify
from tests import serving
from tests.conftest import college_body

JSON = {"Content-Type": "application/json"}
SEARCH = json.dumps({"text": "印染技术人员 dyeing technicians", "side": "colleges"}).encode()
GUARD = 30  # seconds: only so that a broken gate fails the test instead of hanging it; never reached when it works


def test_classes() -> None:
    assert classify("GET", "/health") is None
    assert classify("GET", "/enterprises/3/matches") == HEAVY
    assert classify("GET", "/colleges/3/matches") == HEAVY
    assert classify("POST", "/search") == HEAVY
    assert classify("POST", "/colleges") == HEAVY  # writes embed their units
    assert classify("GET", "/colleges") == LIGHT
    assert classify("GET", "/enterprises/3") == LIGHT
    assert classify("DELETE", "/colleges/3") == LIGHT


# --- The gate inside the real middleware stack, with a held innermost app ---------------------------------


class Holder:
    """The innermost app: records each request it gets (with the body it read), holds it until released."""

    def __init__(self) -> None:
        self.inside: asyncio.Queue[str] = asyncio.Queue()
        self.release: dict[str, asyncio.Event] = {}
        self.bodies: dict[str, bytes] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tag = dict(scope["headers"]).get(b"x-tag", b"").decode()
        body = b""
        if scope["method"] == "POST":
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
        self.bodies[tag] = body
        await self.inside.put(tag)
        if tag in self.release:
            await self.release[tag].wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": tag.encode()})

    def hold(self, tag: str) -> None:
        self.release[tag] = asyncio.Event()

    async def entered(self) -> str:
        return await asyncio.wait_for(self.inside.get(), GUARD)


def held_stack(**limits: Any) -> tuple[ASGIApp, list[type], LoadShedding, Holder]:
    """The stack `create_app` builds, its innermost app (routing) replaced by a Holder."""
    app = create_app(Settings(load_sample=False, **limits))
    stack = app.build_middleware_stack()
    chain: list[type] = []
    node: Any = stack
    while not isinstance(node, BodySizeLimit):
        chain.append(type(node))
        node = node.app
    chain.append(type(node))
    holder = Holder()
    node.app = holder
    shedding = next(n for n in _walk(stack) if isinstance(n, LoadShedding))
    return stack, chain, shedding, holder


def _walk(node: Any) -> Iterator[Any]:
    while node is not None:
        yield node
        node = getattr(node, "app", None)


async def call(app: ASGIApp, method: str, path: str, tag: str, body: bytes = b"",
               on_receive: Callable[[], None] | None = None) -> tuple[int, dict[bytes, bytes], bytes]:
    """One request through the ASGI app: (status, headers, body)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "path": path,
             "raw_path": path.encode(), "query_string": b"", "root_path": "", "scheme": "http",
             "headers": [(b"x-tag", tag.encode()), (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    sent: list[Message] = []

    async def receive() -> Message:
        if on_receive is not None:
            on_receive()
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


async def settle(condition: Callable[[], bool]) -> None:
    """Let the loop run other tasks until `condition` holds (no clock involved)."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


async def held_first(app: ASGIApp, holder: Holder, method: str, path: str, body: bytes = b""
                     ) -> asyncio.Task[tuple[int, dict[bytes, bytes], bytes]]:
    """A request tagged "first" that is inside the app and held there (it has its place) until released."""
    holder.hold("first")
    first = asyncio.create_task(call(app, method, path, "first", body))
    assert await holder.entered() == "first"
    return first


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), GUARD))


def test_the_gate_sits_between_the_language_choice_and_the_body_limit() -> None:
    _, chain, _, _ = held_stack()
    ours = [t for t in chain if t in (LanguageChoice, LoadShedding, BodySizeLimit)]
    # Shedding before the body limit: a refused request's body is never read.
    assert ours == [LanguageChoice, LoadShedding, BodySizeLimit]


def test_a_full_class_refuses_at_once_with_retry_after_and_reads_no_body() -> None:
    async def scenario() -> None:
        app, _, shedding, holder = held_stack(shed_heavy_limit=1, shed_heavy_queue=0, shed_retry_after_seconds=3)
        first = await held_first(app, holder, "POST", "/search", SEARCH)
        assert holder.bodies["first"] == SEARCH  # the admitted request got its whole body

        reads: list[str] = []
        status, headers, body = await call(app, "POST", "/colleges", "write", b'{"name": "x"}',
                                           on_receive=lambda: reads.append("write"))
        assert status == 503 and headers[b"retry-after"] == b"3"
        assert headers[b"content-type"] == b"application/json"
        assert headers[b"connection"] == b"close"  # the client's retry comes on a new connection
        refused = json.loads(body)
        assert refused["error"] == "overloaded" and refused["fields"] == []
        assert "1 such requests running, 0 waiting" in refused["detail"] and "retry after 3 s" in refused["detail"]
        assert reads == [] and "write" not in holder.bodies  # refused before its body was read or the app ran
        status, _, _ = await call(app, "GET", "/colleges/4/matches", "matches")
        assert status == 503
        assert shedding.gates[HEAVY].shed == 2

        # The light class and /health are not held back by a full heavy class.
        assert (await call(app, "GET", "/colleges", "list"))[0] == 200
        assert (await call(app, "GET", "/health", "health"))[0] == 200

        holder.release["first"].set()
        assert await first == (200, {b"content-type": b"text/plain"}, b"first")
        assert shedding.gates[HEAVY].active == 0
        assert (await call(app, "POST", "/search", "again", SEARCH))[0] == 200  # the place is free again

    run(scenario)


def test_a_queued_request_runs_when_a_place_frees_and_a_full_queue_refuses() -> None:
    async def scenario() -> None:
        app, _, shedding, holder = held_stack(shed_heavy_limit=1, shed_heavy_queue=1, shed_max_wait_seconds=60)
        gate = shedding.gates[HEAVY]
        first = await held_first(app, holder, "POST", "/search", SEARCH)
        queued = asyncio.create_task(call(app, "GET", "/enterprises/2/matches", "queued"))
        await settle(lambda: gate.waiting == 1)

        status, _, body = await call(app, "GET", "/colleges/3/matches", "third")  # the queue is full
        assert status == 503 and "1 waiting" in json.loads(body)["detail"]
        assert not queued.done() and holder.inside.empty()  # still waiting, not inside

        holder.release["first"].set()
        assert (await first)[0] == 200
        # It had to wait for its place: its answer lets go of the connection (the first one's kept it).
        assert await queued == (200, {b"content-type": b"text/plain", b"connection": b"close"}, b"queued")
        assert (gate.active, gate.waiting, gate.shed) == (0, 0, 1)

    run(scenario)


def test_a_request_that_waits_longer_than_max_wait_is_refused() -> None:
    async def scenario() -> None:
        app, _, shedding, holder = held_stack(shed_light_limit=1, shed_light_queue=5, shed_max_wait_seconds=0.01)
        gate = shedding.gates[LIGHT]
        first = await held_first(app, holder, "GET", "/colleges")
        status, headers, _ = await call(app, "GET", "/enterprises", "late")  # waits its 0.01 s, then is refused
        assert status == 503 and b"retry-after" in headers
        assert (gate.active, gate.waiting, gate.shed) == (1, 0, 1)
        holder.release["first"].set()
        assert (await first)[0] == 200

    run(scenario)


def test_without_shedding_nothing_is_refused() -> None:
    async def scenario() -> None:
        app = create_app(Settings(load_sample=False, shedding=False, shed_heavy_limit=1)).build_middleware_stack()
        assert not any(isinstance(n, LoadShedding) for n in _walk(app))

    run(scenario)


# --- End to end: a real server, its one heavy place taken on its own loop -----------------------------------


@pytest.fixture
def admin_secret(tmp_path: Path) -> str:
    engine = make_engine(f"sqlite:///{tmp_path / 'shed.db'}")
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        _, secret = keys.create_key(session, Role.ADMIN)
    engine.dispose()
    return secret


@contextmanager
def serve(tmp_path: Path, reference: Reference, encoder: Encoder, **limits: Any) -> Iterator[tuple[str, asyncio.AbstractEventLoop, LoadShedding]]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'shed.db'}", home=tmp_path / "home",
                        load_sample=False, **limits)
    app = create_app(settings, reference, encoder)
    with serving.in_thread_with_loop(app) as (base, loop):
        yield base, loop, next(n for n in _walk(app.middleware_stack) if isinstance(n, LoadShedding))


def on_loop(loop: asyncio.AbstractEventLoop, coroutine: Awaitable[Any]) -> Any:
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result(GUARD)  # type: ignore[arg-type]


async def take(gate: Gate) -> bool:
    return await gate.enter() != REFUSED


async def give_back(gate: Gate) -> None:
    gate.leave()


def test_a_real_server_sheds_a_full_class_and_changes_nothing(
        tmp_path: Path, reference: Reference, encoder: Encoder, admin_secret: str) -> None:
    with serve(tmp_path, reference, encoder, shed_heavy_limit=1, shed_heavy_queue=0,
               shed_retry_after_seconds=3) as (base, loop, shedding), \
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin_secret}"}, timeout=60) as client:
        created = client.post("/colleges", json=college_body())
        assert created.status_code == 201, created.text
        answered = client.post("/search", content=SEARCH, headers=JSON)  # under the limit: answered
        assert answered.status_code == 200 and answered.json()["data"]

        gate = shedding.gates[HEAVY]
        assert on_loop(loop, take(gate)) is True  # the one heavy place is taken, as a running request would
        refused = client.post("/search", content=SEARCH, headers=JSON)
        assert refused.status_code == 503 and refused.headers["retry-after"] == "3"
        assert refused.headers["connection"] == "close"  # uvicorn closes it; the client reconnects below
        body = refused.json()
        assert body["error"] == "overloaded" and "retry after 3 s" in body["detail"] and body["fields"] == []
        matches = client.get(f"/colleges/{created.json()['id']}/matches")
        assert matches.status_code == 503 and matches.json()["error"] == "overloaded"
        # A refused write is refused before its body is read: nothing is stored.
        write = client.post("/colleges", json=college_body(name="Korla Second Vocational College"))
        assert write.status_code == 503 and write.json()["error"] == "overloaded"
        # The light class and /health are not held back by a full heavy class.
        listed = client.get("/colleges")
        assert listed.status_code == 200 and listed.json()["count"] == 1
        assert client.get("/health").status_code == 200

        on_loop(loop, give_back(gate))
        # The place is free again; the same client connection still works after its refused requests.
        again = client.post("/search", content=SEARCH, headers=JSON)
        assert again.status_code == 200 and again.json()["data"] == answered.json()["data"]
