"""Reasons for the whole-profile features (issue 11), kept apart from matching/explain.py's texts: a
line only when the feature counts in this ranker (weight > 0) and says something (value > 0)."""

from matching.messages import ENGLISH, Wording
from matching.ranking import Scored


def profile_reasons(scored: Scored, i: int, wording: Wording = ENGLISH) -> list[str]:
    w, v = scored.weights, {f: float(values[i]) for f, values in scored.values.items()}

    def counts(feature: str) -> bool:
        return w.get(feature, 0.0) > 0 and v.get(feature, 0.0) > 0

    out = []
    if counts("partnered"):
        out.append(wording("profile.partnered"))
    if counts("collaborative"):
        out.append(wording("profile.collaborative", similarity=f"{v['collaborative']:.2f}"))
    if counts("name_mention"):
        out.append(wording("profile.name_mention"))
    if counts("same_city"):
        out.append(wording("profile.same_city"))
    if counts("lexical"):
        out.append(wording("profile.lexical", share=f"{v['lexical']:.2f}"))
    if counts("kind_level") and v["kind_level"] >= 0.8:
        out.append(wording("profile.kind_level"))
    return out
