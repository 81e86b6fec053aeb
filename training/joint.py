"""Training on both worlds: the real cooperations (dev set) and the synthetic labelled set, judged on
held-out grouped folds of each.

Why: a model trained on the dev set alone moves weight to place and names, which the synthetic world
(partners far apart, names meaningless) punishes; the hand weights were tuned on the synthetic world and
lose on the real one. Here one model is fitted per fold on the training folds of both sets (both
directions), with the penalty and each set's share of the loss chosen on inner folds of those training
folds only, and evaluated on each set's test fold, per direction, against the hand weights and BM25.

The labelled set goes through the same path as the dev set (`as_devset`): imported into its own
database by the service's import, every candidate scored by the service's scoring path.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold

from embeddings.encoder import Encoder
from matching.ranking import FEATURES, RankingSettings
from matching.reference import Reference
from training.baselines import BM25Baseline, profile_text
from training.dev_eval import (
    DIRECTIONS,
    DevPools,
    K,
    Rows,
    history_of,
    import_devset,
    metrics,
    ranking_of,
    relevant,
    rows_for,
)
from training.devset import DevSet
from training.labelled_pairs import LabelledSet
from training.ranker import PairwiseLinearRanker

ALPHAS = (1e-4, 1e-3, 1e-2)
SHARES = (0.25, 0.5, 0.75)  # the synthetic set's share of the loss, chosen on inner folds


def as_devset(labelled: LabelledSet) -> DevSet:
    """The labelled set in the dev set's shape: its true pairs are the partnerships (weight 1)."""
    return DevSet(colleges=list(labelled.colleges), enterprises=list(labelled.enterprises),
                  pairs=sorted({(c, e, 1.0) for e, c in labelled.pairs}),
                  records=len(labelled.colleges) + len(labelled.enterprises))


@dataclass
class Part:
    name: str
    dev: DevSet
    pools: DevPools
    texts: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)  # direction → (queries, corpus)


def load_part(name: str, dev: DevSet, encoder: Encoder, reference: Reference, directory: Path) -> Part:
    return part_of(name, dev, import_devset(dev, encoder, reference, directory))


def part_of(name: str, dev: DevSet, pools: DevPools) -> Part:
    colleges = [profile_text(r, "college") for r in dev.colleges]
    enterprises = [profile_text(r, "enterprise") for r in dev.enterprises]
    return Part(name, dev, pools, {DIRECTIONS[0]: (enterprises, colleges), DIRECTIONS[1]: (colleges, enterprises)})


@dataclass
class FoldRows:
    """One part's rows of one fold: train and test, per direction (group ids unique across parts)."""

    train: list[Rows]
    test: dict[str, list[Rows]]


def fold_rows(part: Part, index: int, folds: int, config: RankingSettings) -> list[FoldRows]:
    """Per fold: rows of the training queries and of the test queries, each direction split by GroupKFold over
    its queries as training.dev_eval does; the history the collaborative and partnered features read holds
    the training queries' pairs only (and never a query's own)."""
    out = [FoldRows([], {}) for _ in range(folds)]
    for d, direction in enumerate(DIRECTIONS):
        by_enterprise = d == 0
        queries = np.array(sorted({e if by_enterprise else c for c, e, _ in part.dev.pairs}))
        for fold, (train_i, test_i) in enumerate(GroupKFold(n_splits=folds).split(queries, groups=queries)):
            train_q = set(queries[train_i].tolist())
            pairs = [p for p in part.dev.pairs if (p[1] if by_enterprise else p[0]) in train_q]
            history = history_of(part.dev, part.pools, pairs)
            for q, bucket in [(q, "train") for q in sorted(train_q)] + [(int(q), "test") for q in queries[test_i]]:
                r = rows_for(part.dev, part.pools, direction, q, history, config)
                r.query = index * 10_000_000 + d * 1_000_000 + q
                if bucket == "train":
                    out[fold].train.append(r)
                else:
                    out[fold].test.setdefault(direction, []).append(r)
    return out


def fit_shared(parts: Sequence[Sequence[Rows]], alpha: float, shares: Sequence[float]) -> PairwiseLinearRanker:
    """One model over several parts' rows; part i's queries together weigh shares[i] of the loss."""
    rows = [r for part in parts for r in part]
    X = np.vstack([r.X for r in rows])
    y = np.concatenate([r.y for r in rows])
    groups = np.concatenate([np.full(len(r.y), r.query) for r in rows])
    weight = np.concatenate([np.full(len(r.y), share / max(1, len(part))) for part, share in zip(parts, shares,
                                                                                                  strict=True)
                             for r in part])
    return PairwiseLinearRanker(alpha=alpha).fit(X, y, groups, sample_weight=weight)


def choose(parts: Sequence[Sequence[Rows]], share_grid: Sequence[Sequence[float]], folds: int = 3
           ) -> tuple[float, tuple[float, ...]]:
    """The penalty and shares with the best inner-fold Recall@10, averaged over the parts (each part the same)."""
    best, chosen = -1.0, (ALPHAS[1], tuple(share_grid[0]))
    splits = []
    for part in parts:
        queries = np.array([r.query for r in part])
        splits.append(list(GroupKFold(n_splits=folds).split(queries, groups=queries)))
    for alpha in sorted(ALPHAS, reverse=True):
        for shares in share_grid:
            per_part = []
            for k in range(folds):
                model = fit_shared([[part[i] for i in splits[p][k][0]] for p, part in enumerate(parts)], alpha,
                                   shares)
                per_part.append([np.mean([metrics(ranking_of(part[i], model.coef_, every=True),
                                                  relevant(part[i]))["recall@10"] for i in splits[p][k][1]])
                                 for p, part in enumerate(parts)])
            value = float(np.mean(per_part))
            if value > best + 1e-12:
                best, chosen = value, (alpha, tuple(shares))
    return chosen



@dataclass
class JointEvaluation:
    folds: int
    # (recipe, part, direction, method) → per-fold metrics
    results: dict[tuple[str, str, str, str], list[dict[str, float]]] = field(default_factory=dict)
    chosen: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # recipe → per fold: alpha, shares, weights

    def add(self, key: tuple[str, str, str, str], values: dict[str, float]) -> None:
        self.results.setdefault(key, []).append(values)

    def table(self) -> str:
        lines = ["| recipe | set | direction | method | Recall@10 (± sd over folds) | MRR | nDCG@10 |",
                 "|---|---|---|---|---|---|---|"]
        for (recipe, part, direction, method), per_fold in self.results.items():
            cells = []
            for metric in ("recall@10", "mrr", "ndcg@10"):
                values = np.array([v[metric] for v in per_fold])
                cells.append(f"{values.mean():.3f} ± {values.std(ddof=1) if len(values) > 1 else 0.0:.3f}")
            lines.append(f"| {recipe} | {part} | {direction} | {method} | " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def summary(self) -> list[dict[str, Any]]:
        """Rows like training.dev_eval's summary, `direction` naming the set too (for a model's metrics)."""
        out = []
        for (recipe, part, direction, method), per_fold in self.results.items():
            row: dict[str, Any] = {"direction": f"{part}: {direction}", "method": f"{method} ({recipe})",
                                   "folds": len(per_fold)}
            for metric in ("recall@10", "mrr", "ndcg@10"):
                values = np.array([v[metric] for v in per_fold])
                row[metric] = float(values.mean())
                row[metric + " sd"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
            out.append(row)
        return out

    def differences(self, recipe: str, method: str, against: str) -> list[str]:
        """Per set and direction: the mean over folds of (method − against) Recall@10, and its sd over folds."""
        out = []
        for (r, part, direction, m), per_fold in self.results.items():
            if r != recipe or m != method:
                continue
            other = self.results[(recipe, part, direction, against)]
            diff = np.array([a["recall@10"] - b["recall@10"] for a, b in zip(per_fold, other, strict=True)])
            sd = diff.std(ddof=1) if len(diff) > 1 else 0.0
            out.append(f"- {recipe}, {part}, {direction}: {method} − {against}: Recall@10 {diff.mean():+.3f} "
                       f"± {sd:.3f} (sd over folds of the paired difference)")
        return out


RECIPES: dict[str, Callable[[int], list[list[float]]]] = {
    # name → share grids for n parts (the first part is the dev set)
    "dev only": lambda n: [[1.0] + [0.0] * (n - 1)],
    "synthetic only": lambda n: [[0.0] + [1.0 / (n - 1)] * (n - 1)],
    "joint, equal shares": lambda n: [[1.0 / n] * n],
    "joint, shares tuned": lambda n: [[1 - s] + [s / (n - 1)] * (n - 1) for s in SHARES],
}


def evaluate_joint(parts: Sequence[Part], config: RankingSettings, folds: int = 5,
                   recipes: Sequence[str] = tuple(RECIPES), log: Callable[[str], None] = lambda s: None
                   ) -> JointEvaluation:
    out = JointEvaluation(folds)
    hand = np.array([config.weights.normalised()[f] for f in FEATURES])
    rows = [fold_rows(part, i, folds, config) for i, part in enumerate(parts)]
    bm25 = {(p.name, d): BM25Baseline(p.texts[d][1]) for p in parts for d in DIRECTIONS}
    for recipe in recipes:
        grid = RECIPES[recipe](len(parts))
        out.chosen[recipe] = []
        for fold in range(folds):
            train = [rows[p][fold].train for p in range(len(parts))]
            usable = [t if any(s > 0 for s in (g[p] for g in grid)) else [] for p, t in enumerate(train)]
            alpha, shares = choose([u for u in usable if u] or train, [[s for s, u in zip(g, usable, strict=True)
                                                                       if u] for g in grid])
            kept = [u for u in usable if u]
            model = fit_shared(kept, alpha, shares)
            out.chosen[recipe].append({"alpha": alpha, "shares": shares,
                                       "weights": dict(zip(FEATURES, model.coef_.round(4).tolist(), strict=True))})
            for p, part in enumerate(parts):
                for direction, test in rows[p][fold].test.items():
                    methods: dict[str, list[dict[str, float]]] = {
                        "trained": [], "trained, similarity gate": [], "hand weights": [], "BM25": []}
                    q_texts, corpus = part.texts[direction]
                    for r in test:
                        rel = relevant(r)
                        q = r.query % 1_000_000
                        methods["trained"].append(metrics(ranking_of(r, model.coef_, every=True), rel))
                        methods["trained, similarity gate"].append(metrics(ranking_of(r, model.coef_), rel))
                        methods["hand weights"].append(metrics(ranking_of(r, hand), rel))
                        methods["BM25"].append(metrics(bm25[(part.name, direction)].rank(q_texts[q], len(corpus)),
                                                       rel))
                    for method, per_query in methods.items():
                        out.add((recipe, part.name, direction, method),
                                {m: float(np.mean([v[m] for v in per_query])) for m in ("recall@10", "mrr", "ndcg@10")})
            log(f"{recipe}: fold {fold + 1}/{folds}: alpha {alpha:g}, shares {shares}")
    return out


__all__ = ["K", "as_devset", "evaluate_joint", "load_part"]
