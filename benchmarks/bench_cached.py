"""CPU per request of answers the result cache serves, against /health, on a real `matchmaker serve`.

    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_cached --home /tmp/load-home1
    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_cached --home /tmp/load-home1 --env MATCH_ACCESS_LOG=false

It starts one server process on --home (made by `bench_load --home`, or any MATCH_HOME with the sample),
asks each path once to fill the cache, then --requests times one after another on one kept-alive
connection, and prints the server's CPU time (user + system, from psutil) and the wall time per request.
A cached page costs what the framework, the two version queries, the cache look-up and the impression
log cost: what is left when no ranking is done. CPU time barely depends on other load; wall time does.
"""

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import psutil

PATHS = ("/health", "/colleges?limit=20&offset=5", "/enterprises/3/matches")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True, help="MATCH_HOME with a database and admin-key")
    parser.add_argument("--port", type=int, default=18300)
    parser.add_argument("--requests", type=int, default=1000, help="timed requests per path")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server (repeatable)")
    args = parser.parse_args(argv)
    env = {**os.environ, "MATCH_HOME": str(args.home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           **dict(a.split("=", 1) for a in args.env)}
    server = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(args.port), "--quiet"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        key = (args.home / "admin-key").read_text().strip()
        with httpx.Client(base_url=f"http://127.0.0.1:{args.port}", headers={"Authorization": f"Bearer {key}"},
                          timeout=30) as client:
            for _ in range(300):
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(1)
            process = psutil.Process(server.pid)
            for path in PATHS:
                client.get(path)  # fills the cache
                before, start = process.cpu_times(), time.perf_counter()
                for _ in range(args.requests):
                    answer = client.get(path)
                after, end = process.cpu_times(), time.perf_counter()
                cpu = (after.user + after.system - before.user - before.system) / args.requests * 1000
                print(f"{path:34s} {answer.status_code} X-Cache {answer.headers.get('x-cache', '-'):4s} "
                      f"cpu/req {cpu:.2f} ms  wall/req {(end - start) / args.requests * 1000:.2f} ms", flush=True)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
