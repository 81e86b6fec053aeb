"""`matchmaker train`: dataset → grouped-fold evaluation → a versioned model artifact.

Data: the dev set when `--dev-set` is given. The service's own outcomes (partnerships, feedback,
decisions, impressions) are read through `matching.outcomes.read` (branch `outcomes`), turned into
the same label rows by `training.rows`; until that module is merged there is nothing to read there.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from embeddings.encoder import Encoder
from matching.rankers import RankerModel, RankerStore
from matching.ranking import FEATURE_SCHEMA, FEATURES, RankingSettings
from matching.reference import Reference
from training import devset
from training.dev_eval import evaluate_dev, import_devset, temporary_directory, train_final


def train(store: RankerStore, encoder: Encoder, reference: Reference, dev_set: Path, *, folds: int = 5,
          version: str | None = None, config: RankingSettings | None = None,
          log: Callable[[str], None] = lambda s: None) -> RankerModel:
    dev = devset.load(dev_set)
    log(f"dev set: {len(dev.colleges)} colleges, {len(dev.enterprises)} enterprises, {len(dev.pairs)} partnerships")
    with temporary_directory() as tmp:
        pools = import_devset(dev, encoder, reference, Path(tmp))
        evaluation = evaluate_dev(dev, pools, encoder, config, folds=folds, log=log)
        weights, alpha = train_final(dev, pools, config)
    summary: list[dict[str, Any]] = evaluation.summary()
    model = RankerModel(
        version=version or datetime.now(UTC).strftime("trained-%Y%m%dT%H%M%S"),
        feature_schema=FEATURE_SCHEMA, features=list(FEATURES),
        weights=dict(zip(FEATURES, (float(w) for w in weights), strict=True)),
        list_min_similarity=0.0,  # evaluated listing every candidate: the score decides
        metrics={"folds": folds, "grouped_by": "query", "held_out": summary, "alpha": alpha,
                 "model": encoder.name if hasattr(encoder, "name") else None},
        data_summary={"dev_set": str(dev_set), "records": dev.records, "colleges": len(dev.colleges),
                      "enterprises": len(dev.enterprises), "partnerships": len(dev.pairs),
                      "partner_kinds": ["enterprise"], "outcomes": "not read (matching.outcomes not present)"},
    )
    store.save(model)
    log(evaluation.table())
    return model
