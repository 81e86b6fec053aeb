"""Real servers for tests: the app under uvicorn in a thread, or `matchmaker serve` as a process.

Ports: the kernel's choice on loopback, or, when MATCH_TEST_PORTS is set (e.g. `18200-18249`, where
a machine hands out port ranges), the first free one of that range.
"""

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parent.parent


def bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ports = os.environ.get("MATCH_TEST_PORTS")
    if not ports:
        sock.bind(("127.0.0.1", 0))
        return sock
    low, _, high = ports.partition("-")
    for port in range(int(low), int(high or low) + 1):
        try:
            sock.bind(("127.0.0.1", port))
            return sock
        except OSError:
            continue
    sock.close()
    raise RuntimeError(f"no free port in MATCH_TEST_PORTS={ports}")


def free_port() -> int:
    with bound_socket() as sock:
        return int(sock.getsockname()[1])


@contextmanager
def in_thread(app: FastAPI, http: str = "auto") -> Iterator[str]:
    """The app served by uvicorn in a daemon thread (its lifespan runs): the base URL."""
    with in_thread_with_loop(app, http) as (base, _):
        yield base


@contextmanager
def in_thread_with_loop(app: FastAPI, http: str = "auto") -> Iterator[tuple[str, asyncio.AbstractEventLoop]]:
    """As `in_thread`, and the server's event loop: a test may run a coroutine on it (run_coroutine_threadsafe)."""
    sock = bound_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", http=http))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="test-server")
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while not server.started:
            assert thread.is_alive(), "the server thread died while starting"
            assert time.monotonic() < deadline, "the server did not start in 120 s"
            time.sleep(0.05)
        yield base, server.servers[0].get_loop()
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


class Process:
    """`python -m service.cli serve` in its own process; `ready()` waits for GET /health 200."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(ROOT), **env}
        with open(log, "w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "service.cli", "serve", "--port", str(self.port), "--quiet", *args],
                cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)

    def ready(self, seconds: float = 600) -> str:  # a shared, busy machine loads a model slowly
        deadline = time.monotonic() + seconds
        while True:
            assert self.proc.poll() is None, f"the server exited ({self.proc.returncode}):\n{self.tail()}"
            try:
                if httpx.get(f"{self.base}/health", timeout=5).status_code == 200:
                    return self.base
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"not ready in {seconds} s:\n{self.tail()}"
            time.sleep(0.3)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@contextmanager
def processes(*specs: tuple[dict[str, str], Path, tuple[str, ...]]) -> Iterator[list[str]]:
    """Several `serve` processes, started together (their models load in parallel): their base URLs."""
    started: list[Process] = []
    try:
        for env, log, args in specs:
            started.append(Process(env, log, *args))
        yield [p.ready() for p in started]
    finally:
        for p in started:
            p.stop()
