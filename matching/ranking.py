"""Features and scores for one asker against many candidates, computed together in NumPy.

Every number here is something a person can check: the best unit pair per query unit, its
similarity and code agreement, capacities, distance, modes, regions. A score is the weighted sum
of the feature values, and each feature's contribution is reported with it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, Field, PrivateAttr

from embeddings.thresholds import min_score, min_similarity
from matching.history import EMPTY, CentroidOf, History, query_centroid
from matching.keywords import KeywordStats, keywords
from matching.pool import KINDS, LEVELS, Pool, ProfileCard, UnitCard, code_numbers, mode_bits, place_id
from matching.word_rows import WordRows

# Names the scoring formula; a trained ranker would carry its own version.
RANKER_VERSION = "features-1"
UNIT_FEATURES = ("semantic", "keywords", "catalogue", "capacity", "distance", "modes", "provinces", "reciprocity")
# Whole-profile features (issue 11): each in [0, 1] for any candidate, which bounds an unseen one's score.
PROFILE_FEATURES = ("lexical", "name_mention", "same_city", "same_province", "kind_level", "collaborative",
                    "partnered")
FEATURES = UNIT_FEATURES + PROFILE_FEATURES
# A model trained on other features cannot be served: its schema must equal this one.
FEATURE_SCHEMA = "features-2:" + ",".join(FEATURES)
# How well a college's kind trains for a gap's level (rows: pool.KINDS, columns: pool.LEVELS).
KIND_LEVEL_FIT = np.array([
    # operator technician senior_technician engineer manager
    [1.0, 0.6, 0.3, 0.1, 0.2],  # secondary_vocational
    [1.0, 0.8, 0.6, 0.1, 0.2],  # technical_school
    [0.6, 1.0, 1.0, 0.5, 0.5],  # higher_vocational
    [0.2, 0.5, 0.7, 1.0, 1.0],  # university
])
BM25_K1, BM25_B = 1.2, 0.75
# Agreement of two catalogue codes: same specialty, same class (first four digits), same category (two).
AGREEMENT = {"code": 1.0, "class": 0.6, "category": 0.3, "none": 0.0}


class Weights(BaseModel):
    """Feature weights; they are normalised to sum to 1, so scores stay in [0, 1]."""

    # Defaults chosen on the labelled set of seed 11 (training/evaluate.py); RESULTS.md reports seed 7.
    semantic: float = Field(0.45, ge=0, description="Best gap-specialty similarity: headcount-weighted mean "
                            "over the gaps, mixed with the best pair (best_pair_share)")
    keywords: float = Field(0.30, ge=0, description="IDF-weighted share of the gap's keywords in the specialty's text")
    catalogue: float = Field(0.10, ge=0, description="Same code 1, same class 0.6, same category 0.3")
    capacity: float = Field(0.03, ge=0, description="Share of each gap's headcount the matched specialty covers")
    distance: float = Field(0.03, ge=0, description="1 / (1 + km / distance_scale_km); 0.5 when unknown")
    modes: float = Field(0.01, ge=0, description="Share of the asker's cooperation modes the partner offers")
    provinces: float = Field(0.03, ge=0, description="Partner in the enterprise's preferred provinces")
    reciprocity: float = Field(0.05, ge=0, description="Harmonic mean of both sides' use of each other")
    # Whole-profile features: 0 by hand (the hand weights predate them); a trained ranker weighs them.
    lexical: float = Field(0.0, ge=0, description="BM25 of the asker's words over the candidate's units, "
                           "divided by its largest possible value")
    name_mention: float = Field(0.0, ge=0, description="One's distinctive name words in the other's name or units")
    same_city: float = Field(0.0, ge=0, description="Both in the same city (prefecture)")
    same_province: float = Field(0.0, ge=0, description="Both in the same province")
    kind_level: float = Field(0.0, ge=0, description="Fit of the college's kind to the gaps' levels")
    collaborative: float = Field(0.0, ge=0, description="Similarity to the other's existing partners")
    partnered: float = Field(0.0, ge=0, description="The two already cooperate")

    def normalised(self) -> dict[str, float]:
        values = {name: float(getattr(self, name)) for name in FEATURES}
        total = sum(values.values()) or 1.0
        return {name: value / total for name, value in values.items()}


class RankingSettings(BaseModel):
    @property
    def listing_similarity(self) -> float:
        return self.min_similarity if self.list_min_similarity is None else self.list_min_similarity

    weights: Weights = Weights()
    college_weights: Weights | None = Field(None, description="Weights when a college asks for enterprises (a "
                                            "model trained per direction); None: `weights` both ways")
    min_similarity: float = Field(0.35, ge=0, le=1, description="A unit pair below this is not a match; by "
                                  "default the embedding model's calibrated value (embeddings/thresholds.json)")
    list_min_similarity: float | None = Field(None, ge=0, le=1, description="A candidate is listed when one of "
                                              "its unit pairs reaches this; default min_similarity. A trained "
                                              "ranker sets its own (its score decides, not one pair)")
    distance_scale_km: float = Field(300.0, gt=0, description="Distance at which the distance feature is 0.5")
    best_pair_share: float = Field(0.8, ge=0, le=1, description="Share of the single best pair in the semantic "
                                   "feature; the rest is the headcount-weighted mean over the gaps")
    match_list_min_score: float | None = Field(None, ge=0, le=1, description="A match list's min_score when its "
                                               "request gives none; default: derived per embedding model and "
                                               "ranker weights (embeddings/list_scores.json)")
    _calibrated_for: str | None = PrivateAttr(None)  # the model whose threshold `calibrated` filled in
    _model: str | None = PrivateAttr(None)  # the embedding model these settings score (set by `calibrated`)

    def weights_for(self, is_enterprise: bool) -> Weights:
        """The weights for an asker of this side (enterprises ask for colleges)."""
        return self.weights if is_enterprise or self.college_weights is None else self.college_weights


def calibrated(ranking: RankingSettings, model: str) -> RankingSettings:
    """`ranking` with the model's calibrated min_similarity, unless one was given explicitly; it remembers the
    model, for the thresholds derived later from the weights in use (`list_min_score`)."""
    if "min_similarity" in ranking.model_fields_set and ranking._calibrated_for is None:
        out = ranking.model_copy()  # min_similarity set by the operator (MATCH_RANKING__MIN_SIMILARITY) or a caller
    else:
        out = ranking.model_copy(update={"min_similarity": min_similarity(model)})
        out._calibrated_for = model
    out._model = model
    return out


def list_min_score(ranking: RankingSettings) -> float:
    """A match list's default min_score: the operator's, else the one derived for the embedding model and the
    weights these settings rank with (a trained ranker's own), by the rule min_similarity is derived by
    (training/calibrate_lists.py). Settings never calibrated for a model get the reference value, 0.3."""
    if ranking.match_list_min_score is not None:
        return ranking.match_list_min_score
    return min_score(ranking._model or "", ranking.weights.normalised())


@dataclass
class Query:
    """The asking side: its units (with vectors) and, when it is a profile, the profile."""

    units: list[UnitCard]
    vectors: np.ndarray
    is_enterprise: bool  # the asker's side: enterprises ask for colleges
    profile: ProfileCard | None = None
    location: tuple[float, float] | None = None
    modes: frozenset[str] = frozenset()


@dataclass
class Scored:
    """Feature values per candidate (arrays over candidates) and the unit pairs behind them.

    Pairs are oriented from the talent gaps, whichever side asks: each gap is matched with the most
    similar specialty, so an enterprise and a college get the same semantic, catalogue and capacity
    values whether the one or the other asks.
    """

    profile_ids: np.ndarray
    values: dict[str, np.ndarray]
    score: np.ndarray
    pair_query: np.ndarray  # per pair: index of the query unit
    pair_unit: np.ndarray  # per pair: candidate unit id
    pair_sim: np.ndarray
    pair_overlap: np.ndarray
    pair_starts: np.ndarray  # candidate i's pairs are [pair_starts[i], pair_starts[i + 1])
    pair_matched: np.ndarray  # per pair: a match (similarity at or above min_similarity, or the same stated code)
    relevant: np.ndarray  # candidate is listed: a pair at or above the listing threshold, or one of the same code
    asker_view: np.ndarray
    candidate_view: np.ndarray
    distance_km: np.ndarray  # nan when unknown
    weights: dict[str, float] = field(default_factory=dict)

    def pairs(self, i: int) -> list[tuple[int, int, float, float, bool]]:
        """(query unit index, candidate unit id, similarity, keyword overlap, matched) of candidate i."""
        lo, hi = int(self.pair_starts[i]), int(self.pair_starts[i + 1])
        return [(int(q), int(u), float(s), float(o), bool(r)) for q, u, s, o, r in
                zip(self.pair_query[lo:hi], self.pair_unit[lo:hi], self.pair_sim[lo:hi], self.pair_overlap[lo:hi],
                    self.pair_matched[lo:hi], strict=True)]


def code_agreement(a: str, b: str) -> str:
    if a == b:
        return "code"
    if a[:4] == b[:4]:
        return "class"
    if a[:2] == b[:2]:
        return "category"
    return "none"


def agreement_value(a: Sequence[str], b: Sequence[str]) -> float:
    return max((AGREEMENT[code_agreement(x, y)] for x in a for y in b), default=0.0)


def same_stated_code(query: Query, pool: Pool, unit_ids: np.ndarray) -> np.ndarray:
    """Query units × unit_ids: both units state one same catalogue code (their own codes, not inferred
    ones). Such a pair is a match whatever its similarity: the catalogue says so, and a sentence's
    vector may sit below the threshold of a specialty named in a few words."""
    out = np.zeros((len(query.units), len(unit_ids)), dtype=bool)
    for q, unit in enumerate(query.units):
        mine = code_numbers(unit.codes)
        if not len(mine) or not len(unit_ids):
            continue
        # the pool's code columns hold inferred codes too: the few units that agree are checked by card
        idx = np.flatnonzero(np.isin(pool.codes[unit_ids], mine).any(axis=1))
        stated = np.fromiter((bool(pool.units[int(u)].codes) for u in unit_ids[idx]), bool, len(idx))
        out[q, idx[stated]] = True
    return out


def catalogue_agreement(query: Query, pool: Pool, pair_query: np.ndarray, pair_unit: np.ndarray,
                        relevant: np.ndarray) -> np.ndarray:
    """Per relevant pair: the best agreement of the query unit's codes with the candidate unit's
    (a unit without codes of its own: the codes inferred from its text)."""
    agree = np.zeros(len(pair_query))
    for q, unit in enumerate(query.units):
        mine = code_numbers(unit.match_codes)
        chosen = np.flatnonzero(relevant & (pair_query == q)) if len(mine) else ()
        if not len(chosen):
            continue
        theirs = pool.codes[pair_unit[chosen]]
        best = np.zeros(len(chosen))
        for code in mine.tolist():
            value = np.where(theirs == code, AGREEMENT["code"], np.where(
                theirs // 100 == code // 100, AGREEMENT["class"], np.where(
                    theirs // 10_000 == code // 10_000, AGREEMENT["category"], AGREEMENT["none"])))
            best = np.maximum(best, np.where(theirs >= 0, value, 0.0).max(axis=1))
        agree[chosen] = best
    return agree


def keyword_overlaps(query: Query, pool: Pool, unit_ids: np.ndarray, stats: KeywordStats,
                     rows: WordRows | None = None) -> np.ndarray:
    """Query units × unit_ids: keyword overlap, always measured over the gap's keywords.

    The IDF-weighted share of the gap's keywords in the specialty's: gathered from the pool's
    word-id columns, so the cost is a few array operations whatever the number of units. `rows`:
    those columns as read for `unit_ids` (matching.word_rows), when the caller has them.
    """
    out = np.zeros((len(query.units), len(unit_ids)))
    if not len(unit_ids):
        return out
    idf = stats.idf_vector()
    pad = len(idf) - 1
    # Entry `pad` of each weight table is 0: padding (-1 reads the last entry) and words newer than
    # this IDF vector (clipped to it) weigh nothing. One table per query unit measured faster than
    # one gather of a units × vocabulary table (0.5 against 1.8 ms for 1,500 units).
    words = (rows or WordRows.of(pool.word_ids, pool.word_counts, unit_ids)).clipped(pad)
    totals = None if query.is_enterprise else words.sums(idf)  # the candidate gaps' own weight
    known = [ids[ids < pad] for ids in (stats.vocabulary.known(unit.words) for unit in query.units)]
    # Several query units: the words renumbered once into the query's own few (0: any other word), so
    # each unit's pass reads a table of a few entries instead of one the size of the vocabulary (the
    # same weights in the same cells: the same sums).
    asked = np.unique(np.concatenate(known)) if len(known) > 1 else np.zeros(0, np.int64)
    local = np.zeros(pad + 1, np.int32)
    local[asked] = np.arange(1, len(asked) + 1)
    if len(asked):
        words = words.through(local)
    for q, unit in enumerate(query.units):
        ids = known[q]
        if not len(ids):
            continue
        weight = np.zeros(len(asked) + 1 if len(asked) else pad + 1)
        cells = local[ids] if len(asked) else ids
        if totals is None:
            total = sum(stats.idf(w) for w in unit.words)
            weight[cells] = idf[ids] / total
            out[q] = words.sums(weight)
        else:
            weight[cells] = idf[ids]
            out[q] = np.divide(words.sums(weight), totals, out=np.zeros(len(unit_ids)), where=totals > 0)
    return out


def score(query: Query, candidates: Sequence[ProfileCard], pool: Pool,
          sims: np.ndarray, unit_ids: np.ndarray, config: RankingSettings,
          stats: KeywordStats | None = None, history: History | None = None) -> Scored:
    """Score candidates whose units are `unit_ids` (grouped by profile, in candidate order).

    `sims` is query units × unit_ids cosine similarity; `stats` are the talent gaps' keyword
    frequencies. Each gap is paired with the specialty that adds most to the score through
    similarity and keywords together.
    """
    weights = config.weights_for(query.is_enterprise).normalised()
    m, n_profiles, n = len(query.units), len(candidates), len(unit_ids)
    sims = np.clip(sims, 0.0, 1.0)
    words = WordRows.of(pool.word_ids, pool.word_counts, unit_ids)  # read once for every keyword feature
    overlaps = keyword_overlaps(query, pool, unit_ids, stats, words) if stats is not None and weights[
        "keywords"] else np.zeros_like(sims, dtype=np.float64)
    choose = weights["semantic"] * sims + weights["keywords"] * overlaps if weights["semantic"] + weights[
        "keywords"] else sims.astype(np.float64)
    # A matched pair (similarity >= min_similarity, or the same stated code) is always preferred, so a
    # listed candidate's explanation shows the pair that makes it relevant.
    same = same_stated_code(query, pool, unit_ids)
    choose = choose + 10.0 * ((sims >= config.min_similarity) | same)
    profile_ids = np.fromiter((c.id for c in candidates), np.int64, len(candidates))
    counts = _counts(profile_ids, pool, unit_ids)
    group = np.repeat(np.arange(n_profiles), counts)
    has_units = counts > 0
    amount_q = np.array([max(u.amount, 1) for u in query.units], dtype=np.float64)
    amount_u = np.maximum(pool.amount[unit_ids], 1.0)

    # For each query unit and candidate: the candidate's most similar unit (first of equals).
    width = max(1, int(counts.max()) if n_profiles else 1)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if n_profiles else np.zeros(0, np.int64)
    valid = np.arange(width)[None, :] < counts[:, None]
    pad = np.where(valid, starts[:, None] + np.arange(width)[None, :], 0)
    padded = np.where(valid[None, :, :], choose[:, pad] if n else np.zeros((m, n_profiles, width)), -1.0)
    best_pos = padded.argmax(axis=2)
    best_idx = np.take_along_axis(np.broadcast_to(pad, (m, *pad.shape)), best_pos[:, :, None], axis=2)[:, :, 0]
    rows = np.arange(m)[:, None]
    best_sim = np.where(has_units[None, :], sims[rows, best_idx] if n else 0.0, 0.0)
    best_overlap = np.where(has_units[None, :], overlaps[rows, best_idx] if n else 0.0, 0.0)
    best_amount = np.where(has_units[None, :], amount_u[best_idx] if n else 0.0, 0.0)
    # For each candidate unit: the asker's most similar unit.
    q_best = choose.argmax(axis=0) if n else np.zeros(0, np.int64)
    s_best = sims[q_best, np.arange(n)] if n else np.zeros(0)
    o_best = overlaps[q_best, np.arange(n)] if n else np.zeros(0)

    # Both sides' views: the asker's amount the candidate covers, the candidate's amount the asker uses.
    share = amount_q / amount_q.sum()
    asker_view = (share / amount_q) @ (np.minimum(best_amount, amount_q[:, None]) * best_sim)
    used = np.bincount(group, weights=np.minimum(amount_u, amount_q[q_best]) * s_best, minlength=n_profiles)
    total_u = np.bincount(group, weights=amount_u, minlength=n_profiles)
    candidate_view = np.divide(used, total_u, out=np.zeros(n_profiles), where=total_u > 0)

    tau = config.min_similarity
    if query.is_enterprise:
        # pairs: each query gap with its best specialty of each candidate
        pair_query = np.tile(np.arange(m), n_profiles).astype(np.int64)
        pair_idx = best_idx.T.reshape(-1)
        pair_sim = best_sim.T.reshape(-1)
        pair_overlap = best_overlap.T.reshape(-1)
        pair_owner = np.repeat(np.arange(n_profiles), m)
        keep = has_units[pair_owner]
        pair_query, pair_idx, pair_sim, pair_owner = pair_query[keep], pair_idx[keep], pair_sim[keep], pair_owner[keep]
        pair_overlap = pair_overlap[keep]
        pair_same = same[pair_query, pair_idx] if n else np.zeros(0, bool)
        gap_amount, spec_amount = amount_q[pair_query], amount_u[pair_idx] if n else np.zeros(0)
    else:
        # pairs: each candidate gap with the asking college's best specialty
        pair_query, pair_idx, pair_sim, pair_owner = q_best.astype(np.int64), np.arange(n), s_best, group
        pair_overlap = o_best
        pair_same = same[pair_query, pair_idx] if n else np.zeros(0, bool)
        gap_amount, spec_amount = amount_u, amount_q[q_best] if n else np.zeros(0)
    pair_unit = unit_ids[pair_idx] if n else np.zeros(0, np.int64)
    relevant = (pair_sim >= tau) | pair_same
    agree = catalogue_agreement(query, pool, pair_query, pair_unit, relevant)
    # A weak match covers weakly: otherwise a college with a so-so specialty for every gap would
    # out-cover the one that trains exactly what one gap asks.
    coverage = np.where(relevant, np.minimum(1.0, spec_amount / gap_amount) * pair_sim, 0.0)
    gap_total = np.bincount(pair_owner, weights=gap_amount, minlength=n_profiles)

    def gap_weighted(x: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.divide(np.bincount(pair_owner, weights=gap_amount * x, minlength=n_profiles),
                                    gap_total, out=np.zeros(n_profiles), where=gap_total > 0)
        return out

    def mixed(x: np.ndarray) -> np.ndarray:
        best = _group_max(x, pair_owner, n_profiles)
        return (1 - config.best_pair_share) * gap_weighted(x) + config.best_pair_share * best

    values: dict[str, np.ndarray] = {
        "semantic": mixed(pair_sim),
        "keywords": mixed(pair_overlap),
        "catalogue": gap_weighted(agree),
        "capacity": gap_weighted(coverage),
        "reciprocity": harmonic(asker_view, candidate_view),
    }
    distance_km = great_circle_km(query.location, pool.lat[profile_ids], pool.lon[profile_ids])
    values["distance"] = np.where(np.isnan(distance_km), 0.5,
                                  1.0 / (1.0 + np.nan_to_num(distance_km) / config.distance_scale_km))
    values["modes"] = mode_overlaps(query.modes, pool.mode_mask[profile_ids])
    values["provinces"] = province_fits(query, candidates, pool.province_id[profile_ids])
    values["lexical"] = lexical_relevance(query, pool, unit_ids, group, n_profiles, words)
    values["name_mention"] = name_mentions(query, pool, profile_ids, unit_ids, group, words)
    values["same_city"], values["same_province"] = same_place(query, pool, profile_ids)
    gap_level, college_kind = (
        (np.array([LEVELS.index(u.level) if u.level in LEVELS else -1 for u in query.units], np.int64)[pair_query]
         if m else np.zeros(0, np.int64), pool.kind_id[profile_ids][pair_owner]) if query.is_enterprise else
        (pool.level_id[pair_unit], np.full(len(pair_owner), _kind_of(query.profile), np.int64)))
    known = (gap_level >= 0) & (college_kind >= 0)
    values["kind_level"] = gap_weighted(np.where(known, KIND_LEVEL_FIT[college_kind, gap_level], 0.5))
    history = history or EMPTY
    asker_id = query.profile.id if query.profile is not None else None
    values["partnered"] = history.partnered(asker_id, query.is_enterprise, profile_ids)
    values["collaborative"] = history.collaborative(asker_id, query_centroid(query.vectors), query.is_enterprise,
                                                    profile_ids, CentroidOf(pool))
    total_score = sum((weights[f] * values[f] for f in FEATURES), np.zeros(n_profiles))
    # Listed: any pair of units at or above min_similarity, or of the same stated code, whichever pairs
    # the features chose.
    unit_best = _group_max(sims.max(axis=0) if m else np.zeros(n), group, n_profiles)
    coded = _group_max(np.asarray(same.any(axis=0), np.float64), group, n_profiles) > 0
    listed = ((unit_best >= config.listing_similarity) | coded) & has_units
    pair_starts = np.concatenate([[0], np.cumsum(np.bincount(pair_owner, minlength=n_profiles))]).astype(np.int64)
    return Scored(
        profile_ids=profile_ids, values=values, score=total_score,
        pair_query=pair_query, pair_unit=pair_unit, pair_sim=pair_sim, pair_overlap=pair_overlap,
        pair_starts=pair_starts, pair_matched=relevant,
        relevant=listed,
        asker_view=asker_view, candidate_view=candidate_view, distance_km=distance_km, weights=weights,
    )


def _kind_of(profile: ProfileCard | None) -> int:
    return KINDS.index(profile.kind) if profile is not None and profile.kind in KINDS else -1


def lexical_relevance(query: Query, pool: Pool, unit_ids: np.ndarray, group: np.ndarray, n_profiles: int,
                      rows: WordRows | None = None) -> np.ndarray:
    """BM25 of the asker's words (its units' and its name's) over each candidate's units taken as one
    document, IDF among the candidate side's units; divided by (k1 + 1) × the query's IDF sum, the most
    any document could score, so it lies in [0, 1) whatever the query's length. `rows`: the word ids
    of `unit_ids` as read (matching.word_rows), when the caller has them."""
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
    lengths = np.bincount(group, weights=pool.word_counts[unit_ids], minlength=n_profiles)
    lookup = np.full(pad + 1, -1, np.int64)
    lookup[ids] = np.arange(len(ids))
    # padding (-1) reads lookup[pad], which is -1; term counts are whole numbers, in any order the same
    r, col = (rows or WordRows.of(pool.word_ids, pool.word_counts, unit_ids)).clipped(pad).cells(lookup)
    tf = np.bincount(group[r] * len(ids) + col, minlength=n_profiles * len(ids)).reshape(n_profiles, len(ids))
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
        hit = (rows or WordRows.of(pool.word_ids, pool.word_counts, unit_ids)).any_of(ids)
        out = np.maximum(out, np.bincount(group, weights=hit, minlength=len(profile_ids)) > 0)
    return out


def same_place(query: Query, pool: Pool, profile_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(same city, same province) as 1 or 0; 0 when the asker has no profile or no place."""
    me = query.profile
    if me is None:
        return np.zeros(len(profile_ids)), np.zeros(len(profile_ids))
    city = place_id(f"{me.country}/{me.city.casefold()}") if me.city else -2
    province = place_id(me.province) if me.province else -2
    return ((pool.city_id[profile_ids] == city).astype(np.float64),
            (pool.province_id[profile_ids] == province).astype(np.float64))


def _counts(ids: np.ndarray, pool: Pool, unit_ids: np.ndarray) -> np.ndarray:
    """How many of `unit_ids` each candidate (by id) has; `unit_ids` lists them candidate by
    candidate, and candidates come in id order."""
    if not len(unit_ids):
        return np.zeros(len(ids), dtype=np.int64)
    position = np.searchsorted(ids, pool.owner[unit_ids])
    return np.bincount(position, minlength=len(ids)).astype(np.int64)


def _group_max(x: np.ndarray, owner: np.ndarray, groups: int) -> np.ndarray:
    """Per group, the largest of `x` and 0. `owner` (the group of each x) is sorted, as candidates'
    units and pairs are: one reduceat, where np.maximum.at took ten times as long."""
    out = np.zeros(groups)
    if len(x):
        starts = np.flatnonzero(np.concatenate([[True], owner[1:] != owner[:-1]]))
        out[owner[starts]] = np.maximum(np.maximum.reduceat(x, starts), 0.0)
    return out


def harmonic(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    total = a + b
    out: np.ndarray = np.divide(2 * a * b, total, out=np.zeros_like(total, dtype=np.float64), where=total > 0)
    return out


def great_circle_km(origin: tuple[float, float] | None, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Great-circle km from `origin` to each (lat, lon); nan where either is unknown."""
    if origin is None:
        return np.full(len(lat), np.nan)
    lat, lon = np.radians(lat), np.radians(lon)
    lat0, lon0 = np.radians(origin[0]), np.radians(origin[1])
    a = np.sin((lat - lat0) / 2) ** 2 + np.cos(lat0) * np.cos(lat) * np.sin((lon - lon0) / 2) ** 2
    out: np.ndarray = 2 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(1.0, a)))
    return out


def mode_overlaps(asked: frozenset[str], offered: np.ndarray) -> np.ndarray:
    """Share of the asker's modes each partner also lists (`offered`: their `mode_bits`); 0.5 when
    either lists none (unknown)."""
    mask = mode_bits(asked)
    if not mask:
        return np.full(len(offered), 0.5)
    shared = np.bitwise_count(offered & mask) / len(asked)
    out: np.ndarray = np.where(offered == 0, 0.5, shared)
    return out


def province_fits(query: Query, candidates: Sequence[ProfileCard], province_ids: np.ndarray) -> np.ndarray:
    """`province_fit` for each candidate: from the province column when an enterprise with stated
    preferences asks (the common case), by the whole rule otherwise."""
    n = len(candidates)
    if query.profile is None:
        return np.full(n, 0.5)
    preferred = query.profile.preferred_provinces if query.is_enterprise else frozenset()
    if preferred:
        return np.isin(province_ids, [place_id(p) for p in preferred]).astype(np.float64)
    return np.fromiter((province_fit(query, c) for c in candidates), np.float64, n)


def province_fit(query: Query, candidate: ProfileCard) -> float:
    """The enterprise's preferred provinces decide, whichever side asks: 1 inside them, else 0.

    With no stated preference: same province 1, same country 0.5, abroad 0.
    """
    if query.profile is None:
        return 0.5
    enterprise, college = (query.profile, candidate) if query.is_enterprise else (candidate, query.profile)
    if enterprise.preferred_provinces:
        return 1.0 if college.province in enterprise.preferred_provinces else 0.0
    if college.province and college.province == enterprise.province and college.country == enterprise.country:
        return 1.0
    return 0.5 if college.country == enterprise.country else 0.0
