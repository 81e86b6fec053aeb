"""Keyword overlap between a talent gap and a specialty: the lexical half of a hybrid match.

Dense similarity misses exact terms a person would spot ("spectrophotometer", a catalogue name
quoted verbatim); BM25 over whole profiles finds them. Here the same idea works per unit pair:
the share of the gap's keywords, weighted by their rarity (IDF among all gaps), that the
specialty's text also contains. Counts are kept per unit and updated with every write.
"""

import math
import re
from collections import Counter
from collections.abc import Iterable

WORD = re.compile(r"[a-z][a-z0-9]+")
_STOPWORDS = """
a an and are as at be by for from has have in into is it its of on or our the their this to was we were will with
you your they them who which what that these those than then there also can may all any each per new more most
year years work workers staff wanted level industry technology technician technicians
"""
STOPWORDS = frozenset(_STOPWORDS.split())


def keywords(text: str) -> frozenset[str]:
    """Lower-case words of three or more letters, stopwords dropped, a plural 's' folded."""
    out = set()
    for word in WORD.findall(text.casefold()):
        if len(word) < 3 or word in STOPWORDS:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.add(word)
    return frozenset(out)


class KeywordStats:
    """Document frequencies of keywords among the units of one side; IDF from them."""

    def __init__(self) -> None:
        self.df: Counter[str] = Counter()
        self.documents = 0
        self._idf: dict[str, float] = {}  # scoring asks for the same words millions of times

    def add(self, words: Iterable[frozenset[str]]) -> None:
        for w in words:
            self.df.update(w)
            self.documents += 1
        self._idf.clear()

    def remove(self, words: Iterable[frozenset[str]]) -> None:
        for w in words:
            self.df.subtract(w)
            self.documents -= 1
        self._idf.clear()

    def idf(self, word: str) -> float:
        value = self._idf.get(word)
        if value is None:
            value = self._idf[word] = math.log(1 + (self.documents + 1) / (self.df.get(word, 0) + 1))
        return value

    def overlap(self, gap: frozenset[str], specialty: frozenset[str]) -> float:
        """IDF-weighted share of the gap's keywords found in the specialty's, in [0, 1]."""
        if not gap:
            return 0.0
        total = sum(self.idf(w) for w in gap)
        return sum(self.idf(w) for w in gap & specialty) / total

    def shared(self, gap: frozenset[str], specialty: frozenset[str], limit: int = 5) -> list[str]:
        """The shared keywords, rarest first: what a reader can check in both texts."""
        return sorted(gap & specialty, key=lambda w: (-self.idf(w), w))[:limit]
