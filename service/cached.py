"""Read answers served from `state.results` (matching/result_cache.py) when nothing they depend on changed.

A page of suggestions is cached as its JSON with a null impression id, and the items it logs: each
answer, hit or miss, is logged as its own impression (training needs every page served) and gets
its own id, spliced into the cached bytes. `X-Cache: hit|miss` says which it was (the load benchmark
counts them).
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from fastapi import Response

from matching.live import LiveIndex
from matching.outcomes.impressions import FeatureRows, Item
from matching.results import SuggestionsPublic
from service.impressions import log_page, page_items, ranker_version
from service.state import AppState

NULL_ID = b'"impression_id":null}'  # how a serialised page ends: impression_id is its last field


@dataclass(frozen=True)
class CachedPage:
    body: bytes  # the page's JSON, ending in NULL_ID
    items: list[Item] | FeatureRows


def generation(state: AppState, live: LiveIndex) -> Hashable:
    """What every cached answer depends on besides the request: both sides' data, the partnerships
    (as last read by `live.history(session)`: call that first) and the ranker."""
    return (tuple(sorted((str(side), pool.version) for side, pool in live.pools.items())),
            live.partners.signature, ranker_version(state))


def json_response(body: bytes, hit: bool) -> Response:
    return Response(body, media_type="application/json", headers={"X-Cache": "hit" if hit else "miss"})


def suggestions_page(state: AppState, key: Hashable, kind: str, query: dict[str, Any], asker_side: str | None,
                     asker_id: int | None, compute: Callable[[], SuggestionsPublic]) -> Response:
    """The page for `key`, computed only on a miss; logged as an impression either way."""
    page = state.results.get(key)
    hit = page is not None
    if page is None:
        result = compute()
        result.impression_id = None
        body = result.model_dump_json().encode()
        if not body.endswith(NULL_ID):  # a changed model: correct, only not cacheable this way
            result.impression_id = log_page(state, kind, query, asker_side, asker_id, page_items(result))
            return json_response(result.model_dump_json().encode(), hit=False)
        page = CachedPage(body, page_items(result))
        state.results.put(key, page)
    impression = log_page(state, kind, query, asker_side, asker_id, page.items)
    if impression is None:
        return json_response(page.body, hit)
    return json_response(page.body[: -len(NULL_ID)] + b'"impression_id":%d}' % impression, hit)


def cached_bytes(state: AppState, key: Hashable, compute: Callable[[], bytes]) -> Response:
    """A JSON answer that logs nothing (a list page), computed only on a miss."""
    body = state.pages.get(key)
    hit = body is not None
    if body is None:
        body = compute()
        state.pages.put(key, body)
    return json_response(body, hit)
