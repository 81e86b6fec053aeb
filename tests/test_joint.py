"""Joint training on two sets (training/joint.py): folds grouped by query on each set, one model per fold over
both, each set's share of the loss honoured, every set and direction evaluated."""

from pathlib import Path

import numpy as np

from embeddings.encoder import Encoder
from matching.ranking import RankingSettings, calibrated
from matching.reference import Reference
from training.dev_eval import DIRECTIONS, fit
from training.joint import as_devset, evaluate_joint, fit_shared, fold_rows, load_part
from training.labelled_pairs import generate_labelled


def test_joint_folds_shares_and_results(encoder: Encoder, reference: Reference, tmp_path: Path) -> None:
    config = calibrated(RankingSettings(), encoder.name)
    parts = []
    for name, seed in (("a", 11), ("b", 13)):
        (tmp_path / name).mkdir()
        labelled = generate_labelled(n_pairs=24, n_distractor_colleges=10, n_distractor_enterprises=10, seed=seed)
        dev = as_devset(labelled)
        assert len(dev.pairs) == 24 and all(w == 1.0 for _, _, w in dev.pairs)
        parts.append(load_part(name, dev, encoder, reference, tmp_path / name))
    rows = [fold_rows(p, i, 2, config) for i, p in enumerate(parts)]
    for part_rows in rows:
        for fold in part_rows:
            train = {r.query for r in fold.train}
            test = {r.query for d in DIRECTIONS for r in fold.test[d]}
            assert train and test and not train & test  # a query is never in train and test
    assert not {r.query for r in rows[0][0].train} & {r.query for r in rows[1][0].train}  # groups apart
    # A set with share 0 changes nothing: the model is the other set's alone.
    a, b = rows[0][0].train, rows[1][0].train
    alone = fit(a, 1e-3).coef_
    assert np.allclose(fit_shared([a, b], 1e-3, [1.0, 0.0]).coef_, alone, atol=1e-6)
    assert not np.allclose(fit_shared([a, b], 1e-3, [0.5, 0.5]).coef_, alone, atol=1e-3)

    evaluation = evaluate_joint(parts, config, folds=2, recipes=["dev only", "joint, equal shares"])
    keys = set(evaluation.results)
    for recipe in ("dev only", "joint, equal shares"):
        for part in ("a", "b"):
            for direction in DIRECTIONS:
                for method in ("trained", "trained, similarity gate", "hand weights", "BM25"):
                    per_fold = evaluation.results[(recipe, part, direction, method)]
                    assert len(per_fold) == 2 and all(0 <= v["recall@10"] <= 1 for v in per_fold)
    assert len(keys) == 2 * 2 * 2 * 4
    assert [c["shares"] for c in evaluation.chosen["dev only"]] == [(1.0,), (1.0,)]
    assert [c["shares"] for c in evaluation.chosen["joint, equal shares"]] == [(0.5, 0.5), (0.5, 0.5)]
    rows_out = evaluation.summary()
    assert {r["direction"] for r in rows_out} == {f"{p}: {d}" for p in ("a", "b") for d in DIRECTIONS}
    assert len(evaluation.differences("joint, equal shares", "trained", "hand weights")) == 4
