"""Reasons for the whole-profile features (issue 11), kept apart from matching/explain.py's texts: a
line only when the feature counts in this ranker (weight > 0) and says something (value > 0)."""

from matching.ranking import Scored


def profile_reasons(scored: Scored, i: int) -> list[str]:
    w, v = scored.weights, {f: float(values[i]) for f, values in scored.values.items()}

    def counts(feature: str) -> bool:
        return w.get(feature, 0.0) > 0 and v.get(feature, 0.0) > 0

    out = []
    if counts("partnered"):
        out.append("You already cooperate")
    if counts("collaborative"):
        out.append(f"Partners with profiles like yours, or like your partners (similarity {v['collaborative']:.2f})")
    if counts("name_mention"):
        out.append("One's name appears in the other's name or profile")
    if counts("same_city"):
        out.append("In the same city")
    if counts("lexical"):
        out.append(f"Their profile shares your words (BM25, {v['lexical']:.2f} of the most possible)")
    if counts("kind_level") and v["kind_level"] >= 0.8:
        out.append("Their kind of school trains for the levels asked")
    return out
