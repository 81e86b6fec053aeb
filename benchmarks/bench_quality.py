"""Quality: Recall@10 and MRR of the ranker against the baselines, both directions.

    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_quality [--seed 7] [--cache /tmp/evalcache]

Runs training/evaluate.py on the labelled set of `seed` (7 is held out: the default weights were
chosen on seed 11) and prints a Markdown table and by how much the ranker beats each baseline.
"""

import argparse
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from training.evaluate import DIRECTIONS, Evaluation, evaluate

BASELINES = ("dense baseline (one vector per profile)", "BM25 baseline (bm25s)")


def margins(evaluation: Evaluation) -> list[str]:
    lines = []
    for direction in DIRECTIONS:
        ours = evaluation.get("ranker", direction)
        for baseline in BASELINES:
            other = evaluation.get(baseline, direction)
            lines.append(
                f"- {direction}: ranker vs {baseline}: Recall@10 {ours.recall_at_10:.3f} vs {other.recall_at_10:.3f} "
                f"({ours.recall_at_10 - other.recall_at_10:+.3f}), MRR {ours.mrr:.3f} vs {other.mrr:.3f} "
                f"({ours.mrr - other.mrr:+.3f})")
    return lines


def beats_both(evaluation: Evaluation) -> bool:
    return all(
        evaluation.get("ranker", d).recall_at_10 > evaluation.get(b, d).recall_at_10
        and evaluation.get("ranker", d).mrr > evaluation.get(b, d).mrr
        for d in DIRECTIONS for b in BASELINES
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, help="Keep the imported database between runs.")
    args = parser.parse_args(argv)
    evaluation = evaluate(seed=args.seed, log=print, cache=args.cache)
    print(f"\n{datetime.now(UTC):%Y-%m-%d}, {platform.node()}, seed {evaluation.seed}: {evaluation.colleges} colleges, "
          f"{evaluation.enterprises} enterprises, {evaluation.pairs} true pairs ({evaluation.seconds:.0f} s)\n")
    print(evaluation.table())
    print()
    print("\n".join(margins(evaluation)))
    print(f"\nranker beats both baselines in both directions: {beats_both(evaluation)}")


if __name__ == "__main__":
    main()
