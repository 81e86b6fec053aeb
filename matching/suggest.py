"""Ranked partners for a profile or a free text: filter, retrieve, score, page.

A filtered page equals the exact top of all candidates that pass the filter. Filters are applied
inside the search (never after it). With an exact index, one round of retrieval is scored and
kept when no candidate left unseen could still reach the page (either its best similarity is below
`min_similarity` for every query unit, or an upper bound on its score is below the page's last
score); otherwise every allowed candidate is scored. An approximate index deepens its search until
the page is full; for an enterprise without filters it also fetches the most similar colleges in
the provinces it prefers (`place_candidates`). Small sets are scored in full.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from matching.errors import InvalidInput, Problem
from matching.explain import suggestion
from matching.geography import GeographyError, normalize_any_province, normalize_country, normalize_province
from matching.history import History
from matching.keywords import KeywordStats, keywords
from matching.messages import ENGLISH, Wording, number
from matching.pool import Pool, ProfileCard, UnitCard, code_numbers
from matching.ranking import (
    FEATURES,
    PROFILE_FEATURES,
    Query,
    RankingSettings,
    Scored,
    great_circle_km,
    harmonic,
    keyword_overlaps,
    score,
)
from matching.results import FeatureMatrix, SuggestionsPublic
from matching.saying import said_of, say

FIRST_K = 64
PLACE_K = 8  # per gap, from the colleges in the enterprise's provinces (approximate indexes only)
KEYWORD_BUDGET = 2_000  # units fetched by keyword per query unit in the first round
CODE_K = 16  # per query unit, its most similar units among those sharing its codes
EXACT_SCAN_MAX = 20_000  # allowed units up to which every candidate is scored


@dataclass(frozen=True)
class MatchFilter:
    country: str | None = None
    province: str | None = None
    max_distance_km: float | None = None
    min_capacity: int | None = None  # units with at least this amount (graduates a year / headcount)
    mode: str | None = None


def profile_query(asker_pool: Pool, profile_id: int, is_enterprise: bool) -> Query:
    card = asker_pool.profiles[profile_id]
    units = [asker_pool.units[u] for u in card.units if u in asker_pool.index]
    vectors = asker_pool.index.vectors_of([u.id for u in units]) if units else np.empty((0, asker_pool.index.dimension))
    return Query(units=units, vectors=vectors, is_enterprise=is_enterprise, profile=card,
                 location=(card.lat, card.lon) if card.located else None, modes=card.modes)  # type: ignore[arg-type]


def text_query(vector: np.ndarray, text: str, amount: int, is_enterprise: bool,
               location: tuple[float, float] | None, modes: frozenset[str],
               inferred: tuple[str, ...] = ()) -> Query:
    """`inferred`: the catalogue codes the text is about (matching.bridge), compared like a unit's own."""
    name = " ".join(text.split())
    unit = UnitCard(id=0, profile_id=0, name=name if len(name) <= 80 else name[:79] + "…", codes=(), amount=amount,
                    key=None, words=keywords(text), inferred=inferred)
    return Query(units=[unit], vectors=vector.reshape(1, -1), is_enterprise=is_enterprise, location=location,
                 modes=modes)


@dataclass(frozen=True)
class Ranked:
    """Scored rows of one query, before any rendering: what the API, match lists and training read.

    `scored` holds every feature value of every candidate scored (a feature matrix by columns) and
    the unit pairs behind them; `order` is the listed candidates' row indices, best first. `reason`
    says why nothing is listed, when nothing is.
    """

    query: Query
    scored: Scored | None
    order: np.ndarray
    reason: str | None = None

    def rows(self, offset: int = 0, limit: int | None = None) -> list[int]:
        end = None if limit is None else offset + limit
        return [int(i) for i in self.order[offset:end]]


def rank(pool: Pool, query: Query, where: MatchFilter, need: int, config: RankingSettings,
         exact_scan_max: int = EXACT_SCAN_MAX, asker_label: str = "enterprise",
         gap_stats: KeywordStats | None = None, history: History | None = None,
         wording: Wording = ENGLISH) -> Ranked:
    """Retrieve and score the candidates of `query`, exact for its best `need`; nothing rendered.

    `gap_stats`: keyword frequencies among the talent gaps (the enterprises' pool); default: the
    candidate pool's own when it holds gaps, else none (no keyword feature). `wording`: the
    language of `reason`."""
    term = wording.term
    stats = gap_stats or (pool.stats if not query.is_enterprise else KeywordStats())

    def empty(reason: str) -> Ranked:
        return Ranked(query, None, np.zeros(0, np.int64), reason)

    other = pool.spec
    if not query.units:
        return empty(wording("empty.no_units", asker=term(asker_label),
                             units=term("talent gaps" if query.is_enterprise else "specialties")))
    if len(pool.index) == 0:
        return empty(wording("empty.no_index", units=term(other.units)))
    allowed = allowed_profiles(pool, query, where)
    if allowed is not None and not allowed:
        return empty(wording("empty.filtered", side=term(other.label)))
    allowed_units = allowed_unit_ids(pool, allowed, where.min_capacity)
    if len(allowed_units) == 0:
        return empty(wording("empty.filtered", side=term(other.label)))
    scored = retrieve_and_score(pool, query, allowed, allowed_units, need, config, exact_scan_max, stats, history)
    order = ranked(scored)
    if len(order) == 0:
        return Ranked(query, scored, order, wording("empty.dissimilar", unit=term(other.unit_label),
                                                    threshold=config.listing_similarity))
    return Ranked(query, scored, order)


def suggest(pool: Pool, query: Query, where: MatchFilter, limit: int, offset: int, config: RankingSettings,
            exact_scan_max: int = EXACT_SCAN_MAX, asker_label: str = "enterprise",
            gap_stats: KeywordStats | None = None, history: History | None = None, wording: Wording = ENGLISH,
            also: Sequence[Wording] = ()) -> SuggestionsPublic:
    """One page of public suggestions: `rank`, then each row of the page rendered (matching.explain).
    `wording`: the reader's language for reasons; `also`: languages whose reasons each suggestion
    keeps beside."""
    stats = gap_stats or (pool.stats if not query.is_enterprise else KeywordStats())
    result = rank(pool, query, where, offset + limit, config, exact_scan_max, asker_label, gap_stats, history,
                  wording)
    if result.scored is None or result.reason is not None:
        return SuggestionsPublic(data=[], count=0, offset=offset, limit=limit, reason=result.reason)
    scored = result.scored
    rows = result.rows(offset, limit)
    data = [suggestion(pool, query, scored, i, offset + r + 1, config, stats, wording, also)
            for r, i in enumerate(rows)]
    reason = None if data else wording("empty.past_end", count=number(wording.lang, offset + 1))
    out = SuggestionsPublic(data=data, count=len(data), offset=offset, limit=limit, reason=reason)
    out._features = FeatureMatrix(np.column_stack([scored.values[f][rows] for f in FEATURES])) if rows else None
    return out


def ranked(scored: Scored) -> np.ndarray:
    """Relevant candidates, best first; equal scores by id, so pages are stable."""
    idx = np.flatnonzero(scored.relevant)
    order = np.lexsort((scored.profile_ids[idx], -scored.score[idx]))
    return idx[order]


def retrieve_and_score(pool: Pool, query: Query, allowed: list[ProfileCard] | None, allowed_units: np.ndarray,
                       need: int, config: RankingSettings, exact_scan_max: int, stats: KeywordStats,
                       history: History | None = None) -> Scored:
    index = pool.index
    if len(allowed_units) <= exact_scan_max:
        everyone = candidates_of(pool, allowed, allowed_units)
        return score_profiles(pool, query, everyone, allowed_units, config, stats, history)
    # Every indexed unit is allowed: search unrestricted. (A pool may also be a view of fewer
    # profiles than its index holds; then the search is restricted like any filter.)
    everything = allowed_units is pool.everything()[0] and len(allowed_units) == len(index)
    restrict = None if everything else allowed_units
    k, budget = max(FIRST_K, 4 * need), KEYWORD_BUDGET
    lexical_weight = config.weights_for(query.is_enterprise).normalised()["keywords"] > 0
    nearby = place_candidates(pool, query, PLACE_K) if everything and not index.exact else np.zeros(0, np.int64)
    coded = code_candidates(pool, query, CODE_K, None if everything else _mask(allowed_units, len(pool.owner)))
    while True:
        hits = index.search(query.vectors, k, restrict)
        lexical = keyword_candidates(pool, query, stats, budget, k) if lexical_weight else KeywordHits()
        fetched = np.union1d(lexical.units, coded)
        extra = fetched[pool.index.live_mask(fetched) if everything else np.isin(fetched, allowed_units)]
        found = np.union1d(hits.ids[hits.ids >= 0], np.concatenate([extra, nearby]))
        candidates = profiles_of(pool, found)
        units = allowed_unit_subset(pool, candidates, allowed_units)
        scored = score_profiles(pool, query, candidates, units, config, stats, history)
        if (hits.ids < 0).any():
            return scored  # every allowed unit was seen
        kth_sim = hits.sims[:, -1].astype(np.float64)
        # a unit of a code the query states is a match at any similarity: while one is unseen, so is a match
        coded_unseen = unseen_stated_code(pool, query, units)
        if (kth_sim < config.listing_similarity).all() and not coded_unseen:
            return scored  # an unseen candidate has no pair good enough to be listed
        order = ranked(scored)
        if len(order) >= need and (not index.exact or scored.score[order[need - 1]] > unseen_bound(
                query, kth_sim, config, lexical.bound, coded_unseen)):
            return scored
        k, budget = 4 * k, 4 * budget
        # Exact: when the first round cannot prove its page, deeper rounds rarely do before they cost
        # more than scoring everyone (at 100,000 specialties every query took 3-5 rounds, 261 ms, where
        # the full scan takes 78 ms).
        if index.exact or k >= len(allowed_units) // 2:
            everyone = candidates_of(pool, allowed, allowed_units)
            return score_profiles(pool, query, everyone, allowed_units, config, stats, history)


@dataclass(frozen=True)
class KeywordHits:
    units: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    bound: float = 1.0  # the highest keyword overlap a unit not in `units` may have


def keyword_candidates(pool: Pool, query: Query, stats: KeywordStats, budget: int, keep: int) -> KeywordHits:
    """Units sharing the query's cheapest words (those fewest units hold), fetched up to `budget`
    per query unit; of those, the `keep` with the highest keyword overlap per query unit. With a
    bound on the keyword overlap of every unit not returned."""
    idf = stats.idf_vector()
    pad = len(idf) - 1
    found: list[np.ndarray] = []
    bound = 0.0
    for unit in query.units:
        taken, missed = _cheapest(pool, stats.vocabulary.known(unit.words), pad, budget)
        found.extend(pool.postings.lookup(taken, pool.owner, pool.word_ids))
        if not len(missed):
            continue
        if query.is_enterprise:  # overlap is over the gap's words: the weight of those not fetched
            total = sum(stats.idf(w) for w in unit.words)
            bound = max(bound, float(idf[missed].sum()) / total if total else 0.0)
        else:  # over the candidate gap's words, which an unfetched gap may share with these
            bound = 1.0
    # Marking the units in a table the size of the pool is cheaper than sorting their concatenation.
    seen = np.zeros(len(pool.owner), dtype=bool)
    for posting in found:
        seen[posting] = True
    units = np.flatnonzero(seen)
    if len(units) <= keep:
        return KeywordHits(units=units, bound=min(1.0, bound))
    # Whole overlaps (not only over the fetched words) choose the units kept: measured, this kept
    # recall@10 against exact 0.09 higher than ranking by the fetched words' share.
    overlaps = keyword_overlaps(query, pool, units, stats)
    chosen = np.zeros(len(units), dtype=bool)
    for row in overlaps:
        top = np.argpartition(-row, keep)
        chosen[top[:keep]] = True
        bound = max(bound, float(row[top[keep]]))  # the best overlap among the units left out
    return KeywordHits(units=units[chosen], bound=min(1.0, bound))


def code_candidates(pool: Pool, query: Query, k: int = CODE_K, allowed: np.ndarray | None = None) -> np.ndarray:
    """Per query unit, the `k` units most similar to it among those with one of its codes (its own or
    inferred), within `allowed` (a mask by unit id) when given: the catalogue feature's best partners,
    which a Chinese gap's vector may not bring near. Most similar first, because a code is shared by
    hundreds of units at scale: fetching up to 2,000 of each code had a query at 100,000 specialties
    score a median of 14,000 units."""
    found = []
    for q, unit in enumerate(query.units):
        codes = code_numbers(unit.match_codes)
        if not len(codes):
            continue
        units = pool.units_coded(codes.tolist())
        if allowed is not None:
            units = units[allowed[units]]
        if len(units) > k:
            sims = pool.index.similarities(query.vectors[q:q + 1], units)[0]
            units = units[np.argpartition(-sims, k)[:k]]
        found.append(units)
    return np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)


def place_candidates(pool: Pool, query: Query, k: int) -> np.ndarray:
    """Units of the colleges an enterprise's province feature favours (in its preferred provinces,
    else in its own): the `k` most similar to each of its gaps. An approximate search fetches by
    similarity alone and misses near-equal colleges that win on place; measured at 100,000
    specialties, this raised HNSW32's recall@10 against exact from 0.67 to 0.72 for about 0.3 ms."""
    profile = query.profile
    if profile is None or not query.is_enterprise:
        return np.zeros(0, np.int64)
    places = profile.preferred_provinces or ({profile.province} if profile.province else set())
    units = pool.units_in(places)
    if not len(units):
        return units
    hits = pool.index.search(query.vectors, k, units)
    found: np.ndarray = np.unique(hits.ids[hits.ids >= 0])
    return found


def _mask(unit_ids: np.ndarray, size: int) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    mask[unit_ids] = True
    return mask


def _cheapest(pool: Pool, ids: np.ndarray, pad: int, budget: int) -> tuple[np.ndarray, np.ndarray]:
    """(words to fetch, words left): the fewest-held words first, while their units fit the budget.
    Words newer than the IDF vector weigh nothing yet (see ranking.keyword_overlaps): neither."""
    ids = ids[ids < pad]
    if not len(ids):
        return ids, ids
    sizes = pool.postings.sizes(ids, pool.owner, pool.word_ids)
    order = np.argsort(sizes, kind="stable")
    within = np.cumsum(sizes[order]) <= budget
    return ids[order[within]], ids[order[~within]]


def unseen_stated_code(pool: Pool, query: Query, seen: np.ndarray) -> bool:
    """Whether a live unit with a code one of the query's units states (its own codes) is not in `seen`."""
    stated = code_numbers(c for unit in query.units for c in unit.codes)
    if not len(stated) or not len(pool.codes):
        return False
    return not bool(np.isin(pool.code_holders(stated.tolist()), seen).all())


def unseen_bound(query: Query, kth_sim: np.ndarray, config: RankingSettings, keyword_bound: float = 1.0,
                 coded_unseen: bool = False) -> float:
    """The highest score a candidate none of whose units was retrieved could have. `coded_unseen`: one
    of them may state a code of the query's, which makes its pair a match at any similarity."""
    w = config.weights_for(query.is_enterprise).normalised()
    amounts = np.array([max(u.amount, 1) for u in query.units], dtype=np.float64)
    share = amounts / amounts.sum()
    kth = np.clip(kth_sim, 0, 1)
    highest = float(kth.max())
    # An unseen candidate's units are each below the k-th similarity of every query unit.
    asker_side = float(share @ kth)
    # catalogue and capacity need a matched pair
    gated = 1.0 if coded_unseen else float(share @ (kth_sim >= config.min_similarity)) if query.is_enterprise \
        else float(highest >= config.min_similarity)
    mean = asker_side if query.is_enterprise else highest  # pairs are oriented from the gaps
    semantic = (1 - config.best_pair_share) * mean + config.best_pair_share * highest
    reciprocity = float(harmonic(np.array([asker_side]), np.array([highest]))[0])
    # Keywords: at most the weight of the words keyword retrieval did not fetch.
    return (w["semantic"] * semantic + (w["catalogue"] + w["capacity"]) * gated + w["reciprocity"] * reciprocity
            + w["keywords"] * keyword_bound + w["distance"] + w["modes"] + w["provinces"]
            # The profile-level features are at most 1 each for any candidate, seen or not.
            + sum(w[f] for f in PROFILE_FEATURES))


def score_profiles(pool: Pool, query: Query, candidates: list[ProfileCard], unit_ids: np.ndarray,
                   config: RankingSettings, stats: KeywordStats, history: History | None = None) -> Scored:
    sims = pool.index.similarities(query.vectors, unit_ids) if len(unit_ids) else np.zeros(
        (len(query.units), 0), np.float32)
    return score(query, candidates, pool, sims, unit_ids, config, stats, history)


def candidates_of(pool: Pool, allowed: list[ProfileCard] | None, unit_ids: np.ndarray) -> list[ProfileCard]:
    if allowed is None and unit_ids is pool.everything()[0]:
        return pool.everything()[1]
    return profiles_of(pool, unit_ids)


def profiles_of(pool: Pool, unit_ids: np.ndarray) -> list[ProfileCard]:
    return [pool.profiles[int(p)] for p in np.unique(pool.owner[unit_ids])]


def allowed_unit_subset(pool: Pool, candidates: Sequence[ProfileCard], allowed_units: np.ndarray) -> np.ndarray:
    units = np.concatenate([c.unit_array for c in candidates]) if candidates else np.zeros(0, np.int64)
    everything = allowed_units is pool.everything()[0] and len(allowed_units) == len(pool.index)
    keep = pool.index.live_mask(units) if everything else np.isin(units, allowed_units)
    out: np.ndarray = units[keep]
    return out


def allowed_unit_ids(pool: Pool, allowed: list[ProfileCard] | None, min_capacity: int | None) -> np.ndarray:
    """Indexed units of the allowed profiles, in profile order (as scoring groups them)."""
    if allowed is None and not min_capacity:
        return pool.everything()[0]
    if allowed is None:
        units = pool.everything()[0]
    else:
        units = np.fromiter((u for c in allowed for u in c.units), dtype=np.int64)
        units = units[pool.index.live_mask(units)]
    return units[pool.amount[units] >= (min_capacity or 0)] if min_capacity else units


def allowed_profiles(pool: Pool, query: Query, where: MatchFilter) -> list[ProfileCard] | None:
    """The candidates that pass the profile filters, or None when nothing filters profiles."""
    problems: list[Problem] = []
    country = province = None
    if where.country:
        try:
            country = normalize_country(where.country)
        except GeographyError as exc:
            problems.append(Problem.of("country", said_of(exc)))
    if where.province:
        try:
            province = normalize_province(country, where.province) if country else normalize_any_province(
                where.province)
        except GeographyError as exc:
            problems.append(Problem.of("province", said_of(exc)))
    if where.max_distance_km is not None and query.location is None:
        problems.append(Problem.of("max_distance_km", say("problem.no_location")))
    if problems:
        raise InvalidInput.of(problems)
    if not (country or province or where.max_distance_km is not None or where.mode):
        return None
    cards = [pool.profiles[p] for p in sorted(pool.profiles)]
    if province and not country and not any(c.province == province for c in cards):
        try:  # unknown in every table we keep and in the data: most likely a typo, not an empty region
            normalize_any_province(province, prefer="CN")
        except GeographyError as exc:
            raise InvalidInput.of([Problem.of("province", said_of(exc))]) from exc
    cards = [c for c in cards if (not country or c.country == country) and (not province or c.province == province)
             and (not where.mode or where.mode in c.modes)]
    if where.max_distance_km is not None:
        ids = np.fromiter((c.id for c in cards), np.int64, len(cards))
        km = great_circle_km(query.location, pool.lat[ids], pool.lon[ids])
        cards = [c for c, d in zip(cards, km, strict=True) if not np.isnan(d) and d <= where.max_distance_km]
    return cards


__all__ = ["FEATURES", "MatchFilter", "Ranked", "profile_query", "rank", "suggest", "text_query"]
