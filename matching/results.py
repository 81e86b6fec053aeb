"""Response shapes of suggestions: what a ranked partner carries so a person can check it."""

from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, Field, PrivateAttr, field_serializer
from typing_extensions import TypedDict

from matching.rounding import Rounded, parts_of, shown


class Component(BaseModel):
    value: Rounded = Field(description="The feature's value in [0, 1]")
    weight: Rounded = Field(description="Its weight; weights sum to 1")
    contribution: Rounded = Field(description="value × weight, rounded so that the contributions add up to the "
                                              "score as shown (each within 1e-4 of value × weight)")


# Component as serialised: the same fields and descriptions (derived, so they cannot drift), documented in
# OpenAPI as "Component" like the model it is made from.
ComponentJson = TypedDict(  # type: ignore[misc]  # fields from the model, which mypy cannot follow
    "Component", {name: Annotated[float, Field(description=field.description)]
                  for name, field in Component.model_fields.items()})


class UnitRef(BaseModel):
    id: int
    name: str
    codes: list[str]
    inferred_codes: list[str] = Field([], description="Without codes of its own: the catalogue codes its text "
                                      "is closest to (by name), which the catalogue feature compares instead")
    amount: int = Field(description="Graduates a year (specialty) or headcount (talent gap)")


class MatchedPair(BaseModel):
    query_unit: UnitRef
    candidate_unit: UnitRef
    similarity: Rounded = Field(description="Cosine similarity of the two units' embeddings")
    keyword_overlap: Rounded = Field(description="IDF-weighted share of the gap's keywords in the specialty's text")
    shared_keywords: list[str] = Field(description="The keywords both texts contain, rarest first (at most 5)")
    code_agreement: str = Field(description="code, class, category or none")
    code_inferred: bool = Field(False, description="code_agreement rests on a code inferred from a unit's text, "
                                "not one the unit states")
    relevant: bool = Field(description="a match: similarity at or above the service's min_similarity, or both "
                          "units state the same catalogue code")


class Capacity(BaseModel):
    graduates_per_year: int = Field(description="Annual graduates of the specialties in relevant pairs")
    headcount: int = Field(description="Headcount of the talent gaps (every gap is paired once)")
    covered: int = Field(description="People those specialties can supply: per specialty, the lesser of its "
                         "graduates and the summed headcount of the gaps paired with it")
    coverage: Rounded = Field(description="covered / headcount")


class Reciprocity(BaseModel):
    asker_view: Rounded = Field(description="How much of the asker's amount this partner covers")
    candidate_view: Rounded = Field(description="How much of the partner's own amount the asker would use")
    combined: Rounded = Field(description="Harmonic mean of the two views")


class SuggestionPublic(BaseModel):
    id: int
    name: str
    name_zh: str | None
    country: str
    province: str | None
    city: str | None
    rank: int
    score: Rounded = Field(ge=0, le=1, description="The sum of the components' contributions (4 decimals)")
    components: dict[str, Component]
    matched: list[MatchedPair]
    capacity: Capacity
    distance_km: float | None
    reciprocity: Reciprocity
    reasons: list[str]
    # The reasons in other languages, when asked for (match lists store them with the explanation).
    _reasons_by_language: dict[str, list[str]] = PrivateAttr(default_factory=dict)

    def explanation(self) -> dict[str, object]:
        """The suggestion as stored with a match-list entry: its JSON and `reasons_by_language`."""
        data: dict[str, object] = self.model_dump(mode="json")
        if self._reasons_by_language:
            data[REASONS_BY_LANGUAGE] = self._reasons_by_language
        return data

    @field_serializer("components", when_used="json", return_type=dict[str, ComponentJson])
    def _contributions_add_up(self, components: dict[str, Component]) -> dict[str, dict[str, float]]:
        """Rounded together, the contributions add up to the score as shown (matching.rounding).

        Plain dicts of rounded floats, not copies of the models: serialised without a call back into
        Python per field, a 10-suggestion page took 0.37-0.41 against 0.73-0.85 ms, the same bytes
        (benchmarks/bench_serialise.py)."""
        rounded = parts_of([c.contribution for c in components.values()], self.score)
        return {name: {"value": shown(c.value), "weight": shown(c.weight), "contribution": r}
                for (name, c), r in zip(components.items(), rounded, strict=True)}


REASONS_BY_LANGUAGE = "reasons_by_language"


class FeatureMatrix:
    """A page's feature values as scored (rows: suggestions, columns: matching.ranking.FEATURES). Compared by
    value: pydantic compares private attributes when comparing models, and an array's == is elementwise."""

    __slots__ = ("values",)

    def __init__(self, values: Any) -> None:
        self.values = values

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FeatureMatrix) and bool(np.array_equal(self.values, other.values))

    __hash__ = None  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.values)


class SuggestionsPublic(BaseModel):
    data: list[SuggestionPublic]
    count: int = Field(description="Suggestions on this page")
    offset: int
    limit: int
    reason: str | None = Field(None, description="Why the list is empty, when it is")
    impression_id: int | None = Field(None, description="This page's impression (as logged for training): give "
                                      "it with feedback on a suggestion. Null when logging is off or skipped")
    # The page's feature matrix as scored (rows: `data`, columns: matching.ranking.FEATURES), for the
    # impression log: handed over as is, so logging costs the request no per-suggestion work.
    _features: "FeatureMatrix | None" = PrivateAttr(None)
