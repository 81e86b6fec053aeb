"""Per-model default `min_score` of match lists, derived from data the way `min_similarity` is
(training/calibrate.py).

A score is a sum of weight × feature value, and its features read similarities, so a score of another
embedding model, or of another ranker's weights, lives on another scale: 0.3 (the value match lists
were tuned with, all-MiniLM-L6-v2 and the hand weights) means something else elsewhere.

Data: the synthetic labelled set of the tuning seed (training/labelled_pairs.py, seed 11), whose true
partner pairs are complete by construction. Each enterprise with true partners asks for colleges as a
match list does (matching.suggest.rank with the model's calibrated min_similarity, the hand weights, no
partnership history); a true pair is *usable* when its college is listed (one of their unit pairs is a
match: what a list can allocate at all), and its feature vector is kept.

The rule, as for min_similarity: what min_score decides is which usable pairs a list may allocate. The
share of the reference's usable true pairs (all-MiniLM-L6-v2, hand weights) that score at least 0.3
is the share kept: each model's default is the highest score (rounded down to 0.001) that the same
share of its usable true pairs reach. The feature vectors are written with the figures
(embeddings/list_scores.json), so that a trained ranker's default is derived by the service from the
same pairs with that ranker's weights (embeddings.thresholds.min_score), with no new calibration:

    python -m training.calibrate_lists [--models multilingual-e5-small all-MiniLM-L6-v2 use-multilingual-v3]
"""

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from sqlalchemy import select

from embeddings.encoder import BACKENDS, E5, MINILM, USE, load_encoder
from embeddings.index import configure_threads
from embeddings.thresholds import LIST_SCORES_FILE, reached_by
from matching.db import make_engine, make_sessionmaker, upgrade
from matching.embedding import Embedder
from matching.live import LiveIndex
from matching.prepare import dedup_key
from matching.ranking import FEATURES, RankingSettings, calibrated
from matching.reference import Reference
from matching.sides import COLLEGES, ENTERPRISES
from matching.suggest import MatchFilter, profile_query, rank
from matching.transfer import import_text
from service.settings import REPO_DATA
from training.labelled_pairs import LabelledSet, generate_labelled

REFERENCE_MODEL, REFERENCE_MIN_SCORE = MINILM, 0.3
SEED = 11  # the labelled set's tuning seed (7, 13 and 17 are held out for evaluation)
DECIMALS = 4  # of the stored feature values (as the API shows them)


def usable_pairs(model: str, labelled: LabelledSet, reference: Reference, directory: Path) -> tuple[np.ndarray, int]:
    """(feature vectors of the usable true pairs, rows × FEATURES; the number of true pairs)."""
    configure_threads(1)
    engine = make_engine(f"sqlite:///{directory / f'{model}.db'}")
    upgrade(engine)
    live = LiveIndex(Embedder(load_encoder(model), reference.catalogue), None)
    with make_sessionmaker(engine)() as session:
        live.load(session)
        ids: dict[str, list[int]] = {}
        for spec, records in ((COLLEGES, labelled.colleges), (ENTERPRISES, labelled.enterprises)):
            import_text(session, spec, "\n".join(json.dumps(r, ensure_ascii=False) for r in records), "jsonl",
                        reference, live=live)
            by_key = {key: pid for pid, key in session.execute(select(spec.model.id, spec.model.dedup_key))}
            ids[spec.side] = [by_key[dedup_key(r["name"], r.get("city"))] for r in records]
    engine.dispose()
    config = calibrated(RankingSettings(), model)
    partners: dict[int, set[int]] = {}
    for e, c in labelled.pairs:
        partners.setdefault(e, set()).add(ids[COLLEGES.side][c])
    rows = []
    for e, wanted in sorted(partners.items()):
        query = profile_query(live.pool(ENTERPRISES), ids[ENTERPRISES.side][e], True)
        scored = rank(live.pool(COLLEGES), query, MatchFilter(), 10**6, config, exact_scan_max=10**9,
                      gap_stats=live.pool(ENTERPRISES).stats).scored
        if scored is None:
            continue
        for i, pid in enumerate(scored.profile_ids):
            if int(pid) in wanted and scored.relevant[i]:
                rows.append([float(scored.values[f][i]) for f in FEATURES])
                assert abs(float(scored.score[i]) - np.dot(rows[-1], weights_of(config))) < 1e-6
    return np.round(np.array(rows, np.float64).reshape(-1, len(FEATURES)), DECIMALS), len(labelled.pairs)


def weights_of(config: RankingSettings) -> np.ndarray:
    normalised = config.weights.normalised()
    return np.array([normalised[f] for f in FEATURES])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=[E5, MINILM, USE], choices=sorted(BACKENDS))
    parser.add_argument("--output", type=Path, default=LIST_SCORES_FILE)
    args = parser.parse_args()
    models = [REFERENCE_MODEL] + [m for m in args.models if m != REFERENCE_MODEL]  # the reference's share first
    labelled = generate_labelled(seed=SEED)
    reference = Reference.load(REPO_DATA)
    hand = weights_of(RankingSettings())
    pairs: dict[str, tuple[np.ndarray, int]] = {}
    with tempfile.TemporaryDirectory(prefix="calibrate-lists-") as tmp:
        for model in models:
            pairs[model] = usable_pairs(model, labelled, reference, Path(tmp))
    share = float((pairs[REFERENCE_MODEL][0] @ hand >= REFERENCE_MIN_SCORE).mean())
    out = {}
    for model in models:
        X, total = pairs[model]
        scores = X @ hand
        threshold = reached_by(scores, share)
        out[model] = {"min_score": threshold, "usable_pairs": len(X), "true_pairs": total,
                      "usable_reaching": round(float((scores >= threshold).mean()), 4),
                      "usable_median_score": round(float(np.median(scores)), 4),
                      "pairs": X.tolist()}
        print(f"{model}: match-list min_score {threshold:.3f} with the hand weights; {len(X)} of {total} true pairs "
              f"usable, {out[model]['usable_reaching']:.2%} of them reaching it (reference share {share:.2%}); "
              f"their median score {out[model]['usable_median_score']}")
    command = "python -m training.calibrate_lists --models " + " ".join(args.models)
    method = (f"synthetic labelled set, seed {SEED}: each enterprise's true partner colleges that a match list could "
              "use (listed at the model's calibrated min_similarity), scored with the hand weights; the share of "
              f"{REFERENCE_MODEL}'s reaching {REFERENCE_MIN_SCORE} ({share:.4f}) is kept: a model's (and a ranker's "
              "weights') default is the highest score that the same share of its pairs reach (pairs: their "
              "feature vectors, in `features` order)")
    args.output.write_text(json.dumps({"command": command, "method": method, "share": share,
                                       "features": list(FEATURES), "models": out},
                                      ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
