"""Logging served pages of suggestions as impressions (see matching.outcomes.impressions)."""

from typing import Any

from matching.outcomes.impressions import FeatureRows, Item
from matching.ranking import FEATURES, RANKER_VERSION
from matching.results import SuggestionPublic, SuggestionsPublic
from service.state import AppState


def ranker_version(state: AppState) -> str:
    """The version of the ranker that scored the page: the app's ranker object's, else the hand weights'."""
    ranker = getattr(state, "ranker", None)
    version = getattr(ranker, "version", None)
    return str(version) if version else RANKER_VERSION


def items_of(suggestions: list[SuggestionPublic]) -> list[Item]:
    # The features as scored for this page: each component's value (point-in-time, never recomputed).
    return [(s.id, s.rank, s.score, {name: c.value for name, c in s.components.items()}) for s in suggestions]


def log_page(state: AppState, kind: str, query: dict[str, Any], asker_side: str | None, asker_id: int | None,
             items: list[Item] | FeatureRows) -> int | None:
    """Queue the page for the log; its impression id, or None when logging is off, the page is empty,
    or the writer's queue is full."""
    writer = state.impressions
    if writer is None or not items:
        return None
    return writer.submit(kind=kind, ranker_version=ranker_version(state), query=query, asker_side=asker_side,
                         asker_id=asker_id, items=items)


def page_items(result: SuggestionsPublic) -> list[Item] | FeatureRows:
    """The page's items: the scored feature matrix when suggest() kept it (no per-suggestion work here),
    else built from the components."""
    if result._features is None or len(result._features) != len(result.data):
        return items_of(result.data)
    return FeatureRows([s.id for s in result.data], [s.rank for s in result.data], [s.score for s in result.data],
                       FEATURES, result._features.values)


def logged(state: AppState, kind: str, query: dict[str, Any], asker_side: str | None, asker_id: int | None,
           result: SuggestionsPublic) -> SuggestionsPublic:
    if state.impressions is not None:  # nothing to build when logging is off
        result.impression_id = log_page(state, kind, query, asker_side, asker_id, page_items(result))
    return result
