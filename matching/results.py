"""Response shapes of suggestions: what a ranked partner carries so a person can check it."""

from pydantic import BaseModel, Field


class Component(BaseModel):
    value: float = Field(description="The feature's value in [0, 1]")
    weight: float = Field(description="Its weight; weights sum to 1")
    contribution: float = Field(description="value × weight; contributions sum to the score")


class UnitRef(BaseModel):
    id: int
    name: str
    codes: list[str]
    amount: int = Field(description="Graduates a year (specialty) or headcount (talent gap)")


class MatchedPair(BaseModel):
    query_unit: UnitRef
    candidate_unit: UnitRef
    similarity: float = Field(description="Cosine similarity of the two units' embeddings")
    keyword_overlap: float = Field(description="IDF-weighted share of the gap's keywords in the specialty's text")
    shared_keywords: list[str] = Field(description="The keywords both texts contain, rarest first (at most 5)")
    code_agreement: str = Field(description="code, class, category or none")
    relevant: bool = Field(description="similarity at or above the service's min_similarity")


class Capacity(BaseModel):
    graduates_per_year: int = Field(description="Annual graduates of the matched specialties")
    headcount: int = Field(description="Headcount of the matched talent gaps")
    coverage: float = Field(description="graduates_per_year / headcount, capped at 1")


class Reciprocity(BaseModel):
    asker_view: float = Field(description="How much of the asker's amount this partner covers")
    candidate_view: float = Field(description="How much of the partner's own amount the asker would use")
    combined: float = Field(description="Harmonic mean of the two views")


class SuggestionPublic(BaseModel):
    id: int
    name: str
    name_zh: str | None
    country: str
    province: str | None
    city: str | None
    rank: int
    score: float = Field(ge=0, le=1)
    components: dict[str, Component]
    matched: list[MatchedPair]
    capacity: Capacity
    distance_km: float | None
    reciprocity: Reciprocity
    reasons: list[str]


class SuggestionsPublic(BaseModel):
    data: list[SuggestionPublic]
    count: int = Field(description="Suggestions on this page")
    offset: int
    limit: int
    reason: str | None = Field(None, description="Why the list is empty, when it is")
    impression_id: int | None = Field(None, description="This page's impression (as logged for training): give "
                                      "it with feedback on a suggestion. Null when logging is off or skipped")
