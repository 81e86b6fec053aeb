"""`matchmaker train`: dataset → grouped-fold evaluation → a versioned model artifact.

Data: the service's own outcomes (partnerships, match-list decisions, feedback, impressions; read by
`training.outcome_rows` through `matching.outcomes.read`), plus the dev set of real cooperations when
`--dev-set` is given. Folds are grouped by query (one asker of one direction): a query is never in
train and test. Outcomes are evaluated on their own held-out folds (each fold's model trained on the
other folds' outcome groups and, when given, the whole dev set: other profiles, so nothing leaks);
the dev set on its own folds as in `training.dev_eval`. The artifact's `data_summary` counts each source.
"""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold
from sqlalchemy.orm import Session

from embeddings.encoder import Encoder
from matching.errors import DomainError, Problem
from matching.live import LiveIndex
from matching.rankers import RankerModel, RankerStore
from matching.ranking import FEATURE_SCHEMA, FEATURES, RankingSettings
from matching.reference import Reference
from training import devset, outcome_rows
from training.dev_eval import (
    DIRECTIONS,
    Rows,
    choose_alpha,
    dev_rows,
    evaluate_dev,
    fit,
    import_devset,
    metrics,
    ranking_of,
    relevant,
    temporary_directory,
)
from training.joint import as_devset, part_of
from training.labelled_pairs import LabelledSet
from training.served import SERVED, evaluate_recipe, fit_recipe

SYNTHETIC_GROUP = 10_000_000


class NotEnoughData(DomainError):
    """Too few labelled queries to train and evaluate on held-out folds."""


def held_out(rows: Sequence[Rows], extra: Sequence[Rows], hand: np.ndarray, folds: int) -> list[dict[str, Any]]:
    """Per fold of `rows` (grouped by query): Recall@10 and MRR of the model trained on the other folds plus
    `extra`, and of the hand weights; every shown or scored candidate is ranked."""
    queries = np.array([r.query for r in rows])
    out = []
    for fold, (train_i, test_i) in enumerate(GroupKFold(n_splits=folds).split(queries, groups=queries)):
        train_rows = [rows[i] for i in train_i] + list(extra)
        alpha = choose_alpha(train_rows)
        model = fit(train_rows, alpha)
        for method, weights in (("trained", model.coef_), ("hand weights", hand)):
            found = [metrics(ranking_of(rows[i], weights, every=True), relevant(rows[i])) for i in test_i]
            out.append({"fold": fold, "method": method, "queries": len(found), "alpha": alpha,
                        "recall@10": float(np.mean([m["recall@10"] for m in found])),
                        "mrr": float(np.mean([m["mrr"] for m in found]))})
    return out



def _summary(per_fold: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for method in ("trained", "hand weights"):
        chosen = [r for r in per_fold if r["method"] == method]
        row: dict[str, Any] = {"direction": "outcomes (both)", "method": method,
                               "queries": sum(r["queries"] for r in chosen)}
        for metric in ("recall@10", "mrr"):
            values = np.array([r[metric] for r in chosen])
            row[metric] = float(values.mean())
            row[metric + " sd"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        out.append(row)
    return out


def _named(coef: np.ndarray) -> dict[str, float]:
    return dict(zip(FEATURES, (float(w) for w in coef), strict=True))


def _recipe_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row of training.served's report in the shape of the artifact's held-out rows (`ranker list` reads
    the `trained` ones)."""
    return {"direction": f"{row['set']}: {row['direction']}", "method": "trained", "queries": row["queries"],
            "recall@10": row["recall@10"], row["against"]: row["theirs"], "difference": row["difference"],
            "difference ci95": row["ci95"], "difference sd over folds": row["fold sd"]}


def train(store: RankerStore, encoder: Encoder, reference: Reference, dev_set: Path | None = None, *,
          session: Session | None = None, live: LiveIndex | None = None, folds: int = 5,
          version: str | None = None, config: RankingSettings | None = None,
          synthetic: LabelledSet | None = None, synthetic_seed: int | None = None,
          log: Callable[[str], None] = lambda s: None) -> RankerModel:
    """`session` and `live`: the service's database and its loaded pools (outcomes are read from them).
    `synthetic`: a labelled set (training/labelled_pairs.py) trained on beside the real data: one weight
    vector per asking side, each direction with its own share of the two worlds and no history features
    (training/served.py: the recipe that holds on both)."""
    config = config or RankingSettings()
    hand = np.array([config.weights.normalised()[f] for f in FEATURES])
    outcomes = outcome_rows.build(session, live, config) if session is not None and live is not None else None
    out_rows = outcomes.rows if outcomes is not None else []
    if outcomes is not None:
        s = outcomes.summary
        log(f"outcomes: {s['groups']} queries with a positive and a negative, {s['positives']} positives, "
            f"{s['negatives']} negatives; events {s['events']}")
    if dev_set is None and synthetic is None and len(out_rows) < folds:
        raise NotEnoughData(
            f"not enough outcomes to train: {len(out_rows)} queries (an enterprise or college asking) have both a "
            f"positive and a negative, {folds} are needed for {folds} grouped folds. Declare partnerships, give "
            "feedback on shown suggestions or decide match-list entries, or pass --dev-set PATH",
            [Problem(key, str(value)) for key, value in (outcomes.summary["rows"] if outcomes else {}).items()])
    summary: list[dict[str, Any]] = []
    data: dict[str, Any] = {"outcomes": outcomes.summary if outcomes is not None else "not read"}
    extra: list[Rows] = []
    with temporary_directory() as tmp:
        if dev_set is not None:
            dev = devset.load(dev_set)
            log(f"dev set: {len(dev.colleges)} colleges, {len(dev.enterprises)} enterprises, "
                f"{len(dev.pairs)} partnerships")
            pools = import_devset(dev, encoder, reference, Path(tmp))
            evaluation = evaluate_dev(dev, pools, encoder, config, folds=folds, log=log)
            summary += evaluation.summary()
            log(evaluation.table())
            extra = dev_rows(dev, pools, config)
            data["dev_set"] = {"path": str(dev_set), "records": dev.records, "colleges": len(dev.colleges),
                               "enterprises": len(dev.enterprises), "partnerships": len(dev.pairs),
                               "partner_kinds": ["enterprise"], "queries": len(extra)}
        synthetic_rows: list[Rows] = []
        if synthetic is not None:
            labelled = as_devset(synthetic)
            (Path(tmp) / "synthetic").mkdir()
            log(f"synthetic labelled set: {len(labelled.colleges)} colleges, {len(labelled.enterprises)} "
                f"enterprises, {len(labelled.pairs)} true pairs")
            synthetic_pools = import_devset(labelled, encoder, reference, Path(tmp) / "synthetic")
            synthetic_rows = dev_rows(labelled, synthetic_pools, config)
            for r in synthetic_rows:
                r.query += SYNTHETIC_GROUP  # apart from the dev set's groups
            if dev_set is not None:
                # The served recipe on outer grouped folds of the dev set, per direction (training/served.py);
                # "trained" is now its figures, the dev-only model's keep their own name.
                for row in summary:
                    if row["method"] == "trained":
                        row["method"] = "trained on the dev set alone"
                report = evaluate_recipe(part_of("dev", dev, pools), part_of("synthetic", labelled, synthetic_pools),
                                         [], config, SERVED, folds, log=log)
                summary += [_recipe_row(r) for r in report.rows()]
                log(report.table())
            data["synthetic"] = {"seed": synthetic_seed, "colleges": len(labelled.colleges),
                                 "enterprises": len(labelled.enterprises), "pairs": len(labelled.pairs),
                                 "queries": len(synthetic_rows), "share": dict(SERVED.synthetic_share),
                                 "dropped": list(SERVED.dropped), "alpha": SERVED.alpha}
    if len(out_rows) >= folds:
        per_fold = held_out(out_rows, extra, hand, folds)
        summary += _summary(per_fold)
        for row in _summary(per_fold):
            log(f"outcomes, held out: {row['method']}: Recall@10 {row['recall@10']:.3f} ± {row['recall@10 sd']:.3f}, "
                f"MRR {row['mrr']:.3f} ({row['queries']} queries)")
    elif out_rows:
        log(f"outcomes: {len(out_rows)} queries, fewer than {folds}: trained on, not evaluated on their own")
    rows = out_rows + extra
    if synthetic_rows and not rows:
        rows = synthetic_rows
    college_weights = None
    if synthetic_rows and rows is not synthetic_rows:
        # Both worlds: a weight vector per asking side, each with its own share (training/served.py).
        alpha = SERVED.alpha
        per_direction = fit_recipe(rows, synthetic_rows, SERVED)
        weights, college_weights = per_direction[DIRECTIONS[0]], per_direction[DIRECTIONS[1]]
    else:
        alpha = choose_alpha(rows)
        weights = fit(rows, alpha).coef_
    model = RankerModel(
        version=version or datetime.now(UTC).strftime("trained-%Y%m%dT%H%M%S"),
        feature_schema=FEATURE_SCHEMA, features=list(FEATURES),
        weights=_named(weights),
        college_weights=None if college_weights is None else _named(college_weights),
        list_min_similarity=0.0,  # evaluated listing every candidate: the score decides
        metrics={"folds": folds, "grouped_by": "query", "held_out": summary, "alpha": alpha,
                 "model": encoder.name if hasattr(encoder, "name") else None},
        data_summary=data,
    )
    store.save(model)
    return model
