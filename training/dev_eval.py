"""Train and evaluate the ranker on the dev set with grouped folds, both directions.

The dev set is imported into a fresh SQLite database through the service's own import (validation,
geocoding, embedding, indexing); every query's candidates are scored by the service's scoring path
(matching.suggest.rank), whose feature columns are the training rows. Folds are grouped by query
(GroupKFold): a query's rows are never in train and test, and its own partnerships are never in the
history the collaborative and partnered features read (each training query sees the history less
its own pairs; test queries see only the training queries' pairs). The L2 penalty is chosen on inner
folds of the training part only.
"""

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold
from sqlalchemy import select

from embeddings.encoder import Encoder
from embeddings.index import configure_threads
from matching.db import make_engine, make_sessionmaker, upgrade
from matching.embedding import Embedder
from matching.history import History
from matching.live import LiveIndex
from matching.prepare import dedup_key
from matching.ranking import FEATURES, RankingSettings
from matching.reference import Reference
from matching.sides import COLLEGES, ENTERPRISES
from matching.suggest import MatchFilter, profile_query, rank
from matching.transfer import import_text
from training.baselines import BM25Baseline, DenseBaseline, profile_text
from training.devset import DevSet
from training.ranker import PairwiseLinearRanker

DIRECTIONS = ("enterprise->colleges", "college->enterprises")
ALPHAS = (1e-4, 1e-3, 1e-2)
K = 10


@dataclass
class Rows:
    """One query's scored candidates: features (rows × FEATURES), labels, and which the service lists."""

    query: int  # index into the asking side's records
    candidates: np.ndarray  # indices into the other side's records
    X: np.ndarray
    y: np.ndarray
    listed: np.ndarray


@dataclass
class DevPools:
    live: LiveIndex
    college_id: list[int]  # record index → profile id
    enterprise_id: list[int]


def import_devset(dev: DevSet, encoder: Encoder, reference: Reference, directory: Path) -> DevPools:
    configure_threads(1)
    engine = make_engine(f"sqlite:///{directory / 'dev.db'}")
    upgrade(engine)
    live = LiveIndex(Embedder(encoder, reference.catalogue), None)
    with make_sessionmaker(engine)() as session:
        live.load(session)
        for spec, records in ((COLLEGES, dev.colleges), (ENTERPRISES, dev.enterprises)):
            text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
            import_text(session, spec, text, "jsonl", reference, live=live)
        ids = {}
        for spec, records in ((COLLEGES, dev.colleges), (ENTERPRISES, dev.enterprises)):
            by_key = {key: pid for pid, key in session.execute(select(spec.model.id, spec.model.dedup_key))}
            ids[spec.side] = [by_key[dedup_key(r["name"], r.get("city"))] for r in records]
    engine.dispose()
    return DevPools(live, ids[COLLEGES.side], ids[ENTERPRISES.side])


def history_of(dev: DevSet, pools: DevPools, pairs: Sequence[tuple[int, int, float]]) -> History:
    live = pools.live
    return History.build([(pools.college_id[c], pools.enterprise_id[e], w) for c, e, w in pairs],
                         live.pool(COLLEGES), live.pool(ENTERPRISES))


def rows_for(dev: DevSet, pools: DevPools, direction: str, q: int, history: History,
             config: RankingSettings) -> Rows:
    live = pools.live
    asker, other = (ENTERPRISES, COLLEGES) if direction == DIRECTIONS[0] else (COLLEGES, ENTERPRISES)
    ids = pools.enterprise_id if asker is ENTERPRISES else pools.college_id
    other_ids = pools.college_id if asker is ENTERPRISES else pools.enterprise_id
    query = profile_query(live.pool(asker), ids[q], asker is ENTERPRISES)
    own = history.without(enterprise_id=ids[q]) if asker is ENTERPRISES else history.without(college_id=ids[q])
    result = rank(live.pool(other), query, MatchFilter(), 10**6, config, exact_scan_max=10**9,
                  gap_stats=live.pool(ENTERPRISES).stats, history=own)
    index_of = {pid: i for i, pid in enumerate(other_ids)}
    scored = result.scored
    if scored is None:
        return Rows(q, np.zeros(0, np.int64), np.zeros((0, len(FEATURES))), np.zeros(0), np.zeros(0, bool))
    candidates = np.array([index_of[int(p)] for p in scored.profile_ids], np.int64)
    X = np.column_stack([scored.values[f] for f in FEATURES])
    truth = {(c if asker is ENTERPRISES else e): w for c, e, w in dev.pairs
             if (e if asker is ENTERPRISES else c) == q}
    y = np.array([truth.get(int(c), 0.0) for c in candidates])
    return Rows(q, candidates, X, y, scored.relevant.copy())


def ranking_of(rows: Rows, weights: np.ndarray, every: bool = False) -> list[int]:
    """The service's order for these weights: listed candidates by score, ties by profile order. `every`:
    every candidate is listed, as a trained model serves (its `list_min_similarity` is 0)."""
    idx = np.arange(len(rows.listed)) if every else np.flatnonzero(rows.listed)
    order = idx[np.lexsort((rows.candidates[idx], -(rows.X[idx] @ weights)))]
    return [int(rows.candidates[i]) for i in order]


def metrics(ranked: Sequence[int], relevant: set[int]) -> dict[str, float]:
    hits = [1.0 if r in relevant else 0.0 for r in ranked]
    recall = sum(hits[:K]) / len(relevant)
    first = next((i for i, h in enumerate(hits) if h), None)
    dcg = sum(h / np.log2(i + 2) for i, h in enumerate(hits[:K]))
    ideal = sum(1 / np.log2(i + 2) for i in range(min(K, len(relevant))))
    return {"recall@10": recall, "mrr": 0.0 if first is None else 1.0 / (first + 1), "ndcg@10": dcg / ideal}


def mean_metrics(per_query: Sequence[dict[str, float]]) -> dict[str, float]:
    return {k: float(np.mean([m[k] for m in per_query])) for k in ("recall@10", "mrr", "ndcg@10")}


def fit(rows: Sequence[Rows], alpha: float) -> PairwiseLinearRanker:
    X = np.vstack([r.X for r in rows])
    y = np.concatenate([r.y for r in rows])
    groups = np.concatenate([np.full(len(r.y), r.query) for r in rows])
    return PairwiseLinearRanker(alpha=alpha).fit(X, y, groups)


def choose_alpha(rows: Sequence[Rows], folds: int = 3) -> float:
    """The L2 penalty with the best inner-fold Recall@10 (ties: the larger penalty)."""
    if len(rows) < folds:
        return ALPHAS[1]
    best, best_alpha = -1.0, ALPHAS[1]
    splitter = GroupKFold(n_splits=folds)
    queries = np.array([r.query for r in rows])
    for alpha in sorted(ALPHAS, reverse=True):
        found = []
        for train, test in splitter.split(queries, groups=queries):
            model = fit([rows[i] for i in train], alpha)
            found += [metrics(ranking_of(rows[i], model.coef_, every=True), relevant(rows[i]))["recall@10"]
                      for i in test]
        value = float(np.mean(found))
        if value > best + 1e-12:
            best, best_alpha = value, alpha
    return best_alpha


def relevant(rows: Rows) -> set[int]:
    """The candidates a row set labels as true partners."""
    return {int(c) for c, y in zip(rows.candidates, rows.y, strict=True) if y > 0}


@dataclass
class FoldResult:
    direction: str
    fold: int
    method: str
    values: dict[str, float]
    queries: int


@dataclass
class DevEvaluation:
    folds: int
    results: list[FoldResult] = field(default_factory=list)
    weights: dict[str, list[dict[str, float]]] = field(default_factory=dict)  # direction → per fold
    test_queries: dict[str, list[list[int]]] = field(default_factory=dict)
    train_queries: dict[str, list[list[int]]] = field(default_factory=dict)

    def summary(self) -> list[dict[str, Any]]:
        out = []
        keys = sorted({(r.direction, r.method) for r in self.results}, key=lambda k: (DIRECTIONS.index(k[0]), k[1]))
        for direction, method in keys:
            chosen = [r for r in self.results if r.direction == direction and r.method == method]
            row: dict[str, Any] = {"direction": direction, "method": method,
                                   "queries": sum(r.queries for r in chosen)}
            for metric in ("recall@10", "mrr", "ndcg@10"):
                values = np.array([r.values[metric] for r in chosen])
                spread = float(values.std(ddof=1)) if len(values) > 1 else 0.0
                row[metric], row[metric + " sd"] = float(values.mean()), spread
            out.append(row)
        return out

    def table(self) -> str:
        lines = ["| direction | method | Recall@10 (± sd over folds) | MRR | nDCG@10 | queries |",
                 "|---|---|---|---|---|---|"]
        for r in self.summary():
            lines.append(f"| {r['direction']} | {r['method']} | {r['recall@10']:.3f} ± {r['recall@10 sd']:.3f} | "
                         f"{r['mrr']:.3f} ± {r['mrr sd']:.3f} | {r['ndcg@10']:.3f} ± {r['ndcg@10 sd']:.3f} | "
                         f"{r['queries']} |")
        return "\n".join(lines)


def evaluate_dev(dev: DevSet, pools: DevPools, encoder: Encoder, config: RankingSettings | None = None,
                 folds: int = 5, max_queries: int | None = None,
                 log: Callable[[str], None] = lambda s: None) -> DevEvaluation:
    config = config or RankingSettings()
    hand = np.array([config.weights.normalised()[f] for f in FEATURES])
    out = DevEvaluation(folds)
    college_texts = [profile_text(r, "college") for r in dev.colleges]
    enterprise_texts = [profile_text(r, "enterprise") for r in dev.enterprises]
    for direction in DIRECTIONS:
        by_enterprise = direction == DIRECTIONS[0]
        queries = sorted({e if by_enterprise else c for c, e, _ in dev.pairs})[:max_queries]
        relevant = {q: {c if by_enterprise else e for c, e, _ in dev.pairs if (e if by_enterprise else c) == q}
                    for q in queries}
        q_texts, corpus = (enterprise_texts, college_texts) if by_enterprise else (college_texts, enterprise_texts)
        bm25 = BM25Baseline(corpus)
        dense = DenseBaseline(lambda texts: encoder.encode(texts), corpus)
        dense_ranked = dict(zip(queries, dense.rank_many([q_texts[q] for q in queries], len(corpus)), strict=True))
        qs = np.array(queries)
        out.weights[direction], out.test_queries[direction], out.train_queries[direction] = [], [], []
        for fold, (train_i, test_i) in enumerate(GroupKFold(n_splits=folds).split(qs, groups=qs)):
            train_q, test_q = set(qs[train_i].tolist()), set(qs[test_i].tolist())
            out.train_queries[direction].append(sorted(train_q))
            out.test_queries[direction].append(sorted(test_q))
            pairs = [p for p in dev.pairs if (p[1] if by_enterprise else p[0]) in train_q]
            history = history_of(dev, pools, pairs)
            train_rows = [rows_for(dev, pools, direction, q, history, config) for q in sorted(train_q)]
            test_rows = [rows_for(dev, pools, direction, q, history, config) for q in sorted(test_q)]
            alpha = choose_alpha(train_rows)
            model = fit(train_rows, alpha)
            out.weights[direction].append(dict(zip(FEATURES, model.coef_.tolist(), strict=True)))
            methods: dict[str, list[dict[str, float]]] = {"trained": [], "hand weights": [],
                                                          "hand weights, every candidate": [], "BM25 (bm25s)": [],
                                                          "dense (one vector per profile)": []}
            for r in test_rows:
                rel = relevant[r.query]
                methods["trained"].append(metrics(ranking_of(r, model.coef_, every=True), rel))
                methods["hand weights"].append(metrics(ranking_of(r, hand), rel))
                # The same weights without the listing gate: what the threshold alone costs them.
                methods["hand weights, every candidate"].append(metrics(ranking_of(r, hand, every=True), rel))
                methods["BM25 (bm25s)"].append(metrics(bm25.rank(q_texts[r.query], len(corpus)), rel))
                methods["dense (one vector per profile)"].append(metrics(dense_ranked[r.query], rel))
            for method, per_query in methods.items():
                out.results.append(FoldResult(direction, fold, method, mean_metrics(per_query), len(per_query)))
            log(f"{direction} fold {fold + 1}/{folds}: alpha {alpha:g}, trained Recall@10 "
                f"{mean_metrics(methods['trained'])['recall@10']:.3f}, BM25 "
                f"{mean_metrics(methods['BM25 (bm25s)'])['recall@10']:.3f}")
    return out


def dev_rows(dev: DevSet, pools: DevPools, config: RankingSettings | None = None) -> list[Rows]:
    """Every query of both directions, each its own group (below 2,000,000: apart from the outcomes')."""
    config = config or RankingSettings()
    history = history_of(dev, pools, dev.pairs)
    rows: list[Rows] = []
    for d, direction in enumerate(DIRECTIONS):
        queries = sorted({e if d == 0 else c for c, e, _ in dev.pairs})
        for q in queries:
            r = rows_for(dev, pools, direction, q, history, config)
            r.query = q + (0 if d == 0 else 1_000_000)  # a query of each direction is its own group
            rows.append(r)
    return rows


def train_final(dev: DevSet, pools: DevPools, config: RankingSettings | None = None) -> tuple[np.ndarray, float]:
    """Weights from every query of both directions (alpha chosen on inner folds), for the artifact."""
    rows = dev_rows(dev, pools, config)
    alpha = choose_alpha(rows)
    return fit(rows, alpha).coef_, alpha


def temporary_directory() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="matchmaker-dev-")
