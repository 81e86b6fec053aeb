"""A labelled evaluation set: synthetic colleges and enterprises with planted true partner pairs.

Used to measure Recall@10 and MRR of a recommender in both directions (enterprise -> colleges,
college -> enterprises). Records come in the import JSON shape of data/sample/ and reuse the
sample generator's places, names, HR phrasing and specialty descriptions (training/sample_data.py,
training/sample_vocab.py); only the planting and the noise live here.

What "true partner" means
    Every talent gap has a hidden *trade*: the first catalogue code of the job template it was
    written from, whether or not the gap lists any code. A college is a true partner of an
    enterprise when one of its specialties teaches that trade (its real catalogue code, even when
    the college left the code blank) and graduates at least the gap's headcount a year. `pairs` is
    *every* such (enterprise, college) pair in the set, not only the planted ones, so the labels
    are complete by construction and nothing outside them is a fair match by that definition.

How the pairs are planted
    The trades with job templates are split per seed into *target* trades and *reserved* ones
    (one template's codes per industry, plus one common job). Each target trade carries at most one
    group of k_e enterprises x k_c colleges, all mutually true partners (k_e, k_c in 1..4; more
    only when n_pairs outgrows the ~70 target trades), so len(pairs) == n_pairs and a query has one
    to four relevant answers, two on average. With the defaults that is about 155 true enterprises
    and 145 true colleges; the distractors come on top. Reserved trades are demand no college in
    the set meets: they fill the other gaps of true enterprises and the gaps of distractor
    enterprises. Every other specialty (a true college's unrelated ones, all of a distractor
    college's) comes from catalogue codes no job template uses, minus a few that would serve a
    target trade nearly as well (`_NEAR_TRADES`). Hence no profile is an unlabelled fair match;
    neighbouring target trades (loom fixers vs electromechanical equipment) stay hard negatives.
    `pair_units` says which gap and specialty make each pair.

Noise model (probabilities are the module constants)
    * Paraphrase: gaps are HR job posts (field + description) while specialties carry catalogue
      names and course topics, so the two sides describe one trade in different words ("Lab dip
      colourist using a spectrophotometer" vs "Digital Dyeing and Finishing Technology");
      P_PARAPHRASE of the gaps swap the field for an HR synonym ("Colour matching and dyeing
      machine operators").
    * Vague posts: P_VAGUE of the target gaps say only "workers for our new line, will train"; of
      those, P_VAGUE_FIELD also lose the job title, leaving just the firm's own description.
    * Codes: P_NO_CODES of the target gaps list no catalogue code, P_SIBLING_CODE list a different
      code of the same catalogue class (HR picked the neighbour), the rest the right code, now and
      then with the template's second code. True specialties leave their code blank with
      P_BLANK_CODE_CN (China) or P_BLANK_CODE_CA (Central Asia).
    * Common jobs: some target trades are jobs any firm posts (accountant, IT support, interpreter),
      so the firm's industry says nothing about its partner.
    * Dilution: true colleges run 3-14 unrelated specialties next to the matching one, in random
      order, and only P_SPECIALIST of them lean to the trade's industry (the rest follow their own
      place's industries); true enterprises post 0-4 extra gaps of reserved trades or untrained
      jobs (general workers, drivers).
    * Geography: a true college is in the (or one) enterprise's province with P_SAME_PROVINCE,
      across the China / Central Asia border (KZ, UZ, KG, TJ, TM <-> mostly Xinjiang) with
      P_ABROAD, otherwise in another province of the same side, favouring the provinces the
      employer recruits from and places with the trade's industry.
    * Capacity: target headcounts are capped at MAX_TARGET_HEADCOUNT and each true specialty
      graduates at least the largest headcount in its group.
    * Hard distractors: P_NEAR of the distractor colleges sit in the city (P_SAME_CITY) or province
      of a true enterprise and lean to its industry with other specialties of the same catalogue
      classes ("Silk Technology" next to a dyeing firm); P_NEAR of the distractor enterprises sit
      near a true college in the industry of its target trade, posting reserved-trade or untrained
      jobs. The rest are spread like the sample.

Output is a pure function of the arguments (seeded `random.Random`, no set iteration).
"""

import argparse
import csv
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from training import sample_data as sd
from training import sample_vocab as V

Record = dict[str, Any]
Source = tuple[V.Industry | None, V.GapTemplate]  # None: a job any firm posts (COMMON_GAPS)

P_NO_CODES = 0.55
P_SIBLING_CODE = 0.15
P_VAGUE = 0.1
P_VAGUE_FIELD = 0.4
P_PARAPHRASE = 0.35
P_BLANK_CODE_CN = 0.05
P_BLANK_CODE_CA = 0.3
P_SAME_PROVINCE = 0.3
P_ABROAD = 0.15
P_NEAR = 0.75
P_SAME_CITY = 0.6
P_SPECIALIST = 0.5
MAX_TARGET_HEADCOUNT = 150

# Codes close enough to some template's trade that their graduates would be a fair match for it
# (western vs Chinese cuisine, mapping vs engineering surveying...); no college offers them, so
# that a distractor is never an unlabelled true partner.
_NEAR_TRADES = frozenset({
    "540204", "540103", "540104", "500211", "500703", "430106", "430107", "460309", "460120",
    "460311", "440401", "530803", "530806", "530502", "530506", "410301", "410304", "410306",
    "420302", "420303", "420307", "420308",
})
# Code-less job templates that a specialty does train for; never used as untrained filler.
_TRADE_LIKE_CODELESS = frozenset({"Sewing machine operators"})

# HR synonyms for some job titles of the word lists, keyed by the template's field.
_FIELD_PARAPHRASES: dict[str, tuple[str, ...]] = {
    "Dyeing and finishing technician": ("Colour matching and dyeing machine operators", "Dyehouse staff"),
    "Lab colourist": ("Shade matcher", "Colour lab assistant"),
    "Finishing machine operator": ("Stenter operators", "Finishing workshop staff"),
    "Spinning operators": ("Yarn workshop staff", "Spinning mill operators"),
    "Loom fixer": ("Loom mechanic", "Weaving machine repairers"),
    "Textile quality inspector": ("Fabric inspection staff", "QC for grey and finished fabric"),
    "Garment pattern maker": ("Sample room technician", "Pattern cutter"),
    "Knitting machine technician": ("Circular knitting mechanic",),
    "Nonwoven line operator": ("Spunlace line staff",),
    "Electrician": ("Electrical maintenance staff", "Electrical fitter"),
    "Maintenance electrician": ("Plant electrician", "Electrical fitter"),
    "PLC programmer": ("Panel and PLC technician", "Automation programmer"),
    "CNC machinist": ("Machining centre operator", "Lathe and milling operators"),
    "Welder": ("MIG/TIG welders", "Welding workers"),
    "Industrial robot technician": ("Robot cell technician", "Robot programmer"),
    "Equipment maintenance technician": ("Plant mechanic", "Maintenance mechanic"),
    "Chemical process operator": ("Plant operators", "Shift operators for chemical units"),
    "Lab analyst": ("QC lab technician", "Analytical lab staff"),
    "Elderly caregiver": ("Nursing assistants for older people", "Care workers"),
    "Care nurse": ("Nurses",),
    "Warehouse operator": ("Pickers and packers", "Storekeepers"),
    "Warehouse keeper": ("Storekeeper", "Stores clerk"),
    "EV maintenance technician": ("EV mechanic", "Electric car repair technician"),
    "Battery pack assembly operator": ("Battery line workers",),
    "PV plant O&M technician": ("Solar farm technician", "Inverter maintenance staff"),
    "Crystal growth operator": ("Ingot puller operators",),
    "Production line operator": ("Food factory line workers", "Packing line staff"),
    "Food QA/QC technician": ("Food safety inspector", "HACCP officer"),
    "Cook": ("Chef", "Kitchen staff (hot kitchen)"),
    "Front desk agent": ("Receptionist", "Hotel front office staff"),
    "Drilling crew": ("Rig hands", "Floorhands"),
    "Agricultural machinery operator": ("Tractor and harvester drivers",),
    "Veterinary technician": ("Vet assistant",),
    "Site technician": ("Construction site assistant", "Assistant site engineer"),
    "Rolling mill operator": ("Rolling line operators",),
    "Cost accountant assistant": ("Bookkeeper",),
    "Chinese-Russian interpreter": ("Translator (Chinese/Russian)",),
    "IT support technician": ("Network administrator", "IT helpdesk"),
}
# Lower-case on purpose: sample_data treats such posts as jotted down and adds no extras.
_VAGUE_DESCRIPTIONS = (
    "workers for our new line, will train",
    "need people asap, details by phone",
    "young people willing to learn, training on the job",
    "staff for the expansion next year, more at interview",
    "several positions open, contact HR",
    "hard-working staff wanted, dormitory provided",
)
_VAGUE_FIELDS = ("Workers", "New line staff", "Technicians", "Staff for expansion", "Trainees")

_N_SPECIALTIES = {"higher_vocational": (6, 15), "secondary_vocational": (4, 9),
                  "technical_school": (4, 10), "university": (8, 15)}
_N_FILLERS = {"micro": (0, 1), "small": (0, 2), "medium": (0, 3), "large": (1, 4)}
_N_DISTRACTOR_GAPS = {"micro": (1, 2), "small": (1, 3), "medium": (1, 3), "large": (2, 4)}


@dataclass
class LabelledSet:
    colleges: list[Record]
    enterprises: list[Record]
    pairs: list[tuple[int, int]]  # (enterprise index, college index), sorted
    # Per pair, (talent gap index, specialty index) that make it: for unit-level evaluation.
    pair_units: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class _Draft:
    """A record plus what the evaluator must not see: each unit's trade and capacity."""

    record: Record
    units: list[tuple[str | None, int]]  # (trade code or None, headcount / annual graduates)
    place: sd.Place
    industry: str | None  # industry key the profile is about, for placing distractors


@dataclass
class _Context:
    rng: random.Random
    names: dict[str, str]
    reserved: frozenset[str]
    used_colleges: set[str] = field(default_factory=set)
    used_enterprises: set[str] = field(default_factory=set)
    numbered: dict[str, int] = field(default_factory=dict)
    plants: list[int] = field(default_factory=lambda: [0])


# --- vocabulary views ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _trade_sources() -> dict[str, tuple[Source, ...]]:
    """Trade code -> the job templates whose first code it is, in vocabulary order."""
    out: dict[str, list[Source]] = {}
    for ind in V.INDUSTRIES:
        for t in ind.gaps:
            if t.codes:
                out.setdefault(t.codes[0], []).append((ind, t))
    for t in V.COMMON_GAPS:
        if t.codes:
            out.setdefault(t.codes[0], []).append((None, t))
    return {code: tuple(sources) for code, sources in sorted(out.items())}


@lru_cache(maxsize=1)
def _template_codes() -> frozenset[str]:
    templates = [t for ind in V.INDUSTRIES for t in ind.gaps] + list(V.COMMON_GAPS)
    return frozenset(c for t in templates for c in t.codes)


@lru_cache(maxsize=1)
def _college_pools() -> dict[str, tuple[str, ...]]:
    """Industry key (or sd.GENERAL) -> codes a college may offer besides a target trade.

    An industry's own non-template codes come first (most common first, as in the vocabulary),
    then the other codes of the catalogue classes it is built on: the same-industry, other-trade
    specialties that make distractors hard.
    """
    names = sd.catalogue()
    banned = _template_codes() | _NEAR_TRADES
    out: dict[str, tuple[str, ...]] = {}
    for ind in V.INDUSTRIES:
        per_class: dict[str, int] = {}
        for c in ind.college_codes:
            per_class[c[:4]] = per_class.get(c[:4], 0) + 1
        classes = {k for k, n in per_class.items() if n >= 2}  # one stray code is not a field
        own = [c for c in ind.college_codes if c not in banned]
        siblings = [c for c in names if c[:4] in classes and c not in banned and c not in own]
        out[ind.key] = (*own, *siblings)
    general = (*V.GENERAL_CODES, V.RUSSIAN, V.CHINESE)
    out[sd.GENERAL] = tuple(c for c in general if c not in banned)
    return out


@lru_cache(maxsize=1)
def _class_members() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for code in sd.catalogue():
        out.setdefault(code[:4], []).append(code)
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=1)
def _code_industry() -> dict[str, str]:
    """Code -> the first industry that trains for it, for workshop and role wording."""
    out: dict[str, str] = {}
    for ind in V.INDUSTRIES:
        for c in ind.college_codes:
            out.setdefault(c, ind.key)
    for code, sources in _trade_sources().items():
        for source, _t in sources:
            if source is not None:
                out.setdefault(code, source.key)
    return out


@lru_cache(maxsize=1)
def _all_places() -> tuple[sd.Place, ...]:
    return tuple(pl for cities in sd._places() for pl in cities)


def _base_weight(place: sd.Place) -> float:
    """A place's share of profiles, as in the sample: province weight split over its cities."""
    total = sum(c.weight for c in place.province.cities)
    return place.province.weight * place.city.weight / total


def _pick_place(rng: random.Random, weight: Callable[[sd.Place], float],
                places: Sequence[sd.Place] | None = None) -> sd.Place:
    pool = list(places if places is not None else _all_places())
    weights = [weight(pl) for pl in pool]
    if not any(w > 0 for w in weights):
        weights = [_base_weight(pl) for pl in pool]
    return sd._pick(rng, pool, weights)


# --- planting ------------------------------------------------------------------------------------


def _split_trades(rng: random.Random) -> tuple[list[str], frozenset[str]]:
    """(target trades in planting order, reserved codes): one template's codes per industry and
    one common job are kept as demand no college meets."""
    reserved: list[str] = []
    for ind in V.INDUSTRIES:
        t = rng.choice([t for t in ind.gaps if t.codes])
        reserved += [c for c in t.codes if c not in reserved]
    t = rng.choice([t for t in V.COMMON_GAPS if t.codes])
    reserved += [c for c in t.codes if c not in reserved]
    targets = [c for c in _trade_sources() if c not in reserved]
    rng.shuffle(targets)
    return targets, frozenset(reserved)


def _group_shapes(rng: random.Random, n_pairs: int, n_trades: int) -> list[tuple[int, int]]:
    """(enterprises, colleges) per target trade, with sum of products == n_pairs.

    Groups stay small (about two answers per query) unless n_pairs forces bigger ones; the
    wanted group size is recomputed as trades run out so the last one always fits exactly.
    """
    shapes: list[tuple[int, int]] = []
    left = n_pairs
    while left > 0:
        remaining = n_trades - len(shapes)
        if remaining < 1:
            raise ValueError(f"cannot plant {n_pairs} pairs over {n_trades} trades")
        if remaining == 1:
            a = max(d for d in range(1, math.isqrt(left) + 1) if left % d == 0)
            shape = (a, left // a) if rng.random() < 0.5 else (left // a, a)
        else:
            want = max(2.0, left / max(1, remaining - 3))
            top = max(3, math.isqrt(math.ceil(want)) + 2)
            cands = [(a, b) for a in range(1, top + 1) for b in range(1, top + 1) if a * b <= left]
            weights = [math.exp(-abs(a * b - want)) * (1.0 if abs(a - b) <= 1 else 0.5)
                       for a, b in cands]
            shape = sd._pick(rng, cands, weights)
        shapes.append(shape)
        left -= shape[0] * shape[1]
    return shapes


def _setting_ok(place: sd.Place, only: Sequence[str]) -> bool:
    """Whether a common job's setting tags (CN, CA, BORDER) allow this place."""
    setting = ["CN"] if place.cn else ["CA"]
    if place.province.name in sd.RUSSIAN_NEAR or not place.cn:
        setting.append("BORDER")
    return sd._fits(only, setting)


def _fillers(ctx: _Context, ind: V.Industry, act: V.Activity, place: sd.Place,
             chinese_abroad: bool) -> tuple[list[V.GapTemplate], list[float]]:
    """Jobs no college in the set trains for that this firm could post, with draw weights."""
    def ok(t: V.GapTemplate) -> bool:
        if not t.codes:
            return t.field not in _TRADE_LIKE_CODELESS
        return all(c in ctx.reserved for c in t.codes)

    own = [t for t in ind.gaps if sd._fits(t.only, act.tags) and ok(t)]
    setting = ["CN"] if place.cn else ["CA"]
    if place.province.name in sd.RUSSIAN_NEAR or chinese_abroad:
        setting.append("BORDER")
    common = [t for t in V.COMMON_GAPS if sd._fits(t.only, setting) and ok(t)]
    return own + common, [1.0] * len(own) + [0.3] * len(common)


def _noisy_gap(rng: random.Random, gap: Record, t: V.GapTemplate, trade: str) -> Record:
    if rng.random() < P_VAGUE:
        gap["description"] = rng.choice(_VAGUE_DESCRIPTIONS)
        if rng.random() < P_VAGUE_FIELD:
            gap["field"] = rng.choice(_VAGUE_FIELDS)
    elif t.field in _FIELD_PARAPHRASES and rng.random() < P_PARAPHRASE:
        gap["field"] = rng.choice(_FIELD_PARAPHRASES[t.field])
    r = rng.random()
    siblings = [c for c in _class_members()[trade[:4]] if c != trade]
    if r < P_NO_CODES:
        gap["codes"] = []
    elif r < P_NO_CODES + P_SIBLING_CODE and siblings:
        gap["codes"] = [rng.choice(siblings)]
    else:
        extra = [c for c in t.codes if c != trade]
        gap["codes"] = [trade] + ([rng.choice(extra)] if extra and rng.random() < 0.25 else [])
    gap["headcount"] = min(gap["headcount"], MAX_TARGET_HEADCOUNT)
    return gap


def _enterprise(ctx: _Context, place: sd.Place, ind: V.Industry, act: V.Activity,
                target: tuple[V.GapTemplate, str] | None) -> _Draft:
    rng = ctx.rng
    size = sd._size(rng, ind)
    name, name_zh, abroad = sd._enterprise_name(rng, place, ind, act, size, ctx.used_enterprises,
                                                ctx.plants)
    units: list[tuple[Record, str | None]] = []
    if target is not None:
        t, trade = target
        units.append((_noisy_gap(rng, sd._gap(rng, t, place, size, abroad), t, trade), trade))
    pool, weights = _fillers(ctx, ind, act, place, abroad)
    lo, hi = (_N_FILLERS if target is not None else _N_DISTRACTOR_GAPS)[size]
    for t in sd._pick_distinct(rng, pool, weights, rng.randint(lo, hi)):
        units.append((sd._gap(rng, t, place, size, abroad), t.codes[0] if t.codes else None))
    rng.shuffle(units)
    record = sd._enterprise_record(rng, name, name_zh, ind, act, place, size, abroad,
                                   lambda: [gap for gap, _ in units])
    return _Draft(record, [(trade, gap["headcount"]) for gap, trade in units], place, ind.key)


def _true_enterprise(ctx: _Context, trade: str) -> _Draft:
    rng = ctx.rng
    ind, t = rng.choice(_trade_sources()[trade])
    if ind is None:
        # A job any firm posts: the firm's industry follows its place, not the job.
        place = _pick_place(rng, lambda pl: _base_weight(pl) * _setting_ok(pl, t.only))
        ind = sd._pick_industry(rng, place)
        act = rng.choice(ind.activities)
    else:
        key = ind.key
        place = _pick_place(rng, lambda pl: _base_weight(pl) * pl.industries.get(key, 0.0))
        act = rng.choice([a for a in ind.activities if sd._fits(t.only, a.tags)])
    return _enterprise(ctx, place, ind, act, (t, trade))


def _distractor_enterprise(ctx: _Context, anchors: Sequence[_Draft]) -> _Draft:
    rng = ctx.rng
    industry: str | None = None
    if anchors and rng.random() < P_NEAR:
        anchor = rng.choice(anchors)
        place = _near(rng, anchor.place)
        industry = anchor.industry
    else:
        place = _pick_place(rng, _base_weight)
    ind = sd._INDUSTRY[industry] if industry else sd._pick_industry(rng, place)
    for _ in range(20):
        acts = [a for a in ind.activities if _fillers(ctx, ind, a, place, False)[0]]
        if acts:
            return _enterprise(ctx, place, ind, rng.choice(acts), None)
        ind = sd._pick_industry(rng, place)
    raise RuntimeError(f"no untrained or reserved job fits any industry of {place.where()}")


def _near(rng: random.Random, anchor: sd.Place) -> sd.Place:
    """The anchor's city, or another city of its province."""
    if rng.random() < P_SAME_CITY or len(anchor.province.cities) == 1:
        return anchor
    places = [pl for pl in _all_places() if pl.province is anchor.province and pl.city != anchor.city]
    return _pick_place(rng, _base_weight, places)


def _partner_place(rng: random.Random, anchor: sd.Place, industry: str | None) -> sd.Place:
    """Where a true college of an enterprise at `anchor` is: often elsewhere, sometimes abroad."""
    r = rng.random()
    places = _all_places()
    if r < P_SAME_PROVINCE:
        pool = [pl for pl in places if pl.province is anchor.province]
    elif r < P_SAME_PROVINCE + P_ABROAD:
        pool = [pl for pl in places if pl.cn != anchor.cn]
    else:
        pool = [pl for pl in places if pl.cn == anchor.cn and pl.province is not anchor.province]
    sources = anchor.province.sources

    def weight(pl: sd.Place) -> float:
        # Squared like the sample's college themes: a petroleum specialty rarely sits where
        # there is no oil, but a comprehensive college elsewhere may still run one.
        fit = (0.3 + (pl.industries.get(industry, 0.0) if industry else 1.0)) ** 2
        return _base_weight(pl) * fit * (4.0 if pl.province.name in sources else 1.0)

    return _pick_place(rng, weight, pool)


# --- colleges ------------------------------------------------------------------------------------


def _specialty_description(rng: random.Random, code: str, key: str | None, place: sd.Place,
                           kind: str, names: dict[str, str]) -> str:
    ind = sd._INDUSTRY.get(key) if key else None
    if code in V.FOCUS or ind is None:
        return sd._specialty_description(rng, code, ind, place, kind)
    # No topics in the word lists: describe it by its catalogue name, as thin listings do.
    topic = names[code].lower()
    return rng.choice((
        f"Core courses in {topic}; practical training in the {ind.workshop}.",
        f"Covers the fundamentals of {topic}, with a placement in the final year.",
        f"Programme in {topic}; graduates work as technicians in {place.province.name}.",
    ))


def _specialty(ctx: _Context, code: str, key: str | None, place: sd.Place, kind: str,
               graduates: int) -> Record:
    rng = ctx.rng
    name = ctx.names[code]
    if code in V.DIRECTIONS and rng.random() < 0.12:
        name = f"{name} ({rng.choice(V.DIRECTIONS[code])})"
    blank = rng.random() < (P_BLANK_CODE_CN if place.cn else P_BLANK_CODE_CA)
    return {
        "name": name,
        "code": None if blank else code,
        "description": _specialty_description(rng, code, key, place, kind, ctx.names),
        "annual_graduates": graduates,
    }


def _other_codes(rng: random.Random, place: sd.Place, leans: Sequence[str], lean: str | None,
                 n: int, skip: str | None) -> list[tuple[str, str]]:
    """n (code, industry key) pairs from the non-target pools, weighted by the place's
    industries like the sample, with a strong pull to `lean` for same-industry distractors."""
    pools = _college_pools()
    keys = [k for k in place.industries if pools.get(k)]
    if lean and lean not in keys and pools.get(lean):
        keys.append(lean)
    total = sum(place.industries.values())
    weights = [place.industries.get(k, 0.0) * (5.0 if k in leans else 1.0) for k in keys]
    if lean is not None and lean in keys:
        weights[keys.index(lean)] += 2.0 * total
    keys.append(sd.GENERAL)
    weights.append(0.12 * total)
    chosen: dict[str, str] = {}
    for _ in range(n * 20):
        if len(chosen) >= n:
            break
        key = sd._pick(rng, keys, weights)
        pool = [c for c in pools[key] if c != skip]
        code = sd._pick(rng, pool, [1.0 / (1.0 + 0.35 * i) for i in range(len(pool))])
        chosen.setdefault(code, key)
    return list(chosen.items())


def _college(ctx: _Context, place: sd.Place, lean: str | None,
             target: tuple[str, int] | None) -> _Draft:
    """A college near `place`'s industries; `target` = (trade, minimum graduates) to plant."""
    rng = ctx.rng
    # A distractor is pulled to `lean` throughout. A true college is a specialist of its trade's
    # industry only with P_SPECIALIST; otherwise its other specialties follow its place, so its
    # profile does not give the trade away.
    pull = lean if target is None or rng.random() < P_SPECIALIST else None
    name_zh: str | None = None
    if place.cn:
        kind = sd._pick(rng, sd.KINDS, (64, 17, 15, 4))
        theme_w = [sd._fit_weight(place, th[2]) * (2.0 if lean is not None and lean in th[2] else 1.0)
                   for th in V.THEMES]
        theme = sd._pick(rng, V.THEMES, theme_w)
        name, name_zh, named = sd._college_name(rng, place, kind, theme, V.THEMES, theme_w,
                                                ctx.used_colleges, ctx.numbered)
        own = (pull,) if pull else tuple(sd._lead_industries(place)[:1])
        leans: tuple[str, ...] = named[2] if named else own
    else:
        name, kind, leans = sd._ca_college_name(rng, place, ctx.used_colleges, ctx.numbered)
    lo, hi = _N_SPECIALTIES[kind]
    n_other = rng.randint(lo, hi) - (1 if target else 0)
    skip = target[0] if target else None
    units: list[tuple[Record, str | None]] = [
        (_specialty(ctx, code, key if key != sd.GENERAL else None, place, kind, sd._graduates(rng, kind)), code)
        for code, key in _other_codes(rng, place, leans, pull, n_other, skip)]
    if target is not None:
        trade, minimum = target
        graduates = max(sd._graduates(rng, kind), minimum + rng.randint(0, 25))
        spec = _specialty(ctx, trade, _code_industry().get(trade), place, kind, graduates)
        units.insert(rng.randint(0, len(units)), (spec, trade))
    specialties = [s for s, _ in units]
    lead = sd._lead_industries(place)
    sectors = list(dict.fromkeys(sd._INDUSTRY[k].sector for k in (*leans, *lead) if k in sd._INDUSTRY))
    record = {
        "name": name,
        "name_zh": name_zh,
        "kind": kind,
        "country": place.province.country,
        "province": place.province.name,
        "city": place.city.name,
        "location": None,
        "description": sd._college_description(rng, place, kind, specialties, sectors, (*leans, *lead)[0]),
        "specialties": specialties,
        "cooperation_modes": sd._college_modes(rng, kind, place.cn),
    }
    return _Draft(record, [(code, s["annual_graduates"]) for s, code in units], place, lean)


def _distractor_college(ctx: _Context, anchors: Sequence[_Draft]) -> _Draft:
    rng = ctx.rng
    if anchors and rng.random() < P_NEAR:
        anchor = rng.choice(anchors)
        return _college(ctx, _near(rng, anchor.place), anchor.industry, None)
    return _college(ctx, _pick_place(rng, _base_weight), None, None)


# --- assembly ------------------------------------------------------------------------------------


def _label(enterprises: Sequence[_Draft], colleges: Sequence[_Draft]) -> list[tuple[int, int, int, int]]:
    """Every (enterprise, college, gap, specialty) where the specialty teaches the gap's trade
    and graduates enough: the definition of a true pair, applied to the whole set."""
    offered: dict[str, list[tuple[int, int, int]]] = {}
    for c, college in enumerate(colleges):
        for s, (trade, graduates) in enumerate(college.units):
            if trade is not None:
                offered.setdefault(trade, []).append((c, s, graduates))
    found: dict[tuple[int, int], tuple[int, int]] = {}
    for e, enterprise in enumerate(enterprises):
        for g, (trade, headcount) in enumerate(enterprise.units):
            for c, s, graduates in offered.get(trade or "", []):
                if graduates >= headcount:
                    found.setdefault((e, c), (g, s))
    return sorted((e, c, g, s) for (e, c), (g, s) in found.items())


def generate_labelled(n_pairs: int = 300, n_distractor_colleges: int = 200,
                      n_distractor_enterprises: int = 300, seed: int = 7) -> LabelledSet:
    """Colleges, enterprises and their true pairs; a pure function of the arguments."""
    if n_pairs < 1 or n_distractor_colleges < 0 or n_distractor_enterprises < 0:
        raise ValueError("need n_pairs >= 1 and non-negative distractor counts")
    sd.check_vocab()
    rng = random.Random(f"labelled/{seed}")
    targets, reserved = _split_trades(rng)
    ctx = _Context(rng, sd.catalogue(), reserved)
    true_e: list[_Draft] = []
    true_c: list[_Draft] = []
    for trade, (k_e, k_c) in zip(targets, _group_shapes(rng, n_pairs, len(targets)), strict=False):
        group = [_true_enterprise(ctx, trade) for _ in range(k_e)]
        need = max(h for d in group for t, h in d.units if t == trade)
        for _ in range(k_c):
            anchor = rng.choice(group)
            place = _partner_place(rng, anchor.place, _code_industry().get(trade))
            true_c.append(_college(ctx, place, _code_industry().get(trade), (trade, need)))
        true_e += group
    colleges = true_c + [_distractor_college(ctx, true_e) for _ in range(n_distractor_colleges)]
    enterprises = true_e + [_distractor_enterprise(ctx, true_c) for _ in range(n_distractor_enterprises)]
    # Interleave planted and distractor profiles so that an index says nothing.
    rng.shuffle(colleges)
    rng.shuffle(enterprises)
    labels = _label(enterprises, colleges)
    if len(labels) != n_pairs:
        raise AssertionError(f"planted {n_pairs} pairs but the set holds {len(labels)}")
    return LabelledSet(
        colleges=[d.record for d in colleges],
        enterprises=[d.record for d in enterprises],
        pairs=[(e, c) for e, c, _, _ in labels],
        pair_units=[(g, s) for _, _, g, s in labels],
    )


def relevant_for_enterprise(labelled: LabelledSet) -> dict[int, set[int]]:
    """Enterprise index -> indices of its true colleges (only enterprises with any)."""
    out: dict[int, set[int]] = {}
    for e, c in labelled.pairs:
        out.setdefault(e, set()).add(c)
    return out


def relevant_for_college(labelled: LabelledSet) -> dict[int, set[int]]:
    """College index -> indices of its true enterprises (only colleges with any)."""
    out: dict[int, set[int]] = {}
    for e, c in labelled.pairs:
        out.setdefault(c, set()).add(e)
    return out


def write_labelled(path_dir: Path | str, labelled: LabelledSet | None = None) -> LabelledSet:
    """Write colleges.jsonl, enterprises.jsonl and pairs.csv (default set unless one is given).

    Not committed anywhere: evaluations regenerate the set from the seed.
    """
    labelled = labelled if labelled is not None else generate_labelled()
    directory = Path(path_dir)
    directory.mkdir(parents=True, exist_ok=True)
    for file, records in (("colleges.jsonl", labelled.colleges), ("enterprises.jsonl", labelled.enterprises)):
        (directory / file).write_text(sd.to_jsonl(records), encoding="utf-8", newline="\n")
    with (directory / "pairs.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(("enterprise_index", "college_index"))
        writer.writerows(labelled.pairs)
    return labelled


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the labelled evaluation set.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--distractor-colleges", type=int, default=200)
    parser.add_argument("--distractor-enterprises", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    labelled = write_labelled(args.out, generate_labelled(args.pairs, args.distractor_colleges,
                                                          args.distractor_enterprises, args.seed))
    print(f"wrote {len(labelled.colleges)} colleges, {len(labelled.enterprises)} enterprises and "
          f"{len(labelled.pairs)} pairs to {args.out}")


if __name__ == "__main__":
    main()
