"""The computations that faster ones replaced, kept verbatim as they were (main at 61eded1).

They are the reference: tests/test_fast_paths.py checks that each fast path gives exactly what its
slow one gives (pages byte for byte, arrays bit for bit), and benchmarks/bench_retrieval.py's
`before-perf` variant patches them back in, to time before and after in one process.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

import matching.ranking as ranking_module
import matching.suggest as suggest_module
from matching.keywords import KeywordStats, keywords
from matching.pool import Pool, code_numbers
from matching.ranking import BM25_B, BM25_K1, Query
from matching.word_rows import WordRows


def unseen_stated_code(pool: Pool, query: Query, seen: np.ndarray) -> bool:
    """Whether a live unit with a code one of the query's units states (its own codes) is not in `seen`."""
    stated = code_numbers(c for unit in query.units for c in unit.codes)
    if not len(stated) or not len(pool.codes):
        return False
    holders = np.flatnonzero(np.isin(pool.codes, stated).any(axis=1) & (pool.owner >= 0))
    return not bool(np.isin(holders, seen).all())


# `rows` (the fast paths' read of the word ids) is taken and ignored: the slow paths read the padded table.
def keyword_overlaps(query: Query, pool: Pool, unit_ids: np.ndarray, stats: KeywordStats,
                     rows: WordRows | None = None) -> np.ndarray:
    """Query units × unit_ids: keyword overlap, always measured over the gap's keywords.

    The IDF-weighted share of the gap's keywords in the specialty's: gathered from the pool's
    word-id columns, so the cost is a few array operations whatever the number of units.
    """
    out = np.zeros((len(query.units), len(unit_ids)))
    if not len(unit_ids):
        return out
    idf = stats.idf_vector()
    pad = len(idf) - 1
    # Entry `pad` of each weight table is 0: padding (-1 reads the last entry) and words newer than
    # this IDF vector (clipped to it) weigh nothing. One table per query unit measured faster than
    # one gather of a units × vocabulary table (0.5 against 1.8 ms for 1,500 units).
    words = np.minimum(pool.word_ids[unit_ids], pad)
    vocabulary = stats.vocabulary
    totals = None if query.is_enterprise else idf[words].sum(axis=1)  # the candidate gaps' own weight
    for q, unit in enumerate(query.units):
        ids = vocabulary.known(unit.words)
        ids = ids[ids < pad]
        if not len(ids):
            continue
        weight = np.zeros(pad + 1)
        if totals is None:
            total = sum(stats.idf(w) for w in unit.words)
            weight[ids] = idf[ids] / total
            out[q] = weight[words].sum(axis=1)
        else:
            weight[ids] = idf[ids]
            out[q] = np.divide(weight[words].sum(axis=1), totals, out=np.zeros(len(unit_ids)), where=totals > 0)
    return out


def lexical_relevance(query: Query, pool: Pool, unit_ids: np.ndarray, group: np.ndarray, n_profiles: int,
                      rows: WordRows | None = None) -> np.ndarray:
    """BM25 of the asker's words (its units' and its name's) over each candidate's units taken as one
    document, IDF among the candidate side's units; divided by (k1 + 1) × the query's IDF sum, the most
    any document could score, so it lies in [0, 1) whatever the query's length."""
    out = np.zeros(n_profiles)
    words = set().union(*(u.words for u in query.units)) if query.units else set()
    if query.profile is not None:
        words |= keywords(query.profile.name)
    idf = pool.stats.idf_vector()
    pad = len(idf) - 1
    ids = pool.stats.vocabulary.known(words)
    ids = ids[ids < pad]
    if not len(ids) or not len(unit_ids):
        return out
    w = pool.word_ids[unit_ids]
    lengths = np.bincount(group, weights=(w >= 0).sum(axis=1), minlength=n_profiles)
    lookup = np.full(pad + 1, -1, np.int64)
    lookup[ids] = np.arange(len(ids))
    col = lookup[np.minimum(w, pad)]  # padding (-1) reads lookup[pad], which is -1
    r, c = np.nonzero(col >= 0)
    tf = np.bincount(group[r] * len(ids) + col[r, c], minlength=n_profiles * len(ids)).reshape(n_profiles, len(ids))
    norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / max(pool.mean_words(), 1.0))
    q_idf = idf[ids]
    out = (tf * (BM25_K1 + 1) / (tf + norm[:, None])) @ q_idf / ((BM25_K1 + 1) * q_idf.sum())
    return np.asarray(out, dtype=np.float64)


def name_mentions(query: Query, pool: Pool, profile_ids: np.ndarray, unit_ids: np.ndarray,
                  group: np.ndarray, rows: WordRows | None = None) -> np.ndarray:
    """1 where a distinctive word of one's name (matching.names) is in the other's name or units' words."""
    mine = query.profile.name_tokens if query.profile is not None else frozenset()
    asked = set().union(*(u.words for u in query.units)) if query.units else set()
    # the candidate's name in the asker's name or words: through the pool's name index
    named = pool.named_by(mine | asked)
    out = np.isin(profile_ids, named).astype(np.float64)
    # the asker's name in the candidate's units
    ids = pool.stats.vocabulary.known(mine)
    if len(ids) and len(unit_ids):
        hit = np.isin(pool.word_ids[unit_ids], ids).any(axis=1)
        out = np.maximum(out, np.bincount(group, weights=hit, minlength=len(profile_ids)) > 0)
    return out


# Where each is called: (module, attribute, the slow function) to patch in.
PATCHES: list[tuple[Any, str, Callable[..., Any]]] = [
    (suggest_module, "unseen_stated_code", unseen_stated_code),
    (suggest_module, "keyword_overlaps", keyword_overlaps),  # retrieval's
    (ranking_module, "keyword_overlaps", keyword_overlaps),  # scoring's
    (ranking_module, "lexical_relevance", lexical_relevance),
    (ranking_module, "name_mentions", name_mentions),
]
