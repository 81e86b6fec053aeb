"""A serving process exempts what its start loaded from the cyclic GC (service/app.py, `freeze_heap`)."""

import gc

from fastapi.testclient import TestClient

from embeddings.encoder import Encoder
from matching.reference import Reference
from service.app import create_app
from service.settings import Settings


def test_a_serving_app_freezes_its_loaded_heap_and_a_test_app_does_not(
        settings: Settings, reference: Reference, encoder: Encoder) -> None:
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(settings, reference, encoder)) as client:
        assert client.get("/health").status_code == 200
        assert gc.get_freeze_count() == 0
    try:
        with TestClient(create_app(settings, reference, encoder, freeze_heap=True)) as client:
            assert client.get("/health").status_code == 200
            # The model, the catalogue and the pools: far more than a handful of objects.
            assert gc.get_freeze_count() > 10_000
            assert client.post("/search", json={"text": "x", "side": "colleges"}).status_code == 401  # still serves
    finally:
        gc.unfreeze()  # the rest of this test process collects as usual
