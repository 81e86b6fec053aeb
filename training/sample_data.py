"""Synthetic colleges and enterprises: the bundled sample (data/sample/) and benchmark fixtures.

The sample is the first thing a new user sees, so it is shaped like the pilot's real data rather
than like random text: weighted towards Xinjiang, Inner Mongolia, the eastern textile and
manufacturing provinces and Central Asia; specialties that fit a place's industries and carry real
catalogue codes; talent gaps phrased the way HR writes them, including the vague ones and the ones
without codes, because the matcher has to cope with those too. Every organisation is fictional.

Output is a pure function of the arguments (seeded `random.Random`, no hash-order dependence), and
the committed files are exactly `generate()` with defaults; tests hold both, so regenerate with
`python -m training.sample_data` after changing anything here or in `sample_vocab`.
Work is linear in the counts: benchmarks call it with tens of thousands of enterprises.
"""

import argparse
import json
import math
import random
from collections.abc import Callable, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from matching.taxonomy import Catalogue
from training import sample_languages
from training import sample_vocab as V

SEED = 20261121
N_COLLEGES = 220
N_ENTERPRISES = 440

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "data" / "sample"
CATALOGUE_PATH = ROOT / "data" / "catalogue" / "vocational_specialties_2021.csv"

# Canonical vocabulary order, so list fields come out in a stable, readable order.
MODES = ("order_class", "internship", "apprenticeship", "training_base", "teacher_training",
         "joint_research", "short_course", "employment")
KINDS = ("higher_vocational", "secondary_vocational", "technical_school", "university")
SIZES = ("micro", "small", "medium", "large")

GENERAL = "GEN"  # pseudo-industry for college-wide specialties (IT, accounting, trade)
HEAVY = (V.CHEM, V.OIL, V.METAL, V.NEV, V.PV)  # capital-intensive: fewer micro firms
LIGHT = (V.CARE, V.HOSP, V.AGRI, V.LOG)  # many small operators
TECH_SUFFIX_OK = (V.DYE, V.CHEM, V.IM, V.EA, V.NEV, V.PV, V.OIL, V.AGRI, V.LOG, V.METAL)
FACTORY_OK = (V.TEX, V.DYE, V.IM, V.EA, V.FOOD, V.CHEM)
RUSSIAN_NEAR = ("Xinjiang", "Inner Mongolia")

T = TypeVar("T")
Record = dict[str, Any]
Theme = tuple[str, str, tuple[str, ...]]


@lru_cache(maxsize=1)
def catalogue() -> dict[str, str]:
    """Catalogue code -> English name; fails if a code in the word lists is not in it."""
    entries = Catalogue.load(CATALOGUE_PATH)
    names = {code: entry.name_en for code in entries.codes() if (entry := entries.get(code))}
    missing = sorted(c for c in _vocab_codes() if c not in names)
    if missing:
        raise ValueError(f"sample_vocab uses codes missing from {CATALOGUE_PATH}: {missing}")
    return names


def check_vocab() -> None:
    """Every activity must find a company noun and at least one talent gap that fit it."""
    for ind in V.INDUSTRIES:
        for act in ind.activities:
            if not any(_fits(n[2].split(), act.tags) for n in ind.nouns):
                raise ValueError(f"{ind.name}: no company noun fits {act.text!r}")
            if not any(_fits(g.only, act.tags) for g in ind.gaps):
                raise ValueError(f"{ind.name}: no talent gap fits {act.text!r}")


def _vocab_codes() -> list[str]:
    codes = [*V.GENERAL_CODES, V.RUSSIAN, V.CHINESE, *V.FOCUS, *V.DIRECTIONS]
    for ind in V.INDUSTRIES:
        codes += ind.college_codes
        for g in ind.gaps:
            codes += g.codes
    for g in V.COMMON_GAPS:
        codes += g.codes
    return codes


# --- small seeded helpers ----------------------------------------------------------------------


def _pick(rng: random.Random, items: Sequence[T], weights: Sequence[float]) -> T:
    return rng.choices(items, weights=weights)[0]


def _pick_distinct(rng: random.Random, items: Sequence[T], weights: Sequence[float],
                   k: int) -> list[T]:
    """k distinct items, weighted, without replacement (lists here are short)."""
    pool, w = list(items), list(weights)
    out: list[T] = []
    while pool and len(out) < k:
        i = rng.choices(range(len(pool)), weights=w)[0]
        out.append(pool.pop(i))
        w.pop(i)
    return out


def _log_uniform(rng: random.Random, lo: int, hi: int) -> int:
    """Round figure, skewed to the low end as firm sizes are."""
    x = int(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    step = int(10 ** max(len(str(x)) - 2, 0))
    return max(lo, round(x / step) * step)


def _round_number(rng: random.Random, lo: int, hi: int) -> int:
    """A figure as companies quote it: two significant digits."""
    x = rng.randint(lo, hi)
    step = int(10 ** max(len(str(x)) - 2, 0))
    return max(step, round(x / step) * step)


def _fmt(n: int) -> str:
    return f"{n:,}"


def _quota(weights: Sequence[float], n: int) -> list[int]:
    """Largest-remainder allocation, so each region's share holds even for small samples."""
    total = sum(weights)
    raw = [w * n / total for w in weights]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _zh_number(k: int) -> str:
    digits = "零一二三四五六七八九"
    if k >= 100:
        return str(k)  # schools numbered past 99 write the number in digits
    if k < 10:
        return digits[k]
    tens, ones = divmod(k, 10)
    return (digits[tens] if tens > 1 else "") + "十" + (digits[ones] if ones else "")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _join(items: Sequence[str]) -> str:
    """'a and b', or 'a and b as well as c and d' when the items have their own 'and'."""
    if len(items) < 2:
        return "".join(items)
    glue = " as well as " if any(" and " in i for i in items) else " and "
    return ", ".join(items[:-1]) + glue + items[-1]


def _an(word: str) -> str:
    return "an" if word[:1].lower() in "aeio" else "a"


def _fits(tags: Sequence[str], wanted: Sequence[str]) -> bool:
    """An item with no tags fits anything; otherwise it needs one tag in common."""
    return not tags or any(t in wanted for t in tags)


# --- places --------------------------------------------------------------------------------------


class Place(NamedTuple):
    province: V.Province
    city: V.City
    industries: dict[str, float]  # province weights times the city's boosts

    @property
    def cn(self) -> bool:
        return self.province.country == "CN"

    def where(self) -> str:
        """'Korla, Xinjiang' / 'Tianjin' / 'Chirchiq, Tashkent Region, Uzbekistan'."""
        p, c = self.province, self.city
        parts = [c.name] + ([p.name] if p.name != c.name else [])
        if not self.cn:
            parts.append(V.COUNTRY_NAMES[p.country])
        return ", ".join(parts)


@lru_cache(maxsize=1)
def _places() -> tuple[tuple[Place, ...], ...]:
    """Per province, its cities with their industry mix."""
    out = []
    for prov in V.PROVINCES:
        out.append(tuple(
            Place(prov, city, {k: w * city.boost.get(k, 1.0) for k, w in prov.industries.items()})
            for city in prov.cities))
    return tuple(out)


def _assign_places(rng: random.Random, n: int) -> list[Place]:
    """n places: province counts by quota, cities weighted within the province, order shuffled."""
    places = _places()
    counts = _quota([p.weight for p in V.PROVINCES], n)
    out: list[Place] = []
    for cities, k in zip(places, counts, strict=True):
        weights = [pl.city.weight for pl in cities]
        out += rng.choices(cities, weights=weights, k=k)
    rng.shuffle(out)
    return out


_INDUSTRY = {ind.key: ind for ind in V.INDUSTRIES}


def _pick_industry(rng: random.Random, place: Place) -> V.Industry:
    keys = list(place.industries)
    return _INDUSTRY[_pick(rng, keys, [place.industries[k] for k in keys])]


# --- colleges ------------------------------------------------------------------------------------

_COLLEGE_EXTRAS = (
    "Runs an on-campus {workshop} shared with partner companies.",
    "Has order classes with {k} local enterprises.",
    "About {pct}% of graduates find work within {province}.",
    "Recently rebuilt its training centre with provincial funding.",
    "Students come mainly from the rural counties around {city}.",
    "Looking for enterprises that can host 3-6 month internships.",
    "Teachers spend a month a year in partner factories.",
    "Dormitory places are available for visiting trainees.",
    "Member of a vocational education group with local employers.",
    "Runs evening and weekend courses for employees of local firms.",
)
_CN_BORDER_EXTRAS = (
    "Offers Russian classes for students heading to jobs in Central Asia.",
    "Partner of a Luban Workshop in Central Asia; hosts teachers from Kazakhstan each year.",
)
_CA_EXTRAS = (
    "Taught in {language} and Russian.",
    "Takes part in the national dual-training programme with partner enterprises.",
    "Graduates often join Chinese-invested plants; Chinese classes are optional.",
    "Workshops were re-equipped with donor support in recent years.",
)
_GENERAL_ROLES = ("office and IT staff", "sales and trade assistants", "accountants")


def _college_name(rng: random.Random, place: Place, kind: str, theme: Theme,
                  themes: Sequence[Theme], theme_weights: Sequence[float],
                  used: set[str], numbered: dict[str, int]) -> tuple[str, str, Theme | None]:
    """(name, name_zh, the theme it is named after if any); unique across the sample."""
    prov, city = place.province, place.city
    for attempt in range(12):
        use_alias = city.alias is not None and rng.random() < 0.5
        fields = {
            "place": city.alias if use_alias else city.name,
            "place_zh": city.alias_zh if use_alias else city.name_zh,
            "prov": prov.name, "prov_zh": prov.name_zh,
            "theme": theme[0], "theme_zh": theme[1],
        }
        en, zh = rng.choice(V.CN_COLLEGE_PATTERNS[kind])
        name = en.format(**fields)
        if name not in used:
            used.add(name)
            return name, zh.format(**fields), theme if "{theme}" in en else None
        if attempt >= 3:
            theme = _pick(rng, themes, theme_weights)
    # Every pattern taken in this city: fall back to numbered schools, as real cities have.
    place_en = city.name
    while True:
        k = numbered[place_en] = numbered.get(place_en, 0) + 1
        name = V.CN_NUMBERED[0].format(place=place_en, k=k)
        if name not in used:
            used.add(name)
            return name, V.CN_NUMBERED[1].format(place_zh=city.name_zh, k_zh=_zh_number(k)), None


def _fit_weight(place: Place, industries: Sequence[str]) -> float:
    """How well a college theme suits a place: its defining (first) industry counts most, and
    squaring keeps a petroleum college out of a city without oil."""
    first = place.industries.get(industries[0], 0.0)
    rest = sum(place.industries.get(k, 0.0) for k in industries[1:])
    return (first + 0.3 * rest) ** 2 + 0.01


def _ca_college_name(rng: random.Random, place: Place, used: set[str],
                     numbered: dict[str, int]) -> tuple[str, str, tuple[str, ...]]:
    patterns = V.CA_COLLEGE_PATTERNS[place.province.country]
    weights = [_fit_weight(place, p[2]) for p in patterns]
    for _ in range(8):
        pattern, kind, leans = _pick(rng, patterns, weights)
        name = pattern.format(city=place.city.name)
        if name not in used:
            used.add(name)
            return name, kind, leans
    while True:
        k = numbered[place.city.name] = numbered.get(place.city.name, 0) + 1
        name = V.CA_NUMBERED.format(city=place.city.name, k=k)
        if name not in used:
            used.add(name)
            return name, "secondary_vocational", ()


def _graduates(rng: random.Random, kind: str) -> int:
    # Specialties enrol whole classes of 30-50; most run one to three classes a year.
    classes = _pick(rng, (1, 2, 3, 4, 5, 6, 8), (26, 34, 20, 10, 5, 3, 2))
    if kind in ("secondary_vocational", "technical_school") and classes > 4:
        classes = 4
    return min(400, max(30, classes * rng.randint(30, 50)))


def _specialty_description(rng: random.Random, code: str, ind: V.Industry | None, place: Place,
                           kind: str) -> str:
    topics = list(V.FOCUS.get(code) or ([a.text for a in ind.activities] if ind else ["IT basics"]))
    picked = rng.sample(topics, min(len(topics), rng.choice((2, 2, 3))))
    if any(" and " in t for t in picked) or len(picked) == 1:
        listed = "; ".join(picked)  # "x, y and z and w" would be ambiguous
    else:
        listed = ", ".join(picked[:-1]) + " and " + picked[-1]
    workshop = ind.workshop if ind else "computer and business labs"
    role = rng.choice(ind.roles if ind else _GENERAL_ROLES)
    sector = ind.sector if ind else "local"
    years = {"higher_vocational": "Three-year", "secondary_vocational": "Three-year",
             "technical_school": rng.choice(("Three-year", "Five-year")),
             "university": "Four-year"}[kind]
    employers = rng.choice((f"{sector} firms in {place.province.name}",
                            f"local {sector} companies",
                            f"enterprises in the {place.city.name} industrial parks"))
    options = [
        f"{_cap(listed)}. Practical training in the college's {workshop}.",
        f"Covers {listed}; graduates mostly join {employers} as {role}.",
        f"{years} programme in {listed}; students sit the skill-level certificate for {role}.",
        f"Core courses: {'; '.join(picked)}. Half the hours are hands-on in the {workshop}.",
        f"{_cap(listed)}, with a six-month placement at {employers} in the final year.",
    ]
    if place.cn:
        options.append(f"{_cap(listed)}; runs an order class with {_an(sector)} {sector} company "
                       f"in {place.city.name}.")
    else:
        language = V.LOCAL_LANGUAGE[place.province.country]
        options.append(f"Taught in {language} and Russian: {listed}.")
    return rng.choice(options)


def _specialties(rng: random.Random, place: Place, kind: str, leans: Sequence[str],
                 names: dict[str, str]) -> list[Record]:
    lo, hi = {"higher_vocational": (6, 15), "secondary_vocational": (4, 9),
              "technical_school": (4, 10), "university": (8, 15)}[kind]
    n = rng.randint(lo, hi)
    keys = [*place.industries, GENERAL]
    total = sum(place.industries.values())
    weights = [place.industries[k] * (5.0 if k in leans else 1.0) for k in place.industries]
    weights.append(0.12 * total)
    general = list(V.GENERAL_CODES)
    if not place.cn or place.province.name in RUSSIAN_NEAR:
        general.append(V.RUSSIAN)
    if not place.cn:
        general.append(V.CHINESE)
    chosen: dict[str, str] = {}  # code -> industry key, in draw order
    for _ in range(n * 20):
        if len(chosen) >= n:
            break
        key = _pick(rng, keys, weights)
        pool = general if key == GENERAL else _INDUSTRY[key].college_codes
        code = _pick(rng, pool, [1.0 / (1.0 + 0.35 * i) for i in range(len(pool))])
        chosen.setdefault(code, key)
    out = []
    for code, key in chosen.items():
        name = names[code]
        if code in V.DIRECTIONS and rng.random() < 0.12:
            name = f"{name} ({rng.choice(V.DIRECTIONS[code])})"
        ind = None if key == GENERAL else _INDUSTRY[key]
        # Some colleges leave the code blank; Central Asian ones often have no Chinese code.
        blank = rng.random() < (0.03 if place.cn else 0.25)
        out.append({
            "name": name,
            "code": None if blank else code,
            "description": _specialty_description(rng, code, ind, place, kind),
            "annual_graduates": _graduates(rng, kind),
        })
    return out


def _college_modes(rng: random.Random, kind: str, cn: bool) -> list[str]:
    w = {"order_class": 3.5 if cn else 1.0, "internship": 5, "apprenticeship": 2.5,
         "training_base": 2.5, "teacher_training": 1.5,
         "joint_research": {"university": 3.0, "higher_vocational": 0.6}.get(kind, 0.1),
         "short_course": 1.5,
         "employment": 4}
    picked = _pick_distinct(rng, MODES, [w[m] for m in MODES], rng.randint(2, 5))
    return [m for m in MODES if m in picked]


def _college_description(rng: random.Random, place: Place, kind: str,
                         specialties: list[Record], sectors: list[str], focus: str) -> str:
    grads = sum(s["annual_graduates"] for s in specialties)
    students = max(300, round(grads * rng.uniform(3.0, 4.5), -2))
    sector_text = _join(sectors[:2]) if sectors else "general technical"
    kind_text = {"higher_vocational": "higher vocational college",
                 "secondary_vocational": "secondary vocational school",
                 "technical_school": "technician training school",
                 "university": "vocational university"}[kind]
    year = rng.randint(1950, 2015) if place.cn else rng.randint(1930, 2010)
    openers = (
        f"Public {kind_text} founded in {year} in {place.where()}, with about "
        f"{_fmt(int(students))} full-time students; strongest in {sector_text} programmes.",
        f"A {kind_text} in {place.where()} training technicians for the {sector_text} industries. "
        f"Around {_fmt(int(students))} students.",
        f"Founded {year}. Serves the {sector_text} industries of {place.province.name} with "
        f"{len(specialties)} specialties listed here.",
    )
    pool = list(_COLLEGE_EXTRAS)
    if place.cn and place.province.name in RUSSIAN_NEAR:
        pool += _CN_BORDER_EXTRAS
    if not place.cn:
        pool += _CA_EXTRAS
    fields = {
        "workshop": _INDUSTRY[focus].workshop,
        "k": rng.randint(3, 25), "pct": rng.randint(55, 90), "province": place.province.name,
        "city": place.city.name,
        "language": V.LOCAL_LANGUAGE.get(place.province.country, "Chinese"),
    }
    extras = [e.format(**fields) for e in rng.sample(pool, rng.randint(1, 2))]
    return " ".join([rng.choice(openers), *extras])


def _lead_industries(place: Place) -> list[str]:
    return sorted(place.industries, key=lambda k: -place.industries[k])[:3]


def _college(rng: random.Random, place: Place, used: set[str], numbered: dict[str, int],
             names: dict[str, str]) -> Record:
    if place.cn:
        kind = _pick(rng, KINDS, (64, 17, 15, 4))
        themes = V.THEMES
        theme_w = [_fit_weight(place, t[2]) for t in themes]
        theme = _pick(rng, themes, theme_w)
        name, zh, named = _college_name(rng, place, kind, theme, themes, theme_w, used, numbered)
        name_zh: str | None = zh
        leans = named[2] if named else tuple(_lead_industries(place)[:1])
    else:
        name, kind, leans = _ca_college_name(rng, place, used, numbered)
        name_zh = None
    specialties = _specialties(rng, place, kind, leans, names)
    sectors = list(dict.fromkeys(_INDUSTRY[k].sector for k in (*leans, *_lead_industries(place))
                                 if k in _INDUSTRY))
    return {
        "name": name,
        "name_zh": name_zh,
        "kind": kind,
        "country": place.province.country,
        "province": place.province.name,
        "city": place.city.name,
        "location": None,
        "description": _college_description(rng, place, kind, specialties, sectors,
                                            (*leans, *_lead_industries(place))[0]),
        "specialties": specialties,
        "cooperation_modes": _college_modes(rng, kind, place.cn),
    }


# --- enterprises ---------------------------------------------------------------------------------

_EMPLOYEES = {"micro": (5, 19), "small": (20, 299), "medium": (300, 999), "large": (1000, 15000)}
_CAPACITY_BAND = {"micro": (0.0, 0.03), "small": (0.0, 0.08), "medium": (0.08, 0.4),
                  "large": (0.35, 1.0)}
_SIZE_WORD = {"micro": "small family-run", "small": "small", "medium": "mid-sized",
              "large": "large"}
_PLANS = (
    "Expanding with a new line in 2027 and looking for long-term college partners.",
    "Interested in order classes and paid internships.",
    "Turnover among young workers is high; we want a steady pipeline from local colleges.",
    "Has hosted interns from vocational colleges for several years.",
    "Plans to set up an in-plant training base with a nearby college.",
    "Can offer placements for college teachers in our workshops.",
    "Most new hires so far came through job fairs; we would like closer ties with schools.",
)
_CN_PLANS = ("Part of a group headquartered in {other}.",
             "Recruits every spring at college job fairs in {province} and {other}.")
_EXPORT_PLANS = ("Exports mainly to Central Asia and Russia.",
                 "Management speaks Chinese and Russian.")
_GAP_EXTRAS = (
    "Dormitory and meals provided.", "Shuttle bus from the city centre.",
    "Social insurance from day one.", "Interns welcome; good interns are hired after graduation.",
    "Probation period three months.", "Health check required.", "2027 graduates welcome.",
    "Order-class students will be hired first.",
    "Experienced candidates preferred, fresh graduates considered.", "Two shifts.",
    "Work location: {city}.",
)
_CA_GAP_EXTRAS = ("{language} and Russian required.", "Work location: {city}.",
                  "Transport to site provided.", "Russian required.")
_CHINESE_INVESTED_EXTRAS = ("Chinese (HSK 3+) a plus.",
                            "Training with our partner company in China possible.")
_REPEATS = ("shift", "dormitor", "russian", "chinese", "transport", "training", "meals")
_PAY_FACTOR = {"operator": 1.0, "technician": 1.3, "senior_technician": 1.6, "engineer": 1.8,
               "manager": 1.9, None: 1.2}
_MONTH_WEIGHTS = (0.5, 0.5, 1.5, 1.0, 0.7, 1.0, 2.5, 1.5, 2.0, 0.7, 0.5, 0.3)
_CN_PROVINCES = tuple(p.name for p in V.PROVINCES if p.country == "CN")


def _brand(rng: random.Random) -> tuple[str, str]:
    while True:
        (a, a_zh), (b, b_zh) = rng.sample(V.BRAND_SYLLABLES, 2)
        if (a + b).lower() not in V.BRAND_BLOCKLIST:
            return a + b.lower(), a_zh + b_zh


def _enterprise_name(rng: random.Random, place: Place, ind: V.Industry, act: V.Activity,
                     size: str, used: set[str], plants: list[int]) -> tuple[str, str | None, bool]:
    """(name, name_zh, Chinese-invested abroad); unique across the sample."""
    prov, city = place.province, place.city
    nouns = [n for n in ind.nouns if _fits(n[2].split(), act.tags)]
    for _ in range(8):
        noun, noun_zh, _tags = rng.choice(nouns)
        brand, brand_zh = _brand(rng)
        if place.cn:
            suffixes = [("Co., Ltd.", "有限公司"), ("Co., Ltd.", "有限公司")]
            if ind.key in TECH_SUFFIX_OK and "Technology" not in noun:
                suffixes.append(("Technology Co., Ltd.", "科技有限公司"))
            if size in ("medium", "large"):
                suffixes += [("Group Co., Ltd.", "集团有限公司"), ("Industrial Co., Ltd.", "实业有限公司")]
            if size in ("micro", "small") and ind.key in FACTORY_OK:
                suffixes.append(("Factory", "厂"))
            suffix, suffix_zh = rng.choice(suffixes)
            if rng.random() < 0.6:
                where, where_zh = prov.name, prov.name_zh or ""
            else:
                where, where_zh = city.name, city.name_zh or ""
            if rng.random() < 0.15 and suffix != "Factory":
                name = f"{brand} {noun} ({city.name}) {suffix}"
                name_zh = f"{brand_zh}{noun_zh}（{city.name_zh}）{suffix_zh}"
            else:
                name = f"{where} {brand} {noun} {suffix}"
                name_zh = f"{where_zh}{brand_zh}{noun_zh}{suffix_zh}"
            chinese_abroad = False
        else:
            country = prov.country
            local = rng.choice(V.CA_BRANDS[country])
            suffix = V.CA_SUFFIX[country]
            r = rng.random()
            chinese_abroad = r < 0.35
            if r < 0.2:
                name = f"{local}-{brand} {noun} JV {suffix}"
            elif r < 0.35:
                name = f"{brand} {noun} {V.COUNTRY_NAMES[country]} {suffix}"
            elif r < 0.6:
                name = f"{local} {noun} {city.name} {suffix}"
            else:
                name = f"{local} {noun} {suffix}"
            name_zh = None
        if name not in used:
            used.add(name)
            return name, name_zh, chinese_abroad
    # Crowded corner of the name space (only at benchmark sizes): number the plant.
    plants[0] += 1
    k = plants[0]
    name = f"{name} Plant No. {k}"
    used.add(name)
    return name, (f"{name_zh}第{k}分厂" if name_zh else None), chinese_abroad


def _size(rng: random.Random, ind: V.Industry) -> str:
    w = [8.0, 34.0, 36.0, 22.0]
    if ind.key in HEAVY:
        w[0] *= 0.3
        w[3] *= 1.8
    elif ind.key in LIGHT:
        w[0] *= 1.5
        w[3] *= 0.7
    return _pick(rng, SIZES, w)


def _headcount(rng: random.Random, size: str, bulk: bool, level: str) -> int:
    if size == "micro":
        return rng.randint(1, 4)
    if level in ("engineer", "manager", "senior_technician") and not bulk:
        return rng.randint(1, {"small": 2, "medium": 4}.get(size, 8))
    # Mass hires (operators, general workers) scale with the firm; specialist posts much less.
    lo, hi = {("small", False): (2, 8), ("small", True): (5, 30),
              ("medium", False): (3, 20), ("medium", True): (10, 80),
              ("large", False): (5, 40), ("large", True): (30, 150)}[(size, bulk)]
    if size == "large" and bulk and rng.random() < 0.3:
        lo, hi = 100, 300
    n = rng.randint(lo, hi)
    if n > 20 and rng.random() < 0.7:
        n = max(5, round(n / 5) * 5)
    return n


def _start_date(rng: random.Random) -> str | None:
    if rng.random() >= 0.7:
        return None
    month = _pick(rng, range(1, 13), _MONTH_WEIGHTS)
    day = _pick(rng, (1, 15, rng.randint(1, 28)), (5, 2, 3))
    return date(2027, month, day).isoformat()


def _pay(rng: random.Random, country: str, level: str | None) -> str:
    currency, lo, hi, step = V.PAY[country]
    f = _PAY_FACTOR[level]
    a = round(rng.randint(lo, hi) * f / step) * step
    b = a + step * rng.randint(2, 6)
    if country == "CN":
        return f"Pay {_fmt(a)}-{_fmt(b)} {currency} a month" + rng.choice((".", " plus overtime."))
    return f"Salary from {_fmt(a)} {currency} a month."


def _gap(rng: random.Random, t: V.GapTemplate, place: Place, size: str,
         chinese_abroad: bool) -> Record:
    level = t.levels[0] if rng.random() < 0.7 else rng.choice(t.levels)
    level_out = None if rng.random() < 0.06 else level
    text = rng.choice(t.descriptions).format(city=place.city.name, province=place.province.name)
    vague = text[:1].islower()  # jotted-down posts stay as HR left them
    if not vague:
        extras: list[str] = []
        if rng.random() < 0.45:
            extras.append(_pay(rng, place.province.country, level))
        pool = list(_GAP_EXTRAS if place.cn else _CA_GAP_EXTRAS)
        if chinese_abroad:
            pool += _CHINESE_INVESTED_EXTRAS
        # Don't repeat what the post already says ("two shifts ... Two shifts.").
        lowered = text.lower()
        pool = [e for e in pool if not any(w in e.lower() and w in lowered for w in _REPEATS)]
        language = V.LOCAL_LANGUAGE.get(place.province.country, "Chinese")
        extras += [e.format(city=place.city.name, language=language)
                   for e in rng.sample(pool, min(len(pool), _pick(rng, (0, 1, 2), (4, 4, 2))))]
        text = " ".join([text, *extras])
    codes: list[str] = []
    if t.codes and rng.random() < 0.7:
        k = 2 if len(t.codes) > 1 and rng.random() < 0.35 else 1
        codes = [t.codes[0]] if k == 1 and rng.random() < 0.75 else rng.sample(t.codes, k)
    return {
        "field": t.field,
        "description": text,
        "headcount": _headcount(rng, size, t.bulk, level),
        "level": level_out,
        "start_date": _start_date(rng),
        "codes": codes,
    }


def _enterprise_description(rng: random.Random, place: Place, ind: V.Industry,
                            act: V.Activity, size: str, chinese_abroad: bool) -> str:
    year = rng.randint(1985, 2022) if place.cn else rng.randint(1995, 2023)
    activity = act.text
    # A small firm sits at the low end of the industry's range, a large one anywhere above.
    a, b = _CAPACITY_BAND[size]
    lo, hi = act.low, act.high
    n = _round_number(rng, int(lo + (hi - lo) * a), int(lo + (hi - lo) * b))
    capacity = act.capacity.format(n=_fmt(n))
    employees = _fmt(_log_uniform(rng, *_EMPLOYEES[size]))
    openers = (
        f"Founded in {year}, we are a {_SIZE_WORD[size]} company in {place.where()} focused on "
        f"{activity}, with {capacity} and about {employees} employees.",
        f"{_cap(activity)} in {place.where()}. {_cap(capacity)}; roughly {employees} staff.",
        f"{_cap(_SIZE_WORD[size])} {ind.sector} firm established in {year}: {activity}, "
        f"{capacity}.",
        f"We run {activity} in {place.city.name} ({capacity}, {employees} employees).",
    )
    pool = list(_PLANS)
    if place.cn:
        other = rng.choice([p for p in _CN_PROVINCES if p != place.province.name])
        pool += [p.format(other=other, province=place.province.name) for p in _CN_PLANS]
    if place.province.name in RUSSIAN_NEAR or chinese_abroad:
        pool += _EXPORT_PLANS
    plans = rng.sample(pool, _pick(rng, (0, 1, 2), (2, 5, 3)))
    return " ".join([rng.choice(openers), *plans])


def _enterprise_modes(rng: random.Random, size: str) -> list[str]:
    w = {"order_class": 2.0, "internship": 3.0, "apprenticeship": 1.5, "training_base": 1.0,
         "teacher_training": 0.5, "joint_research": 1.0 if size == "large" else 0.3,
         "short_course": 1.0, "employment": 3.0}
    picked = _pick_distinct(rng, MODES, [w[m] for m in MODES], rng.randint(1, 4))
    return [m for m in MODES if m in picked]


def _preferred(rng: random.Random, place: Place) -> list[str]:
    own, sources = place.province.name, place.province.sources
    r = rng.random()
    if r < 0.2 or not sources:
        return [] if r < 0.2 else [own]
    if r < 0.62:
        return [own]
    if r < 0.9:
        return [own, *rng.sample(sources, min(len(sources), rng.randint(1, 2)))]
    return [rng.choice(sources)]


def _enterprise(rng: random.Random, place: Place, used: set[str], plants: list[int]) -> Record:
    ind = _pick_industry(rng, place)
    act = rng.choice(ind.activities)
    size = _size(rng, ind)
    name, name_zh, chinese_abroad = _enterprise_name(rng, place, ind, act, size, used, plants)
    n_gaps = rng.randint(*{"micro": (1, 2), "small": (1, 3), "medium": (1, 4),
                           "large": (2, 5)}[size])
    fitting = [t for t in ind.gaps if _fits(t.only, act.tags)]
    templates = rng.sample(fitting, min(n_gaps, len(fitting)))
    setting = ["CN"] if place.cn else ["CA"]
    if place.province.name in RUSSIAN_NEAR or chinese_abroad:
        setting.append("BORDER")
    if rng.random() < 0.2:
        # Now and then a job any firm posts (electrician, accountant, interpreter...).
        common = rng.choice([t for t in V.COMMON_GAPS if _fits(t.only, setting)])
        if all(t.field != common.field for t in templates):
            if len(templates) > 1:
                templates[-1] = common
            else:
                templates.append(common)
    return _enterprise_record(rng, name, name_zh, ind, act, place, size, chinese_abroad,
                              lambda: [_gap(rng, t, place, size, chinese_abroad) for t in templates])


def _enterprise_record(rng: random.Random, name: str, name_zh: str | None, ind: V.Industry, act: V.Activity,
                       place: Place, size: str, abroad: bool, gaps: Callable[[], list[Record]]) -> Record:
    """An enterprise in the import shape. `gaps` is called after the description is drawn, so the
    random stream (and with it the committed sample) stays as it was."""
    return {
        "name": name,
        "name_zh": name_zh,
        "industry": ind.name,
        "country": place.province.country,
        "province": place.province.name,
        "city": place.city.name,
        "location": None,
        "size": size,
        "description": _enterprise_description(rng, place, ind, act, size, abroad),
        "talent_gaps": gaps(),
        "cooperation_modes": _enterprise_modes(rng, size),
        "preferred_provinces": _preferred(rng, place),
    }


# --- entry points --------------------------------------------------------------------------------


def generate(n_colleges: int = N_COLLEGES, n_enterprises: int = N_ENTERPRISES,
             seed: int = SEED) -> tuple[list[Record], list[Record]]:
    """(colleges, enterprises) as import-ready JSON objects, a pure function of the arguments.

    The two sides draw from separate streams, so a benchmark asking for more enterprises gets
    the same colleges as the sample.
    A share is then written in Chinese only or in Russian (training/sample_languages.py).
    """
    names = catalogue()
    check_vocab()
    rng = random.Random(f"colleges/{seed}")
    used: set[str] = set()
    numbered: dict[str, int] = {}
    colleges = [_college(rng, place, used, numbered, names)
                for place in _assign_places(rng, n_colleges)]
    rng = random.Random(f"enterprises/{seed}")
    used = set()
    plants = [0]
    enterprises = [_enterprise(rng, place, used, plants)
                   for place in _assign_places(rng, n_enterprises)]
    entries = Catalogue.load(CATALOGUE_PATH)
    bilingual = {code: (entry.name_en, entry.name_zh) for code in entries.codes() if (entry := entries.get(code))}
    sample_languages.rewrite(colleges, enterprises, bilingual, seed)
    return colleges, enterprises


def to_jsonl(records: list[Record]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def write_sample(directory: Path = SAMPLE_DIR, n_colleges: int = N_COLLEGES,
                 n_enterprises: int = N_ENTERPRISES, seed: int = SEED) -> None:
    """Write colleges.jsonl and enterprises.jsonl (UTF-8, one object per line)."""
    colleges, enterprises = generate(n_colleges, n_enterprises, seed)
    directory.mkdir(parents=True, exist_ok=True)
    for file, records in (("colleges.jsonl", colleges), ("enterprises.jsonl", enterprises)):
        (directory / file).write_text(to_jsonl(records), encoding="utf-8", newline="\n")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Regenerate the synthetic sample data.")
    parser.add_argument("--out", type=Path, default=SAMPLE_DIR)
    parser.add_argument("--colleges", type=int, default=N_COLLEGES)
    parser.add_argument("--enterprises", type=int, default=N_ENTERPRISES)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    write_sample(args.out, args.colleges, args.enterprises, args.seed)
    print(f"wrote {args.colleges} colleges and {args.enterprises} enterprises to {args.out}")


if __name__ == "__main__":
    main()
