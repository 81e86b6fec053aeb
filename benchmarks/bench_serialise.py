"""Serialising a page of suggestions to JSON (`SuggestionsPublic.model_dump_json`), as a cache miss does.

    .venv/bin/python -m benchmarks.bench_serialise             # 10 suggestions a page, 300 pages
    .venv/bin/python -m benchmarks.bench_serialise --size 100

The page is synthetic but shaped like a served one (every feature a component, three matched pairs, three
reasons), seeded, so its JSON's sha1 is printed too: a change to serialisation must keep it.
"""

import argparse
import hashlib
import os
import random
import timeit

from matching.ranking import FEATURES
from matching.results import (
    Capacity,
    Component,
    MatchedPair,
    Reciprocity,
    SuggestionPublic,
    SuggestionsPublic,
    UnitRef,
)


def page(size: int = 10, seed: int = 1) -> SuggestionsPublic:
    rng = random.Random(seed)
    suggestions = []
    for i in range(size):
        weights = [rng.random() for _ in FEATURES]
        weights = [w / sum(weights) for w in weights]
        components = {f: Component(value=v, weight=w, contribution=v * w)
                      for f, w, v in zip(FEATURES, weights, (rng.random() for _ in FEATURES), strict=True)}
        unit = UnitRef(id=1, name="Dyeing and finishing", codes=["480405"], amount=3)
        pairs = [MatchedPair(query_unit=unit, candidate_unit=unit, similarity=rng.random(), keyword_overlap=0.25,
                             shared_keywords=["dyeing"], code_agreement="code", relevant=True) for _ in range(3)]
        suggestions.append(SuggestionPublic(
            id=i + 1, name="College", name_zh="学院", country="CN", province="Xinjiang", city="Korla", rank=i + 1,
            score=min(1.0, sum(c.contribution for c in components.values())), components=components,
            matched=pairs, capacity=Capacity(graduates_per_year=120, headcount=40, covered=40, coverage=1.0),
            distance_km=12.5, reciprocity=Reciprocity(asker_view=0.4, candidate_view=0.3, combined=0.34),
            reasons=["Trains what you ask"] * 3))
    return SuggestionsPublic(data=suggestions, count=size, offset=0, limit=size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10, help="suggestions a page (default 10)")
    parser.add_argument("--pages", type=int, default=300, help="timed serialisations (default 300)")
    args = parser.parse_args()
    built = page(args.size)
    body = built.model_dump_json()
    seconds = timeit.timeit(built.model_dump_json, number=args.pages)
    print(f"{args.size} suggestions: {len(body):,} bytes, sha1 {hashlib.sha1(body.encode()).hexdigest()[:12]}; "
          f"{seconds / args.pages * 1000:.3f} ms a page ({args.pages} pages); load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
