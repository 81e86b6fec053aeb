"""Keyword overlap between a talent gap and a specialty: the lexical half of a hybrid match.

Dense similarity misses exact terms a person would spot ("spectrophotometer", a catalogue name
quoted verbatim); BM25 over whole profiles finds them. Here the same idea works per unit pair:
the share of the gap's keywords, weighted by their rarity (IDF among all gaps), that the
specialty's text also contains. Counts are kept per unit and updated with every write.
"""

import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

import numpy as np

WORD = re.compile(r"[a-z][a-z0-9]+")
# Han runs are segmented; Cyrillic (Russian, Kazakh, Kyrgyz) words are stemmed like Latin ones.
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
CYRILLIC = re.compile(r"[а-яёіїәғқңөұүһ]+")
KAZAKH_LETTERS = frozenset("әғқңөұүһі")  # the Russian stemmer would cut these words wrongly
_STOPWORDS = """
a an and are as at be by for from has have in into is it its of on or our the their this to was we were will with
you your they them who which what that these those than then there also can may all any each per new more most
year years work workers staff wanted level industry technology technician technicians
"""
STOPWORDS = frozenset(_STOPWORDS.split())
# Words every Chinese post or specialty carries ("technology", "specialty", "Co., Ltd.", "recruit",
# "responsible for"): left in, they would outweigh the words that say what the work is.
_STOPWORDS_ZH = """
技术 技术员 技术人员 专业 有限公司 有限 公司 股份 集团 企业 学院 学校 职业 职业技术 招聘 负责
需要 需求 人员 人才 员工 工作 岗位 以上 以下 我们 我司 本公司 能够 熟悉 具有 具备 相关 经验 优先
要求 左右 若干 进行 以及 或者 其他 各类 方面 从事 参与 提供 培养 合作 开展
"""
STOPWORDS_ZH = frozenset(_STOPWORDS_ZH.split())
# Single characters are keywords too: a post's "印染" and a specialty's "染整" share no word, but the
# rare character 染 ("dye"); these characters are too common in posts and names to say anything.
# 工 alone (工人, 工艺, 化工 …) says nothing; the word 化工 still counts.
STOP_CHARS = frozenset("的和与及等或在为对有是了并可将由于中其每各该多新能会做到把被从名人员技术专业"
                       "负责招聘需要公司有限企业集团学院校职岗位以上下熟悉具备相关经验优先要求若干进行我们本工")
_STOPWORDS_RU = """
для при что как или это его она они оно все всех наш наша наше наши ваш ваша год года лет работ работа работы
требуется требуются нужны нужен специалист специалисты специалистов также который которая которые кадры кадров
мы вы быть есть без под над про если уже или так тоже только также менее более очень
"""
STOPWORDS_RU = frozenset(_STOPWORDS_RU.split())


def keywords(text: str) -> frozenset[str]:
    """The words of a text that say what the work is, in any of the languages users write.

    Latin and Cyrillic: lower-case words of three or more letters, stopwords dropped; English
    plurals folded, Russian words stemmed (Snowball). Chinese: jieba's words, in search mode (so
    "技术员" also yields "技术", "数字化" also "数字"), of two or more characters, and the single
    characters, stopwords dropped (measured against words alone and character pairs in
    benchmarks/bench_lexical.py).
    """
    folded = text.casefold()
    out = set(_latin(folded))
    out.update(_cyrillic(folded))
    out.update(_han(folded))
    return frozenset(out)


def _latin(text: str) -> Iterator[str]:
    for word in WORD.findall(text):
        if len(word) < 3 or word in STOPWORDS:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        yield word


def _cyrillic(text: str) -> Iterator[str]:
    words = [w for w in CYRILLIC.findall(text.replace("ё", "е")) if len(w) >= 3 and w not in STOPWORDS_RU]
    if not words:
        return
    russian = [w for w in words if not KAZAKH_LETTERS.intersection(w)]
    stems = dict(zip(russian, _russian_stemmer().stemWords(russian), strict=True))
    for word in words:
        stem = stems.get(word, word)
        if len(stem) >= 3 and stem not in STOPWORDS_RU:
            yield stem


def _han(text: str) -> Iterator[str]:
    runs = HAN.findall(text)
    if not runs:
        return
    segmenter = chinese_segmenter()
    for run in runs:
        for word in segmenter.cut_for_search(run, HMM=True):
            if len(word) >= 2 and word not in STOPWORDS_ZH:
                yield word
        yield from (c for c in run if c not in STOP_CHARS)


_load_lock = threading.Lock()


@cache
def chinese_segmenter() -> Any:
    """jieba's tokenizer with its bundled dictionary: loaded on first use (about 0.7 s), once."""
    with _load_lock:
        import jieba  # imported here: its import and dictionary cost only where Chinese is used

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        return tokenizer


@cache
def _russian_stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("russian")


def warm_up() -> None:
    """Load the segmenter and stemmer now (the app's lifespan), not in a user's first request."""
    chinese_segmenter()
    _russian_stemmer()


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
