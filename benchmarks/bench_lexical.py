"""Chinese lexical matching: which way of cutting Chinese text finds the right catalogue specialty.

For each Chinese need of benchmarks/zh_needs.py, every catalogue entry (its Chinese and English
names, as a specialty's text carries them) is ranked two ways: by the keyword feature's measure
(IDF-weighted share of the need's words found in the entry) and by a TF-IDF cosine (what the
catalogue bridge uses). IDF is over the catalogue's entries. Printed: hit@1 and hit@5 per scheme.

    python -m benchmarks.bench_lexical
"""

import math
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from benchmarks.zh_needs import ZH_NEEDS
from matching.bridge import CatalogueBridge
from matching.keywords import HAN, STOP_CHARS, STOPWORDS_ZH, chinese_segmenter, keywords
from matching.taxonomy import Catalogue

CATALOGUE = Path(__file__).resolve().parent.parent / "data" / "catalogue" / "vocational_specialties_2021.csv"


def _non_han(text: str) -> set[str]:
    return set(keywords(HAN.sub(" ", text)))


def jieba_words(text: str) -> frozenset[str]:
    return frozenset(w for w in keywords(text) if not (len(w) == 1 and HAN.fullmatch(w)))


def bigrams(text: str) -> frozenset[str]:
    out = _non_han(text)
    for run in HAN.findall(text):
        out.update(run[i:i + 2] for i in range(len(run) - 1))
    return frozenset(w for w in out if w not in STOPWORDS_ZH)


def with_unigrams(base: Callable[[str], frozenset[str]]) -> Callable[[str], frozenset[str]]:
    def cut(text: str) -> frozenset[str]:
        chars = {c for run in HAN.findall(text) for c in run if c not in STOP_CHARS}
        return base(text) | chars
    return cut


SCHEMES: dict[str, Callable[[str], frozenset[str]]] = {
    "jieba (search mode)": jieba_words,
    "character bigrams": bigrams,
    "jieba + characters": keywords,  # what matching.keywords does
    "bigrams + characters": with_unigrams(bigrams),
}


def rank(need: frozenset[str], docs: list[frozenset[str]], idf: Callable[[str], float], cosine: bool) -> list[int]:
    scores = []
    for i, doc in enumerate(docs):
        shared = need & doc
        if cosine:
            norm = math.sqrt(sum(idf(w) ** 2 for w in need)) * math.sqrt(sum(idf(w) ** 2 for w in doc))
            value = sum(idf(w) ** 2 for w in shared) / norm if norm else 0.0
        else:
            total = sum(idf(w) for w in need)
            value = sum(idf(w) for w in shared) / total if total else 0.0
        scores.append((-value, i))
    return [i for _, i in sorted(scores)]


def main() -> None:
    catalogue = Catalogue.load(CATALOGUE)
    codes = catalogue.codes()
    entries = [catalogue.get(c) for c in codes]
    t = time.perf_counter()
    chinese_segmenter()
    print(f"jieba load: {time.perf_counter() - t:.2f} s")
    print(f"{len(ZH_NEEDS)} Chinese needs against {len(codes)} catalogue entries")
    print(f"{'scheme':24} {'overlap hit@1':>14} {'hit@5':>6} {'cosine hit@1':>13} {'hit@5':>6} {'words/entry':>12}")
    for name, cut in SCHEMES.items():
        docs = [cut(f"{e.name_zh} {e.name_en}") for e in entries if e]
        df = Counter(w for d in docs for w in d)

        def idf(w: str, df: Counter[str] = df, n: int = len(docs)) -> float:
            return math.log(1 + (n + 1) / (df.get(w, 0) + 1))
        row = []
        for cosine in (False, True):
            hits1 = hits5 = 0
            for text, gold in ZH_NEEDS:
                order = rank(cut(text), docs, idf, cosine)
                top = [codes[i] for i in order[:5]]
                hits1 += top[0] == gold
                hits5 += gold in top
            row += [hits1 / len(ZH_NEEDS), hits5 / len(ZH_NEEDS)]
        size = sum(map(len, docs)) / len(docs)
        print(f"{name:24} {row[0]:14.2f} {row[1]:6.2f} {row[2]:13.2f} {row[3]:6.2f} {size:12.1f}")
    bridge = CatalogueBridge(catalogue)
    hits1 = hits5 = inferred = same_class = wrong = 0
    for text, gold in ZH_NEEDS:
        ranked = [code for code, _ in bridge.ranked(text, 5)]
        hits1 += bool(ranked) and ranked[0] == gold
        hits5 += gold in ranked
        guess = bridge.infer(text)
        inferred += gold in guess
        same_class += any(g[:4] == gold[:4] for g in guess)
        wrong += bool(guess) and not any(g[:4] == gold[:4] for g in guess)
    n = len(ZH_NEEDS)
    print(f"bridge: hit@1 {hits1 / n:.2f}, hit@5 {hits5 / n:.2f}; inferred the right code for {inferred}/{n}, "
          f"a code of the right class for {same_class}/{n}, only codes of other classes for {wrong}/{n}")
    t = time.perf_counter()
    for _ in range(10):
        for text, _ in ZH_NEEDS:
            bridge.infer(text)
    print(f"bridge.infer: {(time.perf_counter() - t) / (10 * n) * 1000:.2f} ms a text")


if __name__ == "__main__":
    main()
