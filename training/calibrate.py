"""Per-model similarity thresholds, derived from written needs against the catalogue.

Similarities of different models live on different scales (multilingual-e5 puts unrelated texts
near 0.8, MiniLM near 0.1), so `min_similarity` is set per model from data. The served threshold
comes from needs as people write them (benchmarks/multilingual_tuning.jsonl: HR needs, each in
Chinese, English and Russian, labelled with catalogue codes; written apart from the reported set
benchmarks/multilingual_queries.jsonl, which is never tuned on). Catalogue names alone put the
threshold too high: a name is nearer another name than a sentence is to any name.

Each catalogue code gives three texts: its English name, its Chinese name, and both ("English.
中文", how a coded unit begins; see embeddings/texts.py). For each need, in each language the model
reads, and each code text: *matched* when the code is one of the need's labels, *unrelated* when
the code is in a category (first two digits) none of the labels is in; the rest (a neighbouring
specialty) is neither.

The rule: what the threshold decides is whether a need lists the specialty it asks for at all (a
candidate is listed when one of its pairs reaches it), so it is set on that share. The reference
is the threshold the ranking weights were tuned with, 0.35 for all-MiniLM-L6-v2, which reads
English only: the share of the English tuning needs whose best pair with a text of one of their
codes reaches 0.35 is the share the service keeps. Every other model's threshold is the highest
similarity that the same share of its needs (in Chinese, English and Russian) reach. The share of
unrelated pairs that reach it is reported beside (the false-match rate), and so are the older
names-based figures (the same reference on pairs of catalogue names: unrelated pairs reaching
0.35, not served). Written to
embeddings/thresholds.json, which the service reads at start:

    python -m training.calibrate [--models multilingual-e5-small all-MiniLM-L6-v2 use-multilingual-v3]
"""

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embeddings.encoder import BACKENDS, E5, MINILM, USE, Encoder, load_encoder
from embeddings.thresholds import THRESHOLDS_FILE
from matching.taxonomy import Catalogue

REPO = Path(__file__).resolve().parent.parent
CATALOGUE = REPO / "data" / "catalogue" / "vocational_specialties_2021.csv"
TUNING = REPO / "benchmarks" / "multilingual_tuning.jsonl"
REFERENCE_MODEL, REFERENCE_THRESHOLD = MINILM, 0.35
LANGUAGES = ("zh", "en", "ru")
READS = {MINILM: ("en",)}  # the languages a model was trained on; others read all of LANGUAGES
PAIRS = 20_000  # unrelated name pairs sampled per model
SEED = 5
_vectors: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}  # per model and texts: each encoded once
encoders: dict[str, Encoder] = {}  # loaded once per process; a caller may hand in its own


def texts_of(catalogue: Catalogue) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Three texts per code (en, zh, both): the texts, each text's code and category."""
    entries = [entry for code in catalogue.codes() if (entry := catalogue.get(code))]
    texts, code_of, category = [], [], []
    for entry in entries:
        for text in (entry.name_en, entry.name_zh, f"{entry.name_en}. {entry.name_zh}"):
            texts.append(text)
            code_of.append(entry.code)
            category.append(entry.category_code)
    return texts, np.array(code_of), np.array(category)


def load_needs(path: Path = TUNING) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def encoded(model: str, texts: Sequence[str]) -> np.ndarray:
    key = (model, tuple(texts))
    if key not in _vectors:
        if model not in encoders:
            encoders[model] = load_encoder(model)
        _vectors[key] = encoders[model].encode(list(texts))
    return _vectors[key]


def need_similarities(model: str, catalogue: Catalogue, needs: list[dict[str, object]],
                      languages: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unrelated, matched, best): every unrelated and matched (need, code text) similarity, and per
    need and language the best matched one (does the need reach any text of its codes)."""
    texts, code_of, category = texts_of(catalogue)
    vectors = encoded(model, texts)
    unrelated, matched, best = [], [], []
    for lang in languages:
        sims = encoded(model, [str(n[lang]) for n in needs]) @ vectors.T
        for row, need in zip(sims, needs, strict=True):
            labels = list(need["codes"])  # type: ignore[call-overload]
            mine = np.isin(code_of, labels)
            unrelated.append(row[~np.isin(category, [c[:2] for c in labels])])
            matched.append(row[mine])
            best.append(row[mine].max())
    return np.concatenate(unrelated), np.concatenate(matched), np.array(best)


def name_similarities(model: str, catalogue: Catalogue, forms: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(unrelated, matched) similarities of catalogue names; `forms` picks text forms (0 en, 1 zh, 2 both)."""
    texts, _, category = texts_of(catalogue)
    vectors = encoded(model, texts)
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


def threshold_for(unrelated: np.ndarray, false_match_rate: float) -> float:
    """The similarity that `false_match_rate` of the unrelated pairs reach."""
    return float(np.quantile(unrelated, 1 - false_match_rate))


def reached_by(best: np.ndarray, share: float) -> float:
    """The highest similarity (rounded down to 0.001, as served) that at least `share` of `best` reach."""
    k = max(1, int(np.ceil(share * len(best) - 1e-9)))
    return float(np.floor(np.sort(best)[::-1][k - 1] * 1000) / 1000)


def figures(threshold: float, false_match_rate: float, unrelated: np.ndarray, matched: np.ndarray) -> dict[str, float]:
    return {"min_similarity": round(threshold, 3), "false_match_rate": round(false_match_rate, 4),
            "matched_recall": round(float((matched >= threshold).mean()), 4),
            "unrelated_median": round(float(np.median(unrelated)), 3),
            "matched_median": round(float(np.median(matched)), 3)}


def calibrate_needs(models: list[str], catalogue: Catalogue,
                    needs: list[dict[str, object]]) -> dict[str, dict[str, float]]:
    _, _, ref_best = need_similarities(REFERENCE_MODEL, catalogue, needs, READS[REFERENCE_MODEL])
    share = float((ref_best >= REFERENCE_THRESHOLD).mean())
    out: dict[str, dict[str, float]] = {}
    for model in models:
        languages = READS.get(model, LANGUAGES)
        unrelated, matched, best = need_similarities(model, catalogue, needs, languages)
        threshold = REFERENCE_THRESHOLD if model == REFERENCE_MODEL else reached_by(best, share)
        false_match_rate = float((unrelated >= threshold).mean())
        out[model] = figures(threshold, false_match_rate, unrelated, matched) | {
            "needs_reaching": round(float((best >= threshold).mean()), 4), "reference_share": round(share, 4),
            "needs": len(best)}
    return out


def calibrate_names(models: list[str], catalogue: Catalogue) -> dict[str, dict[str, float]]:
    ref_unrelated, _ = name_similarities(REFERENCE_MODEL, catalogue, (0,))
    false_match_rate = float((ref_unrelated >= REFERENCE_THRESHOLD).mean())
    out = {}
    for model in models:
        forms = (0,) if model == REFERENCE_MODEL else (0, 1, 2)
        unrelated, matched = name_similarities(model, catalogue, forms)
        threshold = REFERENCE_THRESHOLD if model == REFERENCE_MODEL else threshold_for(unrelated, false_match_rate)
        out[model] = figures(threshold, false_match_rate, unrelated, matched)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=[E5, MINILM, USE], choices=sorted(BACKENDS))
    parser.add_argument("--output", type=Path, default=THRESHOLDS_FILE)
    args = parser.parse_args()
    catalogue = Catalogue.load(CATALOGUE)
    needs, names = calibrate_needs(args.models, catalogue, load_needs()), calibrate_names(args.models, catalogue)
    models = {}
    for model in args.models:
        n = needs[model]
        print(f"{model}: min_similarity {n['min_similarity']:.3f} (from {n['needs']} written needs × languages); "
              f"needs reaching one of their codes {n['needs_reaching']:.2%} (reference {n['reference_share']:.2%}); "
              f"unrelated need pairs reaching it {n['false_match_rate']:.2%}, matched {n['matched_recall']:.2%}; "
              f"medians: unrelated {n['unrelated_median']}, matched {n['matched_median']}. From names alone: "
              f"{names[model]['min_similarity']:.3f}.")
        models[model] = {"min_similarity": n["min_similarity"], "needs": n, "names": names[model]}
    command = "python -m training.calibrate --models " + " ".join(args.models)
    method = ("needs (served): benchmarks/multilingual_tuning.jsonl against catalogue code texts (en, zh, both); the "
              f"share of English needs whose best pair with their codes reaches {REFERENCE_THRESHOLD} under "
              f"{REFERENCE_MODEL} is kept: each other model's threshold is the highest that the same share of its "
              "needs (zh, en, ru) reach; names (not served): the similarity that as many unrelated catalogue-name "
              f"pairs reach as {REFERENCE_MODEL}'s English ones at {REFERENCE_THRESHOLD}")
    args.output.write_text(json.dumps({"command": command, "method": method, "models": models}, indent=2,
                                      ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
