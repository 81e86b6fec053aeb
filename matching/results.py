"""Response shapes of suggestions: what a ranked partner carries so a person can check it."""

from pydantic import BaseModel, Field, field_serializer

from matching.rounding import Rounded, parts_of


class Component(BaseModel):
    value: Rounded = Field(description="The feature's value in [0, 1]")
    weight: Rounded = Field(description="Its weight; weights sum to 1")
    contribution: Rounded = Field(description="value × weight, rounded so that the contributions add up to the "
                                              "score as shown (each within 1e-4 of value × weight)")


class UnitRef(BaseModel):
    id: int
    name: str
    codes: list[str]
    amount: int = Field(description="Graduates a year (specialty) or headcount (talent gap)")


class MatchedPair(BaseModel):
    query_unit: UnitRef
    candidate_unit: UnitRef
    similarity: Rounded = Field(description="Cosine similarity of the two units' embeddings")
    keyword_overlap: Rounded = Field(description="IDF-weighted share of the gap's keywords in the specialty's text")
    shared_keywords: list[str] = Field(description="The keywords both texts contain, rarest first (at most 5)")
    code_agreement: str = Field(description="code, class, category or none")
    relevant: bool = Field(description="similarity at or above the service's min_similarity")


class Capacity(BaseModel):
    graduates_per_year: int = Field(description="Annual graduates of the matched specialties")
    headcount: int = Field(description="Headcount of the matched talent gaps")
    coverage: Rounded = Field(description="graduates_per_year / headcount, capped at 1")


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

    @field_serializer("components", when_used="json")
    def _contributions_add_up(self, components: dict[str, Component]) -> dict[str, Component]:
        """Rounded together, the contributions add up to the score as shown (matching.rounding)."""
        rounded = parts_of([c.contribution for c in components.values()], self.score)
        return {name: c.model_copy(update={"contribution": r}) for (name, c), r in zip(components.items(), rounded,
                                                                                        strict=True)}


class SuggestionsPublic(BaseModel):
    data: list[SuggestionPublic]
    count: int = Field(description="Suggestions on this page")
    offset: int
    limit: int
    reason: str | None = Field(None, description="Why the list is empty, when it is")
