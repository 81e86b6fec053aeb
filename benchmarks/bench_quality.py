"""Quality: Recall@10 and MRR of the ranker against the baselines, both directions.

    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_quality [--seed 7 [--seed 13 ...]] [--cache /tmp/evalcache]
    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_quality --dev-set ../shared/data/partnerships_dev.jsonl \
        --served --seed 7 --seed 13 --seed 17   # the trained recipe as served, both worlds
    HF_HUB_OFFLINE=1 .venv/bin/python -m benchmarks.bench_quality --dev-set ../shared/data/partnerships_dev.jsonl \
        --served --tune   # the grid it was chosen from (tuning seeds 19, 23, 29, inner dev folds)

Runs training/evaluate.py on the labelled set of each `seed` (7, 13 and 17 are held out: the
default weights were chosen on seed 11) and prints a Markdown table per seed, then the mean over
the seeds, and by how much the ranker beats each baseline. One seed's set has about 150 queries
per direction, so a single query moves Recall@10 by about 0.006: the mean over seeds is the
steadier figure.
"""

import argparse
import platform
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

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


def dev_quality(path: Path, folds: int, model: str | None) -> None:
    """Trained ranker vs hand weights, BM25 and dense on held-out grouped folds of the dev set."""
    import tempfile

    from embeddings.encoder import DEFAULT_MODEL, load_encoder
    from matching.ranking import RankingSettings, calibrated
    from matching.reference import Reference
    from training import devset
    from training.dev_eval import DIRECTIONS as DEV_DIRECTIONS
    from training.dev_eval import evaluate_dev, import_devset

    started = time.perf_counter()
    encoder = load_encoder(model or DEFAULT_MODEL)
    dev = devset.load(path)
    with tempfile.TemporaryDirectory() as tmp:
        pools = import_devset(dev, encoder, Reference.load(Path("data")), Path(tmp))
        # The service's listing threshold for this model (embeddings/thresholds.json), as it would serve.
        evaluation = evaluate_dev(dev, pools, encoder, calibrated(RankingSettings(), encoder.name), folds=folds,
                                  log=print)
    print(f"\n{datetime.now(UTC):%Y-%m-%d}, {platform.node()}, model {model or DEFAULT_MODEL}: {len(dev.colleges)} "
          f"colleges, {len(dev.enterprises)} enterprises (partners of kind enterprise), {len(dev.pairs)} partnerships, "
          f"{folds} folds grouped by query ({time.perf_counter() - started:.0f} s)\n")
    print(evaluation.table())
    rows = {(r["direction"], r["method"]): r for r in evaluation.summary()}
    for d in DEV_DIRECTIONS:
        ours = rows[(d, "trained")]
        for other in ("BM25 (bm25s)", "hand weights", "dense (one vector per profile)"):
            theirs = rows[(d, other)]
            print(f"- {d}: trained vs {other}: Recall@10 {ours['recall@10'] - theirs['recall@10']:+.3f}, "
                  f"MRR {ours['mrr'] - theirs['mrr']:+.3f}, nDCG@10 {ours['ndcg@10'] - theirs['ndcg@10']:+.3f}")


def joint_quality(path: Path, seed: int, folds: int, model: str | None, recipes: Sequence[str] | None) -> None:
    """One model over the dev set and the labelled set of `seed`, on held-out grouped folds of both
    (training/joint.py), against the hand weights and BM25, per recipe."""
    import tempfile

    from embeddings.encoder import DEFAULT_MODEL, load_encoder
    from matching.ranking import RankingSettings, calibrated
    from matching.reference import Reference
    from training import devset
    from training.joint import RECIPES, as_devset, evaluate_joint, load_part
    from training.labelled_pairs import generate_labelled

    started = time.perf_counter()
    encoder = load_encoder(model or DEFAULT_MODEL)
    reference = Reference.load(Path("data"))
    config = calibrated(RankingSettings(), encoder.name)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "dev").mkdir()
        (Path(tmp) / "synthetic").mkdir()
        parts = [load_part("dev", devset.load(path), encoder, reference, Path(tmp) / "dev"),
                 load_part(f"synthetic seed {seed}", as_devset(generate_labelled(seed=seed)), encoder, reference,
                           Path(tmp) / "synthetic")]
        print(f"imported both sets in {time.perf_counter() - started:.0f} s", flush=True)
        evaluation = evaluate_joint(parts, config, folds, recipes or tuple(RECIPES),
                                    log=lambda s: print(s, flush=True))
    print(f"\n{datetime.now(UTC):%Y-%m-%d}, {platform.node()}, model {encoder.name} (min_similarity "
          f"{config.min_similarity}), {folds} folds grouped by query ({time.perf_counter() - started:.0f} s)\n")
    print(evaluation.table())
    print()
    for recipe in evaluation.chosen:
        for line in evaluation.differences(recipe, "trained", "hand weights") + evaluation.differences(
                recipe, "trained", "BM25"):
            print(line)
        for k, chosen in enumerate(evaluation.chosen[recipe]):
            print(f"  {recipe} fold {k + 1}: {chosen}")


def served_quality(path: Path, train_seed: int, seeds: Sequence[int], folds: int, model: str | None,
                   ranker: Path | None = None, tuning: bool = False) -> None:
    """The recipe `matchmaker train --dev-set PATH --synthetic-seed TRAIN_SEED` serves (training/served.py): outer
    grouped folds of the dev set against BM25, and the labelled sets of `seeds` as served against the hand
    weights, per direction, with paired bootstrap intervals and the spread of the per-fold models."""
    import tempfile

    from embeddings.encoder import DEFAULT_MODEL, load_encoder
    from matching.ranking import RankingSettings, calibrated
    from matching.reference import Reference
    from training import devset
    from training.joint import as_devset, load_part
    from training.labelled_pairs import generate_labelled
    from training.served import SERVED, RecipeReport, choose_per_direction, compare_served, evaluate_recipe, tune

    started = time.perf_counter()
    encoder = load_encoder(model or DEFAULT_MODEL)
    reference = Reference.load(Path("data"))
    config = calibrated(RankingSettings(), encoder.name)
    with tempfile.TemporaryDirectory() as tmp:
        def part(name: str, dev: devset.DevSet) -> Any:
            (Path(tmp) / name).mkdir()
            return load_part(name, dev, encoder, reference, Path(tmp) / name)

        held_out = [part(f"seed {s}", as_devset(generate_labelled(seed=s))) for s in seeds]
        if ranker is not None:
            # A model file as written (trained on the whole dev set: only the held-out seeds can judge it).
            from matching.rankers import RankerModel
            from matching.ranking import FEATURES
            from training.dev_eval import DIRECTIONS as DEV_DIRECTIONS

            written = RankerModel.model_validate_json(ranker.read_text(encoding="utf-8"))
            served = written.settings(config)  # what the service ranks with once it is active
            by_direction = {d: np.array([served.weights_for(d == DEV_DIRECTIONS[0]).normalised()[f] for f in FEATURES])
                            for d in DEV_DIRECTIONS}
            report = RecipeReport(folds, synthetic=compare_served(held_out, config, by_direction))
            print(f"ranker {written.version} ({ranker}) on held-out seeds {', '.join(map(str, seeds))}, served\n")
            print(report.table())
            return
        dev = part("dev", devset.load(path))
        synthetic = part(f"seed {train_seed}", as_devset(generate_labelled(seed=train_seed)))
        print(f"imported {2 + len(seeds)} sets in {time.perf_counter() - started:.0f} s", flush=True)
        if tuning:
            # The grid SERVED was chosen from: `seeds` are then the tuning seeds (19, 23, 29), never 7, 13, 17.
            grid = tune(dev, synthetic, held_out, config, folds=folds, log=lambda s: print(s, flush=True))
            print(f"\nchosen per direction (alpha, share): {choose_per_direction(grid)}; served: {SERVED} "
                  f"({time.perf_counter() - started:.0f} s)")
            return
        report = evaluate_recipe(dev, synthetic, held_out, config, SERVED, folds, log=lambda s: print(s, flush=True))
    print(f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, model {encoder.name} (min_similarity "
          f"{config.min_similarity}), recipe {SERVED}, trained beside seed {train_seed}, held-out seeds "
          f"{', '.join(map(str, seeds))}, {folds} dev folds grouped by query ({time.perf_counter() - started:.0f} s)\n")
    print(report.table())
    for direction, weights in report.weights.items():
        print(f"- served weights, {direction}: " + ", ".join(f"{f} {w:.3f}" for f, w in
                                                            sorted(weights.items(), key=lambda x: -x[1]) if w))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, action="append", help="Labelled set seed, repeatable (default 7).")
    parser.add_argument("--cache", type=Path, help="Keep the imported databases between runs.")
    parser.add_argument("--dev-set", type=Path, help="Instead: the real cooperations (partnerships_dev.jsonl), "
                        "trained and evaluated on held-out grouped folds, both directions.")
    parser.add_argument("--folds", type=int, default=5, help="Grouped folds for --dev-set.")
    parser.add_argument("--model", default=None, help="Embedding model for --dev-set (default: the service's).")
    parser.add_argument("--ranker", type=Path, help="Labelled sets: rank with this model file "
                        "($MATCH_HOME/rankers/VERSION.json) instead of the hand weights.")
    parser.add_argument("--joint", action="store_true", help="With --dev-set: one model over the dev set and the "
                        "labelled set of --seed, held-out folds of both (training/joint.py).")
    parser.add_argument("--recipe", action="append", help="With --joint: the recipes to run (default all).")
    parser.add_argument("--served", action="store_true", help="With --dev-set: the recipe `matchmaker train "
                        "--synthetic-seed` serves, judged on dev folds and on the labelled sets of --seed as served.")
    parser.add_argument("--train-seed", type=int, default=11, help="With --served: the labelled set trained on.")
    parser.add_argument("--tune", action="store_true", help="With --served: the grid the recipe was chosen from, "
                        "on inner dev folds and the labelled sets of --seed (default 19, 23, 29).")
    args = parser.parse_args(argv)
    if args.dev_set and args.served:
        served_quality(args.dev_set, args.train_seed, args.seed or ([19, 23, 29] if args.tune else [7, 13, 17]),
                       args.folds, args.model, args.ranker, args.tune)
        return
    if args.dev_set and args.joint:
        joint_quality(args.dev_set, (args.seed or [7])[0], args.folds, args.model, args.recipe)
        return
    if args.dev_set:
        dev_quality(args.dev_set, args.folds, args.model)
        return
    ranking = None
    if args.ranker:
        from matching.rankers import RankerModel
        from matching.ranking import RankingSettings

        # A trained model as the service serves it: its weights and listing threshold, the service's
        # calibrated min_similarity; "ranker" in the tables below is then this model.
        model = RankerModel.model_validate_json(args.ranker.read_text(encoding="utf-8"))
        ranking = model.settings(RankingSettings())
        print(f"ranker: {model.version} ({args.ranker})")
    evaluations = []
    for seed in args.seed or [7]:
        evaluation = evaluate(seed=seed, ranking=ranking, log=print, cache=args.cache)
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
