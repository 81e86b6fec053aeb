"""Offline evaluation: Recall@10 and MRR of the ranker and two baselines on the labelled set.

The labelled set (training/labelled_pairs.py) plants true partner pairs among distractors. The
ranker is evaluated through the service's own path: the set is imported into a fresh SQLite
database (validation, geocoding, embedding, indexing) and ranked with `matching.suggest`. The
baselines see the same profiles as whole texts: one dense vector per profile, and BM25 (bm25s).

    python -m training.evaluate [--seed 7] [--json]
"""

import argparse
import hashlib
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from embeddings.encoder import Encoder, load_encoder
from embeddings.index import configure_threads
from matching.db import make_engine, make_sessionmaker, upgrade
from matching.embedding import Embedder
from matching.live import LiveIndex
from matching.prepare import dedup_key
from matching.ranking import FEATURES, RankingSettings, Weights, calibrated
from matching.reference import Reference
from matching.sides import COLLEGES, ENTERPRISES, SideSpec
from matching.suggest import MatchFilter, profile_query, suggest
from matching.transfer import import_text
from training.baselines import BM25Baseline, DenseBaseline, DenseUnitBaseline, evaluate_rankings, profile_text
from training.labelled_pairs import LabelledSet, generate_labelled, relevant_for_college, relevant_for_enterprise

REPO_DATA = Path(__file__).resolve().parent.parent / "data"
DIRECTIONS = ("enterprise->colleges", "college->enterprises")
DEPTH = 100  # suggestions asked per query: MRR counts a true partner up to this rank


@dataclass
class Result:
    method: str
    direction: str
    recall_at_10: float
    mrr: float
    queries: int


@dataclass
class Evaluation:
    seed: int
    colleges: int
    enterprises: int
    pairs: int
    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0

    def get(self, method: str, direction: str) -> Result:
        return next(r for r in self.results if r.method == method and r.direction == direction)

    def table(self) -> str:
        lines = ["| method | direction | Recall@10 | MRR | queries |", "|---|---|---|---|---|"]
        lines += [f"| {r.method} | {r.direction} | {r.recall_at_10:.3f} | {r.mrr:.3f} | {r.queries} |"
                  for r in self.results]
        return "\n".join(lines)


def evaluate(seed: int = 7, encoder: Encoder | None = None, ranking: RankingSettings | None = None,
             labelled: LabelledSet | None = None, log: Callable[[str], None] = lambda s: None,
             cache: Path | None = None) -> Evaluation:
    started = time.perf_counter()
    labelled = labelled or generate_labelled(seed=seed)
    encoder = encoder or load_encoder()
    reference = Reference.load(REPO_DATA)
    ranking = calibrated(ranking or RankingSettings(), encoder.name)
    relevant = {DIRECTIONS[0]: relevant_for_enterprise(labelled), DIRECTIONS[1]: relevant_for_college(labelled)}
    out = Evaluation(seed, len(labelled.colleges), len(labelled.enterprises), len(labelled.pairs))

    log("ranker: importing the labelled set (embedding every unit)")
    rankings = rank_with_service(labelled, encoder, reference, relevant,
                                 {"ranker": ranking, "ranker, semantic feature only": semantic_only(ranking)}, cache)
    for method, by_direction in rankings.items():
        for direction, ranked in by_direction.items():
            out.results.append(_result(method, direction, ranked, relevant[direction]))

    log("baselines: dense (one vector per profile) and BM25")
    college_texts = [profile_text(r, "college") for r in labelled.colleges]
    enterprise_texts = [profile_text(r, "enterprise") for r in labelled.enterprises]
    sides = {DIRECTIONS[0]: (enterprise_texts, college_texts), DIRECTIONS[1]: (college_texts, enterprise_texts)}
    for direction, (queries, corpus) in sides.items():
        ids = sorted(q for q, items in relevant[direction].items() if items)
        dense = DenseBaseline(lambda texts: encoder.encode(texts), corpus)
        ranked_dense = dict(zip(ids, dense.rank_many([queries[q] for q in ids], DEPTH), strict=True))
        out.results.append(_result("dense baseline (one vector per profile)", direction, ranked_dense,
                                   relevant[direction]))
        records = labelled.enterprises if direction == DIRECTIONS[0] else labelled.colleges
        corpus_records = labelled.colleges if direction == DIRECTIONS[0] else labelled.enterprises
        q_side, c_side = ("enterprise", "college") if direction == DIRECTIONS[0] else ("college", "enterprise")
        units = DenseUnitBaseline(lambda texts: encoder.encode(texts), corpus_records, c_side)
        ranked_units = dict(zip(ids, units.rank_many([records[q] for q in ids], q_side, DEPTH), strict=True))
        out.results.append(_result("dense, best unit pair only (yardstick)", direction, ranked_units,
                                   relevant[direction]))
        bm25 = BM25Baseline(corpus)
        out.results.append(_result("BM25 baseline (bm25s)", direction, {q: bm25.rank(queries[q], DEPTH) for q in ids},
                                   relevant[direction]))
    out.seconds = time.perf_counter() - started
    return out


def semantic_only(ranking: RankingSettings) -> RankingSettings:
    weights = Weights(**{f: (1.0 if f == "semantic" else 0.0) for f in FEATURES})
    return ranking.model_copy(update={"weights": weights, "college_weights": None})  # both askers alike


def rank_with_service(labelled: LabelledSet, encoder: Encoder, reference: Reference,
                      relevant: dict[str, dict[int, set[int]]], variants: dict[str, RankingSettings],
                      cache: Path | None = None) -> dict[str, dict[str, dict[int, list[int]]]]:
    """Import the set into a fresh database and rank; `cache` keeps the database between runs
    (named by a hash of the set, so a changed generator never reuses an old one)."""
    configure_threads(1)
    files = {spec: "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
             for spec, records in ((COLLEGES, labelled.colleges), (ENTERPRISES, labelled.enterprises))}
    digest = hashlib.sha256("\n".join(files.values()).encode()).hexdigest()[:16]
    with tempfile.TemporaryDirectory() as tmp:
        path = (cache or Path(tmp)) / f"evaluate-{digest}.db"
        fresh = not path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        live = LiveIndex(Embedder(encoder, reference.catalogue), None)
        try:
            with make_sessionmaker(engine)() as session:
                live.load(session)  # embeds whatever a cached database lacks (e.g. after a text change)
                for spec, text in files.items():
                    if fresh:
                        import_text(session, spec, text, "jsonl", reference, live=live)
                index_of = {spec.side: _ids_to_indices(session, spec, records)
                            for spec, records in ((COLLEGES, labelled.colleges), (ENTERPRISES, labelled.enterprises))}
                id_of = {side: {i: pid for pid, i in mapping.items()} for side, mapping in index_of.items()}
                out: dict[str, dict[str, dict[int, list[int]]]] = {}
                for method, ranking in variants.items():
                    out[method] = {}
                    for direction, asker, other in ((DIRECTIONS[0], ENTERPRISES, COLLEGES),
                                                    (DIRECTIONS[1], COLLEGES, ENTERPRISES)):
                        asker_pool, pool = live.pool(asker), live.pool(other)
                        ranked: dict[int, list[int]] = {}
                        for q in sorted(relevant[direction]):
                            query = profile_query(asker_pool, id_of[asker.side][q], asker is ENTERPRISES)
                            page = suggest(pool, query, MatchFilter(), DEPTH, 0, ranking, exact_scan_max=10**9,
                                           gap_stats=live.pool(ENTERPRISES).stats)
                            ranked[q] = [index_of[other.side][s.id] for s in page.data]
                        out[method][direction] = ranked
                return out
        finally:
            engine.dispose()


def _ids_to_indices(session: Session, spec: SideSpec, records: Sequence[dict[str, Any]]) -> dict[int, int]:
    index_of_key = {dedup_key(r["name"], r.get("city")): i for i, r in enumerate(records)}
    rows = session.execute(select(spec.model.id, spec.model.dedup_key)).all()
    return {pid: index_of_key[key] for pid, key in rows}


def _result(method: str, direction: str, ranked: dict[int, list[int]], relevant: dict[int, set[int]]) -> Result:
    metrics = evaluate_rankings(ranked, relevant)
    return Result(method, direction, metrics["recall@10"], metrics["mrr"], int(metrics["queries"]))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Recall@10 and MRR of the ranker and the baselines.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="Print the results as JSON.")
    parser.add_argument("--cache", type=Path, help="Keep the imported database here between runs.")
    args = parser.parse_args(argv)
    evaluation = evaluate(seed=args.seed, log=print, cache=args.cache)
    if args.json:
        print(json.dumps([r.__dict__ for r in evaluation.results], indent=2))
    else:
        print(evaluation.table())
        print(f"({evaluation.colleges} colleges, {evaluation.enterprises} enterprises, {evaluation.pairs} true pairs; "
              f"{evaluation.seconds:.0f} s)")


if __name__ == "__main__":
    main()
