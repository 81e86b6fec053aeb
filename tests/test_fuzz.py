"""Property-based fuzzing of every operation in the OpenAPI schema: no input may cause a 500."""

from pathlib import Path
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from embeddings.encoder import Encoder
from matching.reference import Reference
from service.app import create_app
from service.settings import Settings
from tests.conftest import college_body, enterprise_body


def test_no_input_causes_a_server_error(
    tmp_path: Path, reference: Reference, encoder: Encoder, make_key: Any, db_url: str
) -> None:
    app = create_app(Settings(database_url=db_url, home=tmp_path / "home", load_sample=False), reference, encoder)
    with TestClient(app) as client:
        admin = make_key("admin")
        # Something to find, so generated ids sometimes hit real profiles and units.
        assert client.post("/colleges", json=college_body(), headers=admin).status_code == 201
        assert client.post("/enterprises", json=enterprise_body(), headers=admin).status_code == 201
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        results = list(schema.get_all_operations())
        operations = [result.ok() for result in results if isinstance(result, Ok)]
        assert len(operations) == len(results) >= 15  # every operation's schema is usable
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            def call(case: Any) -> None:
                case.call_and_validate(headers=admin, checks=[not_a_server_error])

            call()
