"""Turn one scored candidate into a suggestion: components, matched pairs, and plain reasons."""

import math

from matching.keywords import KeywordStats
from matching.pool import Pool, UnitCard
from matching.profile_reasons import profile_reasons
from matching.ranking import FEATURES, Query, RankingSettings, Scored, code_agreement
from matching.results import Capacity, Component, MatchedPair, Reciprocity, SuggestionPublic, UnitRef

MODE_NAMES = {
    "order_class": "order-based classes", "internship": "internships", "apprenticeship": "apprenticeships",
    "training_base": "training bases", "teacher_training": "teacher placements",
    "joint_research": "joint research", "short_course": "short courses", "employment": "graduate recruitment",
}


def suggestion(
    pool: Pool, query: Query, scored: Scored, i: int, rank: int, config: RankingSettings, stats: KeywordStats
) -> SuggestionPublic:
    card = pool.profiles[int(scored.profile_ids[i])]
    components = {
        f: Component(value=float(scored.values[f][i]), weight=scored.weights[f],
                     contribution=float(scored.weights[f] * scored.values[f][i]))
        for f in FEATURES
    }
    total = math.fsum(c.contribution for c in components.values())
    pairs: list[MatchedPair] = []
    for q, unit_id, sim, overlap in scored.pairs(i):
        unit, other = query.units[q], pool.units[unit_id]
        gap, specialty = (unit, other) if query.is_enterprise else (other, unit)
        pairs.append(MatchedPair(query_unit=_ref(unit), candidate_unit=_ref(other), similarity=round(sim, 4),
                                 keyword_overlap=round(overlap, 4), shared_keywords=stats.shared(gap.words,
                                                                                                 specialty.words),
                                 code_agreement=_agreement(unit, other), relevant=sim >= config.min_similarity))
    pairs.sort(key=lambda p: (-p.relevant, -p.similarity, p.query_unit.id, p.candidate_unit.id))
    relevant = [p for p in pairs if p.relevant]
    if query.is_enterprise:
        graduates = sum({p.candidate_unit.id: p.candidate_unit.amount for p in relevant}.values())
        headcount = sum(u.amount for u in query.units)
    else:
        graduates = sum({p.query_unit.id: p.query_unit.amount for p in relevant}.values())
        headcount = sum({p.candidate_unit.id: p.candidate_unit.amount for p in relevant}.values())
    distance = float(scored.distance_km[i])
    distance_km = None if math.isnan(distance) else round(distance, 1)
    reciprocity = Reciprocity(asker_view=float(scored.asker_view[i]), candidate_view=float(scored.candidate_view[i]),
                              combined=float(scored.values["reciprocity"][i]))
    return SuggestionPublic(
        id=card.id, name=card.name, name_zh=card.name_zh, country=card.country, province=card.province,
        city=card.city, rank=rank, score=min(1.0, max(0.0, total)), components=components, matched=pairs,
        capacity=Capacity(graduates_per_year=graduates, headcount=headcount,
                          coverage=min(1.0, graduates / headcount) if headcount else 0.0),
        distance_km=distance_km, reciprocity=reciprocity,
        reasons=reasons(pool, query, card.id, relevant, distance_km, reciprocity) + profile_reasons(scored, i),
    )


def reasons(pool: Pool, query: Query, candidate_id: int, relevant: list[MatchedPair], distance_km: float | None,
            reciprocity: Reciprocity) -> list[str]:
    card = pool.profiles[candidate_id]
    out: list[str] = []
    for pair in relevant:
        mine, theirs = pair.query_unit, pair.candidate_unit
        code = f" ({', '.join(theirs.codes)})" if theirs.codes else ""
        fit = f"similarity {pair.similarity:.2f}" + (f", same catalogue {pair.code_agreement}"
                                                      if pair.code_agreement != "none" else "")
        if pair.shared_keywords:
            fit += f", shared keywords: {', '.join(pair.shared_keywords)}"
        if query.is_enterprise:
            out.append(f"{theirs.name}{code}: {theirs.amount:,} graduates a year for your {mine.amount:,} "
                       f"{mine.name} ({fit})")
        else:
            out.append(f"{theirs.name}{code}: {theirs.amount:,} wanted, for your {mine.name} with "
                       f"{mine.amount:,} graduates a year ({fit})")
    if not relevant:
        out.append("No unit pair reaches the similarity threshold")
    out.append(_where(query, card.province, card.country, distance_km))
    if query.profile is not None:
        out.append(_modes(query.modes, card.modes))
        enterprise, college_province = ((query.profile, card.province) if query.is_enterprise
                                        else (card, query.profile.province))
        if enterprise.preferred_provinces:
            inside = college_province in enterprise.preferred_provinces
            prefs = ", ".join(sorted(enterprise.preferred_provinces))
            out.append(f"{'Inside' if inside else 'Outside'} the enterprise's preferred provinces ({prefs})")
    out.append(_their_view(pool, query, candidate_id, relevant, reciprocity))
    return out


def _their_view(pool: Pool, query: Query, candidate_id: int, relevant: list[MatchedPair],
                reciprocity: Reciprocity) -> str:
    units = [pool.units[u] for u in pool.profiles[candidate_id].units]
    total = sum(u.amount for u in units)
    asked = {p.candidate_unit.id: min(p.candidate_unit.amount, p.query_unit.amount) for p in relevant}
    used = sum(asked.values())
    share = f"{used / total:.0%}" if total else "0%"
    if query.is_enterprise:
        return (f"Their view: your gaps would take about {used:,} of their {total:,} graduates a year ({share}); "
                f"your view: they cover {reciprocity.asker_view:.0%} of what you ask")
    return (f"Their view: you could fill about {used:,} of their {total:,} open positions ({share}); "
            f"your view: they take {reciprocity.asker_view:.0%} of your graduates")


def _where(query: Query, province: str | None, country: str, distance_km: float | None) -> str:
    place = province or country
    if query.profile is None:
        relation = f"in {place}"
    elif country != query.profile.country:
        relation = f"in another country ({place}, {country})"
    elif province and province == query.profile.province:
        relation = f"in the same province ({province})"
    else:
        relation = f"in another province ({place})"
    if distance_km is None:
        return f"Distance unknown, {relation}"
    if distance_km < 1:
        return f"Less than 1 km away, {relation}"
    return f"{distance_km:,.0f} km away, {relation}"


def _modes(asked: frozenset[str], offered: frozenset[str]) -> str:
    if not asked or not offered:
        return "Cooperation modes not stated by both sides"
    common = sorted(asked & offered)
    if common:
        return f"Both list {_join([MODE_NAMES.get(m, m) for m in common])}"
    return (f"No cooperation mode in common (you list {_join([MODE_NAMES.get(m, m) for m in sorted(asked)])}; "
            f"they list {_join([MODE_NAMES.get(m, m) for m in sorted(offered)])})")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _agreement(a: UnitCard, b: UnitCard) -> str:
    levels = [code_agreement(x, y) for x in a.codes for y in b.codes]
    for level in ("code", "class", "category"):
        if level in levels:
            return level
    return "none"


def _ref(unit: UnitCard) -> UnitRef:
    return UnitRef(id=unit.id, name=unit.name, codes=list(unit.codes), amount=unit.amount)
