"""One side's matchable state in memory: profile cards, unit cards and the vector index.

Derived from the database (the source of truth) and kept in step with it by every write; ranking
reads only this, so a query costs no ORM loading however many candidates it scores.
"""

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from embeddings.index import VectorIndex
from matching.keywords import KeywordStats, keywords
from matching.models import College, Enterprise, IndexVersion
from matching.names import name_tokens
from matching.postings import Postings
from matching.sides import Profile, SideSpec


@dataclass(frozen=True, slots=True)
class UnitCard:
    id: int
    profile_id: int
    name: str
    codes: tuple[str, ...]
    amount: int  # annual graduates of a specialty, headcount of a gap
    key: str | None  # embedding_key: which text the indexed vector is of
    words: frozenset[str] = frozenset()  # keywords of the embedded text (matching.keywords)
    inferred: tuple[str, ...] = ()  # without codes of its own: the catalogue's codes for its text (matching.bridge)
    level: str | None = None  # a talent gap's level (operator ... manager); None for specialties

    @property
    def match_codes(self) -> tuple[str, ...]:
        """The codes the catalogue feature compares: its own, else the inferred ones."""
        return self.codes or self.inferred


@dataclass(frozen=True, slots=True)
class ProfileCard:
    id: int
    name: str
    name_zh: str | None
    country: str
    province: str | None
    city: str | None
    lat: float | None
    lon: float | None
    modes: frozenset[str]
    preferred_provinces: frozenset[str]  # enterprises only
    units: tuple[int, ...]
    kind: str | None = None  # a college's kind (higher_vocational, ...); None for enterprises
    # `units` as an array, made once: every query gathers its candidates' units
    unit_array: np.ndarray = field(init=False, compare=False, repr=False)
    # distinctive words of the names (matching.names), made once: the name-mention feature reads them
    name_tokens: frozenset[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit_array", np.array(self.units, dtype=np.int64))
        object.__setattr__(self, "name_tokens", name_tokens(self.name, self.name_zh, self.city, self.province))

    @property
    def located(self) -> bool:
        return self.lat is not None and self.lon is not None


@dataclass
class Pool:
    spec: SideSpec
    index: VectorIndex
    profiles: dict[int, ProfileCard] = field(default_factory=dict)
    units: dict[int, UnitCard] = field(default_factory=dict)
    version: int = 0
    # Held from a write's commit until its change is applied here, so a reader never mistakes an
    # in-flight write for a change made by another process.
    lock: threading.RLock = field(default_factory=threading.RLock)
    stats: KeywordStats = field(default_factory=KeywordStats)
    text_of: Callable[[Any], str] | None = None  # the embedder's: keywords come from the embedded text
    infer_codes: Callable[[str], tuple[str, ...]] | None = None  # the embedder's: codes of a unit without any
    # Every indexed unit in profile order, and the cards: what an unfiltered query scans; rebuilt
    # lazily after a change.
    _all: tuple[np.ndarray, list[ProfileCard]] | None = None
    # Units of `_all` by province (`place_id`), made on first use and dropped with `_all`.
    _places: dict[int, np.ndarray] = field(default_factory=dict)
    # Whole-pool figures made on first use and dropped with `_all` (mean_words, named_by's index).
    _derived: dict[str, Any] = field(default_factory=dict)
    # The unit cards as columns indexed by unit id (-1 / 0 where no unit), kept in step with
    # `units`: scoring reads these, so its cost has no Python loop per candidate unit.
    owner: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    amount: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    word_ids: np.ndarray = field(default_factory=lambda: np.full((0, 8), -1, np.int32))  # -1 padded
    word_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))  # ids in each `word_ids` row
    codes: np.ndarray = field(default_factory=lambda: np.full((0, 1), -1, np.int64))  # as numbers, -1 padded
    postings: Postings = field(default_factory=Postings)  # word id → units, from `word_ids`
    # The profile cards' per-candidate features as columns indexed by profile id, for the same reason:
    # location (nan where unknown), cooperation modes as bits (`mode_bits`), province (`place_id`, -1).
    lat: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lon: np.ndarray = field(default_factory=lambda: np.zeros(0))
    mode_mask: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    province_id: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    city_id: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # `place_id` of the city, -1
    kind_id: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # `KINDS` index of a college, -1
    level_id: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # by unit: `LEVELS` index, -1

    def invalidate(self) -> None:
        self._all = None

    def mean_words(self) -> float:
        """Mean number of unit keywords per profile (BM25's average document length)."""
        units, cards = self.everything()
        if self._derived.get("mean_words") is None:
            self._derived["mean_words"] = float((self.word_ids[units] >= 0).sum()) / max(len(cards), 1)
        value: float = self._derived["mean_words"]
        return value

    def named_by(self, words: Iterable[str]) -> np.ndarray:
        """Ids of the profiles whose distinctive name words (ProfileCard.name_tokens) include any of `words`."""
        self.everything()
        index = self._derived.get("names")
        if index is None:
            built: dict[str, list[int]] = {}
            for card in self.profiles.values():
                for token in card.name_tokens:
                    built.setdefault(token, []).append(card.id)
            index = self._derived["names"] = {t: np.array(ids, np.int64) for t, ids in built.items()}
        found = [index[w] for w in words if w in index]
        return np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)

    def everything(self) -> tuple[np.ndarray, list[ProfileCard]]:
        if self._all is None:
            cards = [self.profiles[p] for p in sorted(self.profiles)]
            ids = np.array([u for c in cards for u in c.units if u in self.index], dtype=np.int64)
            with_units = [c for c in cards if any(u in self.index for u in c.units)]
            self._all = (ids, with_units)
            self._places = {}
            self._derived = {}
        return self._all

    def units_in(self, provinces: Iterable[str]) -> np.ndarray:
        """Indexed units of the profiles in these provinces (by name)."""
        units, _ = self.everything()  # rebuilt after any change, which also empties `_places`
        wanted = sorted({place_id(name) for name in provinces})
        missing = [p for p in wanted if p not in self._places]
        if missing:
            where = self.province_id[self.owner[units]]
            for p in missing:
                self._places[p] = units[where == p]
        return np.concatenate([units[:0], *(self._places[p] for p in wanted)])

    def units_coded(self, codes: Iterable[int]) -> np.ndarray:
        """Indexed units whose match codes (UnitCard.match_codes, as numbers) include any of `codes`."""
        units, _ = self.everything()  # rebuilt after any change, which also empties `_derived`
        index = self._derived.get("codes")
        if index is None:
            index = self._derived["codes"] = _code_index(self.codes[units], units)
        return _members(index, codes)

    def code_holders(self, codes: Iterable[int]) -> np.ndarray:
        """Units with an owner, indexed or not, whose code columns include any of `codes`: as
        `(np.isin(codes, ...).any(axis=1) & (owner >= 0))` over the whole pool, without scanning it (at
        100,000 specialties the scan cost 5 ms a query, once per retrieval round)."""
        self.everything()  # rebuilt after any change, which also empties `_derived`
        index = self._derived.get("holders")
        if index is None:
            live = np.flatnonzero(self.owner >= 0)
            index = self._derived["holders"] = _code_index(self.codes[live], live)
        return _members(index, codes)

    def apply(self, profile: Profile) -> None:
        """Take a committed profile's current state (its units must carry their vectors)."""
        self._all = None
        old = self.profiles.get(profile.id)
        units = self.spec.units_of(profile)
        keep = {u.id for u in units}
        if old:
            gone = [u for u in old.units if u not in keep]
            self.index.remove(gone)
            for unit_id in gone:
                self._forget(unit_id)
        changed_ids, changed_vectors = [], []
        for unit in units:
            text = self.text_of(unit) if self.text_of else ""
            card = unit_card(self.spec, profile.id, unit, keywords(text), self.infer_codes, text)
            previous = self._forget(unit.id)
            self.units[unit.id] = card
            self._remember(card)
            self.stats.add([card.words])
            if unit.embedding is None:
                self.index.remove([unit.id])
            elif previous is None or previous.key != card.key or unit.id not in self.index:
                changed_ids.append(unit.id)
                changed_vectors.append(np.frombuffer(unit.embedding, dtype=np.float32))
        if changed_ids:
            self.index.upsert(changed_ids, np.vstack(changed_vectors))
        profile_view = self.profiles[profile.id] = profile_card(self.spec, profile)
        self._profile_columns(profile_view)
        if self.index.dead_fraction > 0.25 and self.index.ntotal > 1000:
            self.index.compact()  # dead slots cost every unfiltered search a selector

    def drop(self, profile_id: int) -> None:
        card = self.profiles.pop(profile_id, None)
        self._all = None
        if card:
            self.index.remove(card.units)
            for unit_id in card.units:
                self._forget(unit_id)

    def _profile_columns(self, card: ProfileCard) -> None:
        if card.id >= len(self.lat):
            size = max(card.id + 1, 2 * len(self.lat))
            self.lat, self.lon = _grown(self.lat, size, np.nan), _grown(self.lon, size, np.nan)
            self.mode_mask, self.province_id = _grown(self.mode_mask, size, 0), _grown(self.province_id, size, -1)
            self.city_id, self.kind_id = _grown(self.city_id, size, -1), _grown(self.kind_id, size, -1)
        self.lat[card.id] = card.lat if card.located else np.nan
        self.lon[card.id] = card.lon if card.located else np.nan
        self.mode_mask[card.id] = mode_bits(card.modes)
        self.province_id[card.id] = place_id(card.province)
        self.city_id[card.id] = place_id(f"{card.country}/{card.city.casefold()}") if card.city else -1
        self.kind_id[card.id] = KINDS.index(card.kind) if card.kind in KINDS else -1

    def _forget(self, unit_id: int) -> UnitCard | None:
        card = self.units.pop(unit_id, None)
        if card is not None:
            self.stats.remove([card.words])
            self.owner[unit_id], self.amount[unit_id], self.word_ids[unit_id], self.codes[unit_id] = -1, 0.0, -1, -1
            self.word_counts[unit_id] = 0
            self.level_id[unit_id] = -1
            self.postings.touch(unit_id)
        return card

    def _remember(self, card: UnitCard) -> None:
        ids = self.stats.vocabulary.ids(card.words)
        codes = code_numbers(card.match_codes)
        self._make_room(card.id + 1, len(ids), len(codes))
        self.owner[card.id], self.amount[card.id] = card.profile_id, card.amount
        self.word_ids[card.id], self.codes[card.id] = -1, -1
        self.word_ids[card.id, :len(ids)] = ids
        self.word_counts[card.id] = len(ids)
        self.codes[card.id, :len(codes)] = codes
        self.level_id[card.id] = LEVELS.index(card.level) if card.level in LEVELS else -1
        self.postings.touch(card.id)

    def _make_room(self, rows: int, width: int, code_width: int) -> None:
        old_rows, old_width = self.word_ids.shape
        old_code_width = self.codes.shape[1]
        if rows <= old_rows and width <= old_width and code_width <= old_code_width:
            return
        new_rows = max(rows, 2 * old_rows) if rows > old_rows else old_rows
        words = np.full((new_rows, max(width, old_width)), -1, np.int32)
        words[:old_rows, :old_width] = self.word_ids
        codes = np.full((new_rows, max(code_width, old_code_width)), -1, np.int64)
        codes[:old_rows, :old_code_width] = self.codes
        owner = np.full(new_rows, -1, np.int64)
        owner[:old_rows] = self.owner
        amount = np.zeros(new_rows, np.float64)
        amount[:old_rows] = self.amount
        self.word_ids, self.codes, self.owner, self.amount = words, codes, owner, amount
        self.level_id = _grown(self.level_id, new_rows, -1)
        self.word_counts = _grown(self.word_counts, new_rows, 0)

    def rebuild_columns(self) -> None:
        """Columns and keyword counts from `units` as a whole (after loading a side)."""
        self.stats.add(u.words for u in self.units.values())
        size = max(self.units, default=-1) + 1
        vocabulary = self.stats.vocabulary
        word_lists = {unit_id: vocabulary.ids(card.words) for unit_id, card in self.units.items()}
        width = max((len(w) for w in word_lists.values()), default=0)
        code_width = max((len(card.match_codes) for card in self.units.values()), default=0)
        self.owner, self.amount = np.full(size, -1, np.int64), np.zeros(size, np.float64)
        self.level_id = np.full(size, -1, np.int64)
        self.word_ids = np.full((size, max(width, 8)), -1, np.int32)
        self.word_counts = np.zeros(size, np.int32)
        self.codes = np.full((size, max(code_width, 1)), -1, np.int64)
        for unit_id, card in self.units.items():
            self.owner[unit_id], self.amount[unit_id] = card.profile_id, card.amount
            ids = word_lists[unit_id]
            self.word_ids[unit_id, :len(ids)] = ids
            self.word_counts[unit_id] = len(ids)
            codes = code_numbers(card.match_codes)
            self.codes[unit_id, :len(codes)] = codes
            self.level_id[unit_id] = LEVELS.index(card.level) if card.level in LEVELS else -1
        self.postings.reset()
        size = max(self.profiles, default=-1) + 1
        self.lat, self.lon = np.full(size, np.nan), np.full(size, np.nan)
        self.mode_mask, self.province_id = np.zeros(size, np.int64), np.full(size, -1, np.int64)
        self.city_id, self.kind_id = np.full(size, -1, np.int64), np.full(size, -1, np.int64)
        for profile in self.profiles.values():
            self._profile_columns(profile)

    def profile_units(self, profile_ids: Iterable[int]) -> list[int]:
        return [u for p in profile_ids for u in self.profiles[p].units if u in self.index]


# Colleges' kinds and talent gaps' levels, in the order of matching.ranking.KIND_LEVEL_FIT.
KINDS = ("secondary_vocational", "technical_school", "higher_vocational", "university")
LEVELS = ("operator", "technician", "senior_technician", "engineer", "manager")
_MODE_BITS: dict[str, int] = {}
_PLACE_IDS: dict[str, int] = {}


def mode_bits(modes: Iterable[str]) -> int:
    """Cooperation modes as a bit mask (one bit per mode name, given on first sight)."""
    mask = 0
    for mode in modes:
        bit = _MODE_BITS.setdefault(mode, len(_MODE_BITS))
        if bit >= 63:
            raise ValueError("more than 63 cooperation modes")
        mask |= 1 << bit
    return mask


def place_id(name: str | None) -> int:
    """A number for a province name (the same name, the same number); -1 for none."""
    return -1 if name is None else _PLACE_IDS.setdefault(name, len(_PLACE_IDS))


def _code_index(block: np.ndarray, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, units), sorted by code: every code of `block` (the code columns of `units`) with its unit."""
    rows, cols = np.nonzero(block >= 0)
    code_of = block[rows, cols]
    order = np.argsort(code_of, kind="stable")
    return code_of[order], units[rows][order]


def _members(index: tuple[np.ndarray, np.ndarray], codes: Iterable[int]) -> np.ndarray:
    """The sorted distinct units of `index` (see _code_index) holding any of `codes`."""
    keys, members = index
    parts = [members[np.searchsorted(keys, c, "left"):np.searchsorted(keys, c, "right")] for c in codes]
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)


def _grown(column: np.ndarray, size: int, fill: float) -> np.ndarray:
    out = np.full(size, fill, column.dtype)
    out[:len(column)] = column
    return out


def code_numbers(codes: Iterable[str]) -> np.ndarray:
    """Catalogue codes (six digits) as numbers: the class is n // 100, the category n // 10000."""
    return np.array([int(c) for c in codes if len(c) == 6 and c.isdigit()], dtype=np.int64)


def unit_card(spec: SideSpec, profile_id: int, unit: Any, words: frozenset[str] = frozenset(),
              infer_codes: Callable[[str], tuple[str, ...]] | None = None, text: str = "") -> UnitCard:
    if spec.unit_label == "specialty":
        codes: tuple[str, ...] = (unit.code,) if unit.code else ()
        name, amount, level = unit.name, unit.annual_graduates, None
    else:
        codes, name, amount, level = tuple(unit.codes or ()), unit.field, unit.headcount, unit.level
    inferred = infer_codes(text) if infer_codes and text and not codes else ()
    return UnitCard(unit.id, profile_id, name, codes, amount, unit.embedding_key, words, inferred=inferred, level=level)


def profile_card(spec: SideSpec, profile: Profile) -> ProfileCard:
    return ProfileCard(
        id=profile.id, name=profile.name, name_zh=profile.name_zh, country=profile.country,
        province=profile.province, city=profile.city, lat=profile.lat, lon=profile.lon,
        modes=frozenset(profile.cooperation_modes),
        preferred_provinces=frozenset(profile.preferred_provinces) if isinstance(profile, Enterprise) else frozenset(),
        units=tuple(u.id for u in spec.units_of(profile)),
        kind=getattr(profile, "kind", None) if isinstance(profile, College) else None,
    )


def db_version(session: Session, spec: SideSpec) -> int:
    return session.scalar(select(IndexVersion.version).where(IndexVersion.side == str(spec.side))) or 0


def load_cards(session: Session, spec: SideSpec, text_of: Callable[[Any], str] | None = None,
               infer_codes: Callable[[str], tuple[str, ...]] | None = None,
               ) -> tuple[dict[int, ProfileCard], dict[int, UnitCard], list[int], list[bytes]]:
    """Every profile and unit of a side, and the stored vectors of the units that have one.

    Plain column selects: at 100,000 units, ORM objects would cost seconds for nothing.
    """
    model: Any = spec.model
    unit_model: Any = spec.unit_model
    columns = [model.id, model.name, model.name_zh, model.country, model.province, model.city, model.lat,
               model.lon, model.cooperation_modes]
    extra = Enterprise.preferred_provinces if model is Enterprise else College.kind
    profile_rows: Any = session.execute(select(*columns, extra).order_by(model.id)).all()
    owner = unit_model.college_id if unit_model.__tablename__ == "specialties" else unit_model.enterprise_id
    name_col = getattr(unit_model, spec.unit_name)
    codes_col = getattr(unit_model, "code" if spec.unit_label == "specialty" else "codes")
    amount_col = getattr(unit_model, "annual_graduates" if spec.unit_label == "specialty" else "headcount")
    text_cols = [getattr(unit_model, f).label(f"text_{f}") for f in spec.unit_fields]
    query = (select(unit_model.id, owner, name_col, codes_col, amount_col, unit_model.embedding_key,
                    unit_model.embedding, *text_cols).order_by(owner, unit_model.position, unit_model.id))
    if model is Enterprise:
        query = query.add_columns(Enterprise.industry.label("text_industry")).join(Enterprise, owner == Enterprise.id)
    unit_rows = session.execute(query).all()
    by_profile: dict[int, list[int]] = {}
    units: dict[int, UnitCard] = {}
    ids: list[int] = []
    vectors: list[bytes] = []
    for row in unit_rows:
        unit_id, profile_id, name, codes, amount, key, embedding = row[:7]
        code_tuple = tuple(codes) if isinstance(codes, list) else ((codes,) if codes else ())
        text = text_of(_TextRow(row._mapping)) if text_of else ""
        inferred = infer_codes(text) if infer_codes and text and not code_tuple else ()
        level = row._mapping.get("text_level")
        units[unit_id] = UnitCard(unit_id, profile_id, name, code_tuple, amount, key if embedding else None,
                                  keywords(text), inferred=inferred, level=str(level) if level else None)
        by_profile.setdefault(profile_id, []).append(unit_id)
        if embedding is not None:
            ids.append(unit_id)
            vectors.append(embedding)
    profiles = {
        row[0]: ProfileCard(
            id=row[0], name=row[1], name_zh=row[2], country=row[3], province=row[4], city=row[5], lat=row[6],
            lon=row[7], modes=frozenset(row[8] or ()),
            preferred_provinces=frozenset(row[9] or ()) if model is Enterprise else frozenset(),
            units=tuple(by_profile.get(row[0], ())),
            kind=None if model is Enterprise else row[9],
        )
        for row in profile_rows
    }
    return profiles, units, ids, vectors


class _TextRow:
    """A unit row's text columns under the unit's own attribute names, for `text_of`."""

    def __init__(self, mapping: Mapping[Any, Any]) -> None:
        for key, value in mapping.items():
            if isinstance(key, str) and key.startswith("text_"):
                setattr(self, key[5:], value)
