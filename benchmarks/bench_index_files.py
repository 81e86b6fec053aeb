"""What crash-safe index files cost: saving whole files (temporary file, fsync, rename) with SHA-256
digests, and checking the digests at start, against a plain save and load.

    .venv/bin/python -m benchmarks.bench_index_files [--units 100000] [--repeat 3]

Random unit vectors (384 dimensions, the default model's) in an exact (Flat) index; prints the
median of `repeat` runs of each step in one run, and the ratios.
"""

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

from embeddings.files import digest
from embeddings.index import VectorIndex

DIMENSION = 384


def median_s(step: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((args.units, DIMENSION)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(DIMENSION).build(np.arange(args.units), vectors)
    structure = index._index
    assert structure is not None
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        plain = str(base / "plain")
        safe = str(base / "safe")

        def save_plain() -> None:  # what saving was: written in place, no digests
            faiss.write_index(structure, f"{plain}.faiss")
            np.save(f"{plain}.slots.npy", index._slot_unit)

        def save_safe() -> None:  # what LiveIndex.save_side does now, less the manifest's few bytes
            for path in index.save(safe):
                digest(path)

        def load_plain() -> None:
            VectorIndex(DIMENSION).load(plain)

        def load_checked() -> None:  # the manifest check at start, then the same load
            for suffix in (".faiss", ".slots.npy"):
                digest(Path(f"{safe}{suffix}"))
            VectorIndex(DIMENSION).load(safe)

        figures = {name: median_s(step, args.repeat) for name, step in
                   (("save, plain", save_plain), ("save, whole files + digests", save_safe),
                    ("load, plain", load_plain), ("load, digests checked", load_checked))}
        size_mb = sum(p.stat().st_size for p in base.glob("safe.*")) / 1e6
    print(f"{args.units:,} units × {DIMENSION} (Flat), {size_mb:.0f} MB of files; median of {args.repeat}; "
          f"{platform.processor() or platform.machine()}, {platform.python_version()}")
    print("| step | seconds |\n|---|---|")
    for name, seconds in figures.items():
        print(f"| {name} | {seconds:.3f} |")
    print(f"save ratio {figures['save, whole files + digests'] / figures['save, plain']:.2f}, "
          f"load ratio {figures['load, digests checked'] / figures['load, plain']:.2f}")


if __name__ == "__main__":
    main()
