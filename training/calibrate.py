"""Per-model similarity thresholds, derived from the catalogue's bilingual names.

Similarities of different models live on different scales (multilingual-e5 puts unrelated texts
near 0.8, MiniLM near 0.1), so `min_similarity` is set per model from data. Each catalogue code
gives three texts: its English name, its Chinese name, and both ("English. 中文", how a coded
unit is embedded; see embeddings/texts.py). Pairs of codes in different categories (first two
digits) are *unrelated*; two texts of the same code are *matched*.

The reference is the threshold the ranking weights were tuned with: 0.35 for all-MiniLM-L6-v2
on English texts. The share of unrelated English pairs that reach it is the false-match rate the
service accepts; every other model's threshold is the similarity that the same share of its
unrelated pairs reach, over all three text forms (those models read Chinese). Written to
embeddings/thresholds.json, which the service reads at start:

    python -m training.calibrate [--models multilingual-e5-small all-MiniLM-L6-v2 use-multilingual-v3]
"""

import argparse
import json
from pathlib import Path

import numpy as np

from embeddings.encoder import BACKENDS, E5, MINILM, USE, load_encoder
from embeddings.thresholds import THRESHOLDS_FILE
from matching.taxonomy import Catalogue

REPO_DATA = Path(__file__).resolve().parent.parent / "data"
REFERENCE_MODEL, REFERENCE_THRESHOLD = MINILM, 0.35
PAIRS = 20_000  # unrelated pairs sampled per model
SEED = 5
_vectors: dict[str, np.ndarray] = {}  # per model: each is encoded once


def texts_of(catalogue: Catalogue) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Three texts per code (en, zh, both): the texts, each text's code index and category."""
    entries = [entry for code in catalogue.codes() if (entry := catalogue.get(code))]
    texts, code_of, category = [], [], []
    for i, entry in enumerate(entries):
        for text in (entry.name_en, entry.name_zh, f"{entry.name_en}. {entry.name_zh}"):
            texts.append(text)
            code_of.append(i)
            category.append(entry.category_code)
    return texts, np.array(code_of), np.array(category)


def similarities(model: str, texts: list[str], code_of: np.ndarray, category: np.ndarray,
                 forms: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(unrelated, matched) similarities; `forms` picks text forms (0 en, 1 zh, 2 both)."""
    if model not in _vectors:
        _vectors[model] = load_encoder(model).encode(texts)
    vectors = _vectors[model]
    rng = np.random.default_rng(SEED)
    form = np.arange(len(texts)) % 3
    pick = np.flatnonzero(np.isin(form, forms))
    a, b = rng.choice(pick, PAIRS), rng.choice(pick, PAIRS)
    keep = category[a] != category[b]
    unrelated = np.einsum("ij,ij->i", vectors[a[keep]], vectors[b[keep]])
    # every pair of distinct forms of one code: en-zh, en-both, zh-both
    first, second = np.flatnonzero(form == 0), np.flatnonzero(form == 1)
    matched = np.concatenate([np.einsum("ij,ij->i", vectors[first], vectors[second]),
                              np.einsum("ij,ij->i", vectors[first], vectors[first + 2]),
                              np.einsum("ij,ij->i", vectors[second], vectors[second + 1])])
    return unrelated, matched


def calibrate(models: list[str], catalogue: Catalogue) -> dict[str, dict[str, float]]:
    texts, code_of, category = texts_of(catalogue)
    ref_unrelated, _ = similarities(REFERENCE_MODEL, texts, code_of, category, (0,))
    false_match_rate = float((ref_unrelated >= REFERENCE_THRESHOLD).mean())
    out = {}
    for model in models:
        if model == REFERENCE_MODEL:
            unrelated, matched = similarities(model, texts, code_of, category, (0,))
            threshold = REFERENCE_THRESHOLD
        else:
            unrelated, matched = similarities(model, texts, code_of, category, (0, 1, 2))
            threshold = float(np.quantile(unrelated, 1 - false_match_rate))
        out[model] = {"min_similarity": round(threshold, 3), "false_match_rate": round(false_match_rate, 4),
                      "matched_recall": round(float((matched >= threshold).mean()), 4),
                      "unrelated_median": round(float(np.median(unrelated)), 3),
                      "matched_median": round(float(np.median(matched)), 3)}
        print(f"{model}: min_similarity {threshold:.3f}; unrelated pairs reaching it {false_match_rate:.2%}, "
              f"matched pairs {out[model]['matched_recall']:.2%}; medians: unrelated "
              f"{out[model]['unrelated_median']}, matched {out[model]['matched_median']}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=[E5, MINILM, USE], choices=sorted(BACKENDS))
    parser.add_argument("--output", type=Path, default=THRESHOLDS_FILE)
    args = parser.parse_args()
    catalogue = Catalogue.load(REPO_DATA / "catalogue" / "vocational_specialties_2021.csv")
    result = calibrate(args.models, catalogue)
    command = "python -m training.calibrate --models " + " ".join(args.models)
    args.output.write_text(json.dumps({"command": command, "models": result}, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
