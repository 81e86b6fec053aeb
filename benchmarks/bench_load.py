"""Load benchmark: a fixed rate of mixed requests against a real `matchmaker serve` process.

    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_load                      # 200 req/s for 60 s
    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_load --rate 500 --duration 20
    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_load --workers 2
    .venv/bin/python -m benchmarks.bench_load --url http://127.0.0.1:8000 --key "$(cat .matchmaker/admin-key)"

Without --url it starts `python -m service.cli serve` on a temporary MATCH_HOME (SQLite, the
bundled sample, a fresh admin key) on 127.0.0.1:--port, waits for /health, and stops it at the end.

The load is open-loop: request i is sent at start + i / rate whatever happened to the earlier ones,
so a slow server faces the same offer as a fast one (a closed loop would slow down with it and hide
the collapse). Latency is counted from the time a request was *due*, so time it spent waiting in the
client counts too. The count is bounded (rate × duration requests), so is the time (each request
has --timeout), and only loopback is used. Each request is one of (equal shares by default):

    colleges           GET /colleges?limit=20&offset=…   (a page of profiles from the database)
    enterprise_matches GET /enterprises/{id}/matches     (ranking, explanations)
    college_matches    GET /colleges/{id}/matches
    search             POST /search                      (the text is encoded by the model: English,
                                                           Chinese and Russian needs, each with a
                                                           qualifier and a headcount, so nearly every
                                                           text is new)

The ids are uniform over all profiles and the list offsets over all pages, so the server's result
cache (MATCH_RESULT_CACHE_SIZE; 0 turns it off) answers repeats as a busy service's would, while
searches nearly always miss it; the hit rate per kind is printed (from each answer's X-Cache).

It prints, per kind and overall: answers, the achieved rate of answers, p50/p99 of the 2xx answers
and of the 503s (shed), how many 503s carried Retry-After, and errors (timeouts, other statuses).
The host is shared: the load averages at start and end are printed; compare ratios within one run.
"""

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import psutil
import uvloop

from benchmarks.profiling import percentiles

KINDS = ("colleges", "enterprise_matches", "college_matches", "search")
SEARCH_TEXTS = (
    "chemical process operators for a coal-to-olefins plant",
    "dyeing and finishing technicians for a cotton mill",
    "electrical automation and PLC maintenance",
    "纺织品染整技术人员",
    "化工工艺操作工，煤化工",
    "新能源汽车维修技术",
    "операторы химического производства",
    "сварщики для нефтегазовой отрасли",
    "hotel and tourism management interns",
    "industrial robot programming and maintenance",
)
QUALIFIERS = ("", "for the 2027 cohort", "in Xinjiang", "新疆地区", "with dormitory", "实习和就业", "apprenticeship",
              "order-based training", "订单班", "в Синьцзяне", "near Korla", "shift work")
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Outcome:
    kind: str
    status: int | None  # None: no answer (timeout or connection error)
    latency_ms: float
    retry_after: bool = False
    error: str = ""
    cache_hit: bool = False


@dataclass
class Run:
    rate: float
    duration: float
    outcomes: list[Outcome] = field(default_factory=list)
    wall_s: float = 0.0
    max_send_lag_ms: float = 0.0  # how late the client itself sent a request (it shares the cores)


def summarise(run: Run) -> dict[str, Any]:
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for o in run.outcomes:
        by_kind[o.kind].append(o)
    by_kind["all"] = list(run.outcomes)
    table: dict[str, Any] = {}
    for kind, outcomes in by_kind.items():
        ok = [o.latency_ms for o in outcomes if o.status is not None and 200 <= o.status < 300]
        shed = [o for o in outcomes if o.status == 503]
        errors = Counter(o.error or str(o.status) for o in outcomes
                         if o.status is None or not (200 <= o.status < 300 or o.status == 503))
        ok_p50, ok_p99 = percentiles(ok, 50, 99)
        shed_p50, shed_p99 = percentiles([o.latency_ms for o in shed], 50, 99)
        table[kind] = {
            "sent": len(outcomes), "ok": len(ok), "ok_per_s": round(len(ok) / run.wall_s, 1),
            "p50_ms": round(ok_p50, 1), "p99_ms": round(ok_p99, 1),
            "shed_503": len(shed), "shed_with_retry_after": sum(o.retry_after for o in shed),
            "shed_p50_ms": round(shed_p50, 1), "shed_p99_ms": round(shed_p99, 1),
            "errors": sum(errors.values()), "error_kinds": dict(errors),
            "cache_hit_pct": round(100 * sum(o.cache_hit for o in outcomes if o.status == 200) / max(1, len(ok)), 1),
        }
    return table


def print_table(run: Run, table: dict[str, Any]) -> None:
    print(f"\noffered {run.rate:g} req/s for {run.duration:g} s: {len(run.outcomes)} requests in {run.wall_s:.1f} s; "
          f"client's worst send lag {run.max_send_lag_ms:.0f} ms")
    header = (f"{'kind':<19}{'sent':>6}{'ok':>7}{'ok/s':>8}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'503':>7}{'w/ R-A':>8}{'503 p50':>9}{'503 p99':>9}{'errors':>8}{'hit %':>7}")
    print(header)
    for kind in (*KINDS, "all"):
        if kind not in table:
            continue
        r = table[kind]
        print(f"{kind:<19}{r['sent']:>6}{r['ok']:>7}{r['ok_per_s']:>8}{r['p50_ms']:>9}{r['p99_ms']:>9}"
              f"{r['shed_503']:>7}{r['shed_with_retry_after']:>8}{r['shed_p50_ms']:>9}{r['shed_p99_ms']:>9}"
              f"{r['errors']:>8}{r['cache_hit_pct']:>7}")
    kinds = table["all"]["error_kinds"]
    if kinds:
        print("errors:", ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())))


def request_for(kind: str, rng: random.Random, colleges: int, enterprises: int) -> tuple[str, str, Any]:
    if kind == "colleges":
        return "GET", f"/colleges?limit=20&offset={rng.randrange(max(1, colleges - 20))}", None
    if kind == "enterprise_matches":
        return "GET", f"/enterprises/{rng.randint(1, enterprises)}/matches", None
    if kind == "college_matches":
        return "GET", f"/colleges/{rng.randint(1, colleges)}/matches", None
    side = rng.choice(("colleges", "enterprises"))
    text = f"{rng.choice(SEARCH_TEXTS)} {rng.choice(QUALIFIERS)} {rng.randint(1, 300)}"
    return "POST", "/search", {"text": text, "side": side, "limit": 10}


async def offer(client: aiohttp.ClientSession, rate: float, duration: float, timeout: float, seed: int,
                colleges: int, enterprises: int, kinds: Sequence[str]) -> Run:
    run = Run(rate=rate, duration=duration)
    rng = random.Random(seed)
    total = int(rate * duration)
    plan = [(*request_for(kinds[i % len(kinds)], rng, colleges, enterprises), kinds[i % len(kinds)])
            for i in range(total)]
    rng.shuffle(plan)
    limit = aiohttp.ClientTimeout(total=timeout)

    async def one(due: float, method: str, path: str, body: Any, kind: str) -> None:
        try:
            async with client.request(method, path, json=body, timeout=limit) as response:
                await response.read()
                latency = (time.perf_counter() - due) * 1000
                run.outcomes.append(Outcome(kind, response.status, latency,
                                            retry_after="Retry-After" in response.headers,
                                            cache_hit=response.headers.get("X-Cache") == "hit"))
        except TimeoutError:
            run.outcomes.append(Outcome(kind, None, (time.perf_counter() - due) * 1000, error="timeout"))
        except aiohttp.ClientError as exc:
            run.outcomes.append(Outcome(kind, None, (time.perf_counter() - due) * 1000,
                                        error=type(exc).__name__))

    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    for i, (method, path, body, kind) in enumerate(plan):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        run.max_send_lag_ms = max(run.max_send_lag_ms, (time.perf_counter() - due) * 1000)
        tasks.append(asyncio.create_task(one(due, method, path, body, kind)))
    await asyncio.gather(*tasks)
    run.wall_s = max(time.perf_counter() - start, duration)
    return run


@contextmanager
def served(port: int, workers: int, extra_env: dict[str, str], keep: Path | None) -> Iterator[tuple[str, str, int]]:
    """A real `matchmaker serve` on a temporary MATCH_HOME (or `keep`) with the sample: (url, admin key, pid)."""
    with tempfile.TemporaryDirectory(prefix="matchmaker-load-") as temporary:
        home = str(keep or temporary)
        Path(home).mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "MATCH_HOME": home, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
               "PYTHONPATH": str(ROOT), **extra_env}
        command = [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--quiet"]
        if workers != 1:
            command += ["--workers", str(workers)]
        log = open(Path(home) / "serve.log", "w")  # noqa: SIM115 - closed below, after the process
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 600
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"the server exited ({process.returncode}):\n"
                                     + (Path(home) / "serve.log").read_text()[-3000:])
                try:
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not become ready in 600 s")
                time.sleep(0.5)
            print(f"server pid {process.pid} ready at {url} (MATCH_HOME={home})", flush=True)
            yield url, (Path(home) / "admin-key").read_text().strip(), process.pid
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()


def server_processes(pid: int) -> list[psutil.Process]:
    """The server and its worker processes; [] when it is not running."""
    try:
        server = psutil.Process(pid)
        return [server, *server.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def cpu_seconds(processes: Sequence[psutil.Process]) -> dict[int, float]:
    """User + system CPU seconds of each process still running, by pid."""
    out = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        out[process.pid] = times.user + times.system
    return out


async def attack(url: str, key: str, args: argparse.Namespace, server_pid: int | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"}
    # aiohttp, not httpx, for the load: httpx's pool scans its connections on every request, and with
    # hundreds open the client became the bottleneck (4,000 requests took 87 s to send and read).
    # Enough connections that the client never queues a request itself (that would close the loop).
    connector = aiohttp.TCPConnector(limit=args.connections)
    async with aiohttp.ClientSession(base_url=url, headers=headers, connector=connector) as client:
        async with client.get("/info") as response:
            info = await response.json()
        colleges, enterprises = info["counts"]["colleges"], info["counts"]["enterprises"]
        if args.warmup > 0:
            await offer(client, 20, args.warmup, args.timeout, args.seed + 1, colleges, enterprises, args.kinds)
        load_start = os.getloadavg()
        # Whether the server was short of CPU or refused with CPU to spare (its admission limits) shows
        # in how much of the run's wall time each of its processes spent on a core.
        server = server_processes(server_pid) if server_pid else []
        cpu_start, wall_start = cpu_seconds(server), time.perf_counter()
        run = await offer(client, args.rate, args.duration, args.timeout, args.seed, colleges, enterprises,
                          args.kinds)
        cpu_end, wall = cpu_seconds(server), time.perf_counter() - wall_start
        load_end = os.getloadavg()
        table = summarise(run)
        print_table(run, table)
        try:
            async with client.get("/health", timeout=aiohttp.ClientTimeout(total=5)) as response:
                health = str(response.status)
        except (TimeoutError, aiohttp.ClientError) as exc:
            health = f"no answer in 5 s ({type(exc).__name__})"
    print(f"load average at start {'/'.join(f'{x:.2f}' for x in load_start)}, "
          f"at end {'/'.join(f'{x:.2f}' for x in load_end)}; /health right after the run: {health}", flush=True)
    busy = {pid: round((cpu_end[pid] - cpu_start[pid]) / wall, 3) for pid in cpu_end if pid in cpu_start}
    if busy:
        print("server CPU during the run (share of one core, per process): "
              + ", ".join(f"{pid}: {share:.0%}" for pid, share in busy.items()), flush=True)
    return {"rate": args.rate, "duration": args.duration, "workers": args.workers, "wall_s": round(run.wall_s, 1),
            "load_start": load_start, "load_end": load_end, "health_after": health, "table": table,
            "server_cpu_share": busy}


def run_client(main: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    # uvloop: the client shares the two cores with the server, so its own cost per request matters
    # (its CPU time and its worst send lag are printed; see benchmarks/RESULTS.md).
    started = time.process_time()
    result = uvloop.run(main)
    print(f"client CPU: {time.process_time() - started:.1f} s", flush=True)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200, help="requests offered per second (default 200)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--timeout", type=float, default=10, help="seconds a request may take (default 10)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds at 20 req/s first, not counted")
    parser.add_argument("--url", help="attach to a running server instead of starting one")
    parser.add_argument("--key", help="with --url: an API key that may read everything")
    parser.add_argument("--server-pid", type=int, help="with --url: the server's pid, to report its CPU share")
    parser.add_argument("--port", type=int, default=18200, help="where the started server listens")
    parser.add_argument("--workers", type=int, default=1, help="worker processes of the started server")
    parser.add_argument("--connections", type=int, default=1000, help="client connections at most")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS), help="the mix (equal shares)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the started server, e.g. MATCH_SHED_HEAVY=8")
    parser.add_argument("--home", type=Path, help="MATCH_HOME for the started server, kept between runs (a "
                        "second start skips loading the sample); default: a temporary directory")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.rate * args.duration > 100_000:
        parser.error("at most 100,000 requests in one run")
    if args.url:
        if not args.key:
            parser.error("--url needs --key")
        result = run_client(attack(args.url, args.key, args, args.server_pid))
    else:
        extra = dict(item.split("=", 1) for item in args.env)
        # A SIGTERM (e.g. `timeout`) unwinds like Ctrl-C, so the server started here is stopped too.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        with served(args.port, args.workers, extra, args.home) as (url, key, pid):
            result = run_client(attack(url, key, args, pid))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
