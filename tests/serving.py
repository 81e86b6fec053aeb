"""Real servers for tests: the app under uvicorn in a thread, or `matchmaker serve` as a process.

Ports: the kernel's choice on loopback, or, when MATCH_TEST_PORTS is set (e.g. `18200-18249`, where
a machine hands out port ranges), the first free one of that range.
"""

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
def in_thread(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn in a daemon thread (its lifespan runs): the base URL."""
    sock = bound_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="test-server")
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while not server.started:
            assert thread.is_alive(), "the server thread died while starting"
            assert time.monotonic() < deadline, "the server did not start in 120 s"
            time.sleep(0.05)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@contextmanager
def process(env: dict[str, str], log: Path, *args: str) -> Iterator[str]:
    """`python -m service.cli serve` in its own process, ready (GET /health 200): the base URL."""
    port = free_port()
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(ROOT), **env}
    base = f"http://127.0.0.1:{port}"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--quiet", *args],
                                cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 600  # a shared, busy machine loads a model slowly
            while True:
                assert proc.poll() is None, f"the server exited ({proc.returncode}):\n{log.read_text()[-3000:]}"
                try:
                    if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"not ready in 600 s:\n{log.read_text()[-3000:]}"
                time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
