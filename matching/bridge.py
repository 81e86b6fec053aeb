"""A bridge from free text to the specialty catalogue: which codes a unit without codes is about.

A Chinese post rarely quotes the catalogue ("招聘印染技术员…" for 480405 数字化染整技术), and shares
no whole word with it (印染 / 染整), but it shares rare characters (染, 整) and words. Each entry's
Chinese and English names are cut into keywords (Chinese characters among them), weighted by their
rarity among the entries (IDF); a text's codes are the entries closest to it by TF-IDF cosine, if
close enough. Inferred codes count in the catalogue feature and retrieval, and are reported as
inferred, never as the unit's own.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from matching.keywords import keywords
from matching.taxonomy import Catalogue

MIN_SCORE = 0.30  # cosine below which no code is inferred (benchmarks/bench_lexical.py)
NEAR_SHARE = 0.85  # a second code is inferred when it scores at least this share of the best
MAX_CODES = 2


@dataclass(frozen=True)
class _Entry:
    code: str
    norm: float


class CatalogueBridge:
    def __init__(self, catalogue: Catalogue) -> None:
        codes = catalogue.codes()
        features = {}
        for code in codes:
            entry = catalogue.get(code)
            if entry is not None:
                features[code] = keywords(f"{entry.name_zh} {entry.name_en}")
        df = Counter(f for fs in features.values() for f in fs)
        n = len(features)
        self._idf = {f: math.log(1 + (n + 1) / (count + 1)) for f, count in df.items()}
        self._postings: dict[str, list[int]] = defaultdict(list)
        self._entries: list[_Entry] = []
        for i, (code, fs) in enumerate(features.items()):
            self._entries.append(_Entry(code, math.sqrt(sum(self._idf[f] ** 2 for f in fs))))
            for f in fs:
                self._postings[f].append(i)

    def ranked(self, text: str, limit: int = 5) -> list[tuple[str, float]]:
        """The catalogue codes closest to the text, with their cosine, best first."""
        known = [f for f in keywords(text) if f in self._idf]
        norm = math.sqrt(sum(self._idf[f] ** 2 for f in known))
        if not norm:
            return []
        dot: dict[int, float] = defaultdict(float)
        for f in known:
            weight = self._idf[f] ** 2
            for i in self._postings[f]:
                dot[i] += weight
        scores = sorted(((d / (norm * self._entries[i].norm), self._entries[i].code) for i, d in dot.items()),
                        key=lambda x: (-x[0], x[1]))
        return [(code, score) for score, code in scores[:limit]]

    def infer(self, text: str) -> tuple[str, ...]:
        """The codes the text is most likely about: none when no entry is close enough."""
        ranked = self.ranked(text, MAX_CODES)
        if not ranked or ranked[0][1] < MIN_SCORE:
            return ()
        best = ranked[0][1]
        return tuple(code for code, score in ranked if score >= max(MIN_SCORE, NEAR_SHARE * best))
