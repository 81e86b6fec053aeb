"""Turn one scored candidate into a suggestion: components, matched pairs, and plain reasons.

Reasons are told per specialty: every talent gap paired with one specialty is listed in that
specialty's reason, and capacity is counted per specialty (its graduates against the summed
headcount of all its gaps), so no specialty's graduates are counted twice. Texts come from
`matching.messages` in the reader's language.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from matching.keywords import KeywordStats
from matching.messages import ENGLISH, Wording, clauses, country, items, listing, number, percent, province, series
from matching.messages import term as _term
from matching.pool import Pool, UnitCard
from matching.profile_reasons import profile_reasons
from matching.ranking import FEATURES, Query, RankingSettings, Scored, code_agreement
from matching.results import Capacity, Component, MatchedPair, Reciprocity, SuggestionPublic, UnitRef


@dataclass
class SpecialtyGroup:
    """One specialty and the relevant pairs of every gap paired with it (most similar first)."""

    specialty: UnitRef
    pairs: list[MatchedPair] = field(default_factory=list)
    gaps: list[UnitRef] = field(default_factory=list)

    @property
    def headcount(self) -> int:
        return sum(g.amount for g in self.gaps)

    @property
    def covered(self) -> int:
        """The people of these gaps the specialty's graduates can supply: capped by both."""
        return min(self.specialty.amount, self.headcount)


def suggestion(
    pool: Pool, query: Query, scored: Scored, i: int, rank: int, config: RankingSettings, stats: KeywordStats,
    wording: Wording = ENGLISH, also: Sequence[Wording] = (),
) -> SuggestionPublic:
    """`also`: other languages whose reasons the suggestion keeps beside its own (match lists)."""
    card = pool.profiles[int(scored.profile_ids[i])]
    components = {
        f: Component(value=float(scored.values[f][i]), weight=scored.weights[f],
                     contribution=float(scored.weights[f] * scored.values[f][i]))
        for f in FEATURES
    }
    total = math.fsum(c.contribution for c in components.values())
    pairs: list[MatchedPair] = []
    for q, unit_id, sim, overlap, matched in scored.pairs(i):
        unit, other = query.units[q], pool.units[unit_id]
        agreement, inferred = _agreement(unit, other)
        gap, specialty = (unit, other) if query.is_enterprise else (other, unit)
        pairs.append(MatchedPair(query_unit=_ref(unit), candidate_unit=_ref(other), similarity=round(sim, 4),
                                 keyword_overlap=round(overlap, 4), shared_keywords=stats.shared(gap.words,
                                                                                                 specialty.words),
                                 code_agreement=agreement, code_inferred=inferred,
                                 relevant=matched))
    pairs.sort(key=lambda p: (-p.relevant, -p.similarity, p.query_unit.id, p.candidate_unit.id))
    groups = specialty_groups(query, [p for p in pairs if p.relevant])
    # Every gap is paired once (relevant or not): the headcount asked is theirs, whichever side asks.
    headcount = sum((p.query_unit if query.is_enterprise else p.candidate_unit).amount for p in pairs)
    covered = sum(g.covered for g in groups)
    capacity = Capacity(graduates_per_year=sum(g.specialty.amount for g in groups), headcount=headcount,
                        covered=covered, coverage=min(1.0, covered / headcount) if headcount else 0.0)
    distance = float(scored.distance_km[i])
    distance_km = None if math.isnan(distance) else round(distance, 1)
    reciprocity = Reciprocity(asker_view=float(scored.asker_view[i]), candidate_view=float(scored.candidate_view[i]),
                              combined=float(scored.values["reciprocity"][i]))
    out = SuggestionPublic(
        id=card.id, name=card.name, name_zh=card.name_zh, country=card.country, province=card.province,
        city=card.city, rank=rank, score=min(1.0, max(0.0, total)), components=components, matched=pairs,
        capacity=capacity, distance_km=distance_km, reciprocity=reciprocity,
        reasons=reasons(pool, query, card.id, groups, capacity, distance_km, wording) + profile_reasons(scored, i,
                                                                                                        wording),
    )
    for extra in also:
        out._reasons_by_language[extra.lang] = (reasons(pool, query, card.id, groups, capacity, distance_km, extra)
                                                + profile_reasons(scored, i, extra))
    return out


def specialty_groups(query: Query, relevant: list[MatchedPair]) -> list[SpecialtyGroup]:
    """The relevant pairs grouped by specialty, in the order of each specialty's best pair."""
    groups: dict[int, SpecialtyGroup] = {}
    for pair in relevant:
        gap, specialty = (pair.query_unit, pair.candidate_unit) if query.is_enterprise else (
            pair.candidate_unit, pair.query_unit)
        group = groups.setdefault(specialty.id, SpecialtyGroup(specialty=specialty))
        group.pairs.append(pair)
        group.gaps.append(gap)
    return list(groups.values())


def reasons(pool: Pool, query: Query, candidate_id: int, groups: list[SpecialtyGroup], capacity: Capacity,
            distance_km: float | None, wording: Wording = ENGLISH) -> list[str]:
    card = pool.profiles[candidate_id]
    out = [_specialty_reason(query, group, wording) for group in groups]
    if not groups:
        out.append(wording("reason.no_pair"))
    out.append(_where(query, card.province, card.country, distance_km, wording))
    if query.profile is not None:
        out.append(_modes(query.modes, card.modes, wording))
        enterprise, college_province = ((query.profile, card.province) if query.is_enterprise
                                        else (card, query.profile.province))
        if enterprise.preferred_provinces:
            inside = college_province in enterprise.preferred_provinces
            prefs = series(wording.lang, [province(wording.lang, p) for p in sorted(enterprise.preferred_provinces)])
            out.append(wording("provinces.inside" if inside else "provinces.outside", provinces=prefs))
    out.append(_their_view(pool, query, candidate_id, capacity, wording))
    return out


def _fit(pair: MatchedPair, wording: Wording) -> str:
    parts = [wording("fit.similarity", similarity=f"{pair.similarity:.2f}")]
    if pair.code_agreement != "none":
        sep = "" if wording.lang == "zh" else " "
        inferred = sep + wording("fit.inferred") if pair.code_inferred else ""
        parts.append(wording(f"fit.{pair.code_agreement}") + inferred)
    if pair.shared_keywords:
        parts.append(wording("fit.keywords", words=series(wording.lang, pair.shared_keywords)))
    return clauses(wording.lang, parts)


def _specialty_reason(query: Query, group: SpecialtyGroup, wording: Wording) -> str:
    lang, specialty = wording.lang, group.specialty
    name = wording.unit_name(specialty.name, specialty.codes)
    graduates, headcount = number(lang, specialty.amount), number(lang, group.headcount)
    if len(group.gaps) == 1:
        gap, pair = group.gaps[0], group.pairs[0]
        if query.is_enterprise:
            message = "reason.for_gap" if specialty.amount >= gap.amount else "reason.for_gap_partly"
            return wording(message, specialty=name, codes=wording.codes(specialty.codes), graduates=graduates,
                           headcount=headcount, gap=wording.unit_name(gap.name, gap.codes), fit=_fit(pair, wording))
        return wording("reason.from_specialty", gap=wording.unit_name(gap.name, gap.codes),
                       codes=wording.codes(gap.codes), headcount=headcount, specialty=name, graduates=graduates,
                       fit=_fit(pair, wording))
    listed = items(lang, [wording("reason.gap_item", gap=wording.unit_name(g.name, g.codes),
                                  headcount=number(lang, g.amount), fit=_fit(p, wording))
                          for g, p in zip(group.gaps, group.pairs, strict=True)])
    message = "reason.for_gaps" if query.is_enterprise else "reason.from_specialty_gaps"
    return wording(message, specialty=name, codes=wording.codes(specialty.codes), graduates=graduates,
                   headcount=headcount, count=number(lang, len(group.gaps)), gaps=listed)


def _their_view(pool: Pool, query: Query, candidate_id: int, capacity: Capacity, wording: Wording) -> str:
    lang = wording.lang
    total = sum(pool.units[u].amount for u in pool.profiles[candidate_id].units)
    share = percent(lang, capacity.covered / total) if total else percent(lang, 0.0)
    if query.is_enterprise:
        return wording("view.enterprise", covered=number(lang, capacity.covered), total=number(lang, total),
                       share=share, coverage=percent(lang, capacity.coverage),
                       headcount=number(lang, capacity.headcount))
    graduates = sum(u.amount for u in query.units)
    return wording("view.college", covered=number(lang, capacity.covered), total=number(lang, total), share=share,
                   coverage=percent(lang, capacity.covered / graduates if graduates else 0.0),
                   graduates=number(lang, graduates))


def _where(query: Query, province_name: str | None, country_code: str, distance_km: float | None,
           wording: Wording) -> str:
    lang = wording.lang
    place = province(lang, province_name) if province_name else country(lang, country_code)
    if query.profile is None:
        relation = wording("where.in", place=place)
    elif country_code != query.profile.country:
        relation = wording("where.abroad", place=place, country=country(lang, country_code))
    elif province_name and province_name == query.profile.province:
        relation = wording("where.same_province", province=place)
    else:
        relation = wording("where.other_province", place=place)
    if distance_km is None:
        return wording("distance.unknown", relation=relation)
    if distance_km < 1:
        return wording("distance.near", relation=relation)
    return wording("distance.km", km=number(lang, distance_km), relation=relation)


def _modes(asked: frozenset[str], offered: frozenset[str], wording: Wording) -> str:
    lang = wording.lang
    if not asked or not offered:
        return wording("modes.unstated")
    common = sorted(asked & offered)
    if common:
        return wording("modes.common", modes=listing(lang, [_term(lang, m) for m in common]))
    return wording("modes.none_common", asked=listing(lang, [_term(lang, m) for m in sorted(asked)]),
                   offered=listing(lang, [_term(lang, m) for m in sorted(offered)]))


def _agreement(a: UnitCard, b: UnitCard) -> tuple[str, bool]:
    """The level the catalogue feature counted, and whether it rests on an inferred code."""
    levels = [code_agreement(x, y) for x in a.match_codes for y in b.match_codes]
    inferred = not (a.codes and b.codes)
    for level in ("code", "class", "category"):
        if level in levels:
            return level, inferred
    return "none", False


def _ref(unit: UnitCard) -> UnitRef:
    return UnitRef(id=unit.id, name=unit.name, codes=list(unit.codes), inferred_codes=list(unit.inferred),
                   amount=unit.amount)
