"""Quality: Recall@10 and MRR of the ranker against the baselines, both directions.

    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_quality [--seed 7 [--seed 13 ...]] [--cache /tmp/evalcache]

Runs training/evaluate.py on the labelled set of each `seed` (7, 13 and 17 are held out: the
default weights were chosen on seed 11) and prints a Markdown table per seed, then the mean over
the seeds, and by how much the ranker beats each baseline. One seed's set has about 150 queries
per direction, so a single query moves Recall@10 by about 0.006: the mean over seeds is the
steadier figure.
"""

import argparse
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from training.evaluate import DIRECTIONS, Evaluation, Result, evaluate

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


def mean_of(evaluations: Sequence[Evaluation]) -> Evaluation:
    """Per method and direction: Recall@10 and MRR averaged over the seeds (each seed weighs the same)."""
    first = evaluations[0]
    out = Evaluation(seed=-1, colleges=sum(e.colleges for e in evaluations),
                     enterprises=sum(e.enterprises for e in evaluations), pairs=sum(e.pairs for e in evaluations),
                     seconds=sum(e.seconds for e in evaluations))
    for r in first.results:
        same = [e.get(r.method, r.direction) for e in evaluations]
        out.results.append(Result(r.method, r.direction, sum(x.recall_at_10 for x in same) / len(same),
                                  sum(x.mrr for x in same) / len(same), sum(x.queries for x in same)))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, action="append", help="Labelled set seed, repeatable (default 7).")
    parser.add_argument("--cache", type=Path, help="Keep the imported databases between runs.")
    args = parser.parse_args(argv)
    evaluations = []
    for seed in args.seed or [7]:
        evaluation = evaluate(seed=seed, log=print, cache=args.cache)
        evaluations.append(evaluation)
        print(f"\n{datetime.now(UTC):%Y-%m-%d}, {platform.node()}, seed {evaluation.seed}: {evaluation.colleges} "
              f"colleges, {evaluation.enterprises} enterprises, {evaluation.pairs} true pairs "
              f"({evaluation.seconds:.0f} s)\n")
        print(evaluation.table())
        print()
        print("\n".join(margins(evaluation)))
        print(f"\nseed {seed}: ranker beats both baselines in both directions: {beats_both(evaluation)}")
    if len(evaluations) > 1:
        mean = mean_of(evaluations)
        print(f"\nmean over seeds {', '.join(str(e.seed) for e in evaluations)} (queries summed):\n")
        print(mean.table())
        print()
        print("\n".join(margins(mean)))
        print(f"\nmean: ranker beats both baselines in both directions: {beats_both(mean)}")


if __name__ == "__main__":
    main()
