"""Chinese, English and Russian needs against the sample, with and without Chinese lexical matching.

Each need of benchmarks/zh_needs.py (36 Chinese, the same 36 in English) and a few Russian ones is
sent as a free-text search for colleges (what `POST /search` does) against the whole sample, twice
in one run on the same database and vectors: with this branch's lexical matching (jieba keywords,
Russian stems, catalogue bridge) and with the old one (Latin words only, no inferred codes). A
college is right when one of its specialties states the need's catalogue code or is named as the
catalogue names it. Printed: hit@1 and P@5 per language and mode, and the search's p50 time.

    HF_HUB_OFFLINE=1 python -m benchmarks.bench_chinese_search
"""

import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matching.pool
import matching.suggest
from benchmarks.zh_needs import EN_NEEDS, ZH_NEEDS
from embeddings.encoder import load_encoder
from matching.db import make_engine, make_sessionmaker, upgrade
from matching.embedding import Embedder
from matching.keywords import _latin
from matching.live import LiveIndex
from matching.ranking import RankingSettings
from matching.reference import Reference
from matching.sides import COLLEGES, ENTERPRISES
from matching.suggest import MatchFilter, suggest, text_query
from matching.taxonomy import Catalogue
from matching.transfer import import_text
from service.settings import REPO_DATA

RU_NEEDS: list[tuple[str, str]] = [
    ("Требуются сварщики, 15 человек, аргонодуговая сварка", "460110"),
    ("Нужны электрики для обслуживания подстанции и электрооборудования", "430108"),
    ("Операторы технологических установок на нефтеперерабатывающий завод", "470202"),
    ("Повара и официанты в гостиницу", "540106"),
    ("Водители грузовиков и работники склада для логистического центра", "530802"),
    ("Швеи и технологи швейного производства", "480402"),
]


def old_keywords(text: str) -> frozenset[str]:
    return frozenset(_latin(text.casefold()))


@contextmanager
def old_lexical(embedder: Embedder) -> Iterator[None]:
    """The lexical matching before this change: Latin words only, no codes inferred."""
    modules = (matching.pool, matching.suggest)
    saved = [getattr(m, "keywords") for m in modules]  # noqa: B009 - the name is patched, not read
    for m in modules:
        setattr(m, "keywords", old_keywords)  # noqa: B010
    setattr(embedder, "infer_codes", lambda text: ())  # noqa: B010 - shadows the method on this instance
    try:
        yield
    finally:
        for m, fn in zip(modules, saved, strict=True):
            setattr(m, "keywords", fn)  # noqa: B010
        delattr(embedder, "infer_codes")


def main() -> None:
    reference = Reference.load(REPO_DATA)
    encoder = load_encoder()
    entries = reference.catalogue
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'sample.db'}")
        upgrade(engine)
        embedder = Embedder(encoder, entries)
        with make_sessionmaker(engine)() as session:
            live = LiveIndex(embedder, None)
            live.load(session)
            t = time.perf_counter()
            for spec in (COLLEGES, ENTERPRISES):
                text = (REPO_DATA / "sample" / f"{spec.side}.jsonl").read_text()
                import_text(session, spec, text, "jsonl", reference, live=live)
            print(f"sample imported and embedded in {time.perf_counter() - t:.0f} s")
            sets = {"Chinese": ZH_NEEDS, "English": EN_NEEDS, "Russian": RU_NEEDS}
            vectors = {lang: embedder.encode_texts([t for t, _ in needs]) for lang, needs in sets.items()}
            print(f"{'mode':8} {'language':8} {'needs':>5} {'hit@1':>6} {'P@5':>6} {'p50 ms':>7}")
            for mode in ("new", "old"):
                with old_lexical(embedder) if mode == "old" else _nothing():
                    fresh = LiveIndex(embedder, None)
                    fresh.load(session, use_saved=False)
                    colleges, gaps = fresh.pool(COLLEGES), fresh.pool(ENTERPRISES)
                    for lang, needs in sets.items():
                        hits, precision, times = 0, 0.0, []
                        for (text, gold), vector in zip(needs, vectors[lang], strict=True):
                            t = time.perf_counter()
                            query = text_query(vector, text, 10, True, None, frozenset(),
                                               inferred=embedder.infer_codes(text))
                            page = suggest(colleges, query, MatchFilter(), 5, 0, RankingSettings(),
                                           gap_stats=gaps.stats)
                            times.append((time.perf_counter() - t) * 1000)
                            right = [_trains(colleges, s.id, gold, entries) for s in page.data]
                            hits += bool(right) and right[0]
                            precision += sum(right) / 5
                        print(f"{mode:8} {lang:8} {len(needs):5} {hits / len(needs):6.2f} "
                              f"{precision / len(needs):6.2f} {statistics.median(times):7.1f}")
        engine.dispose()


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _trains(pool: matching.pool.Pool, college_id: int, code: str, entries: Catalogue) -> bool:
    entry = entries.get(code)
    names = {entry.name_en.casefold(), entry.name_zh} if entry else set()
    for unit_id in pool.profiles[college_id].units:
        unit = pool.units[unit_id]
        if code in unit.codes or (not unit.codes and unit.name.split(" (")[0].casefold() in names):
            return True
    return False


if __name__ == "__main__":
    main()
