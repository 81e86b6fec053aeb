"""Keyword overlap between a talent gap and a specialty: the lexical half of a hybrid match.

Dense similarity misses exact terms a person would spot ("spectrophotometer", a catalogue name
quoted verbatim); BM25 over whole profiles finds them. Here the same idea works per unit pair:
the share of the gap's keywords, weighted by their rarity (IDF among all gaps), that the
specialty's text also contains. Counts are kept per unit and updated with every write.
"""

import math
import re
import threading
from collections import Counter
from collections.abc import Iterable

import numpy as np

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


class Vocabulary:
    """Word → integer id, one for both sides, so scoring compares a gap's and a specialty's words
    as integer arrays. Only indexed units' words get ids: a search text's new words match nothing."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._ids)

    def ids(self, words: Iterable[str]) -> np.ndarray:
        """Sorted ids, adding unknown words."""
        out = []
        for word in words:
            i = self._ids.get(word)
            if i is None:
                with self._lock:
                    i = self._ids.setdefault(word, len(self._ids))
            out.append(i)
        return np.array(sorted(out), dtype=np.int32)

    def known(self, words: Iterable[str]) -> np.ndarray:
        """Sorted ids of the words that have one."""
        return np.array(sorted(i for w in words if (i := self._ids.get(w)) is not None), dtype=np.int32)


VOCABULARY = Vocabulary()


class KeywordStats:
    """Document frequencies of keywords among the units of one side; IDF from them."""

    def __init__(self, vocabulary: Vocabulary = VOCABULARY) -> None:
        self.vocabulary = vocabulary
        self.df: Counter[str] = Counter()
        self.documents = 0
        self._df_by_id = np.zeros(0, np.float64)
        self._idf: dict[str, float] = {}  # scoring asks for the same words millions of times
        self._idf_vector: np.ndarray | None = None

    def add(self, words: Iterable[frozenset[str]]) -> None:
        self._count(words, 1)

    def remove(self, words: Iterable[frozenset[str]]) -> None:
        self._count(words, -1)

    def _count(self, words: Iterable[frozenset[str]], sign: int) -> None:
        changed: list[np.ndarray] = []
        for w in words:
            if sign > 0:
                self.df.update(w)
            else:
                self.df.subtract(w)
            self.documents += sign
            changed.append(self.vocabulary.ids(w))
        ids = np.concatenate(changed) if changed else np.zeros(0, np.int32)
        if len(ids) and int(ids.max()) >= len(self._df_by_id):
            grown = np.zeros(max(int(ids.max()) + 1, 2 * len(self._df_by_id)), np.float64)
            grown[:len(self._df_by_id)] = self._df_by_id
            self._df_by_id = grown
        np.add.at(self._df_by_id, ids, sign)
        self._idf.clear()
        self._idf_vector = None

    def idf_vector(self) -> np.ndarray:
        """IDF by word id for the whole vocabulary, and a trailing 0 for padding (id -1)."""
        size = len(self.vocabulary)
        vector = self._idf_vector
        if vector is None or len(vector) != size + 1:
            df = np.zeros(size)
            df[:min(size, len(self._df_by_id))] = self._df_by_id[:size]
            vector = np.append(np.log(1 + (self.documents + 1) / (df + 1)), 0.0)
            self._idf_vector = vector
        return vector

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
