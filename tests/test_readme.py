"""The README's example answers are what the app answers on the sample (tools/readme.py, `make readme`)."""

import difflib

import pytest

from embeddings.encoder import Encoder
from matching.reference import Reference
from tests.sampledb import sample_copy
from tools import readme


def test_marked_blocks_exist_and_parse() -> None:
    text = readme.README.read_text(encoding="utf-8")
    runs = list(readme.RUN.finditer(text))
    answers = list(readme.ANSWER.finditer(text))
    assert len(runs) >= 2 and answers, "the README lost its example markers"
    for block in runs:
        for _, command in readme.commands(block["body"]):
            if command is not None:
                request = readme.curl(command, "mk_test")
                assert request["url"].startswith("/")
                assert request["headers"].get("Authorization", "Bearer mk_test") == "Bearer mk_test"


def test_abridging_is_deterministic_and_hides_what_changes() -> None:
    body = '{"data": [{"id": 1, "created_at": "2026-12-07T09:00:00", "secret": "mk_x"}, {"id": 2}], "count": 2}'
    line = readme.result_line(201, body, "application/json", None)
    assert line == '# → 201 {"data": [{"id": 1, "created_at": …, "secret": …}, …], "count": 2}\n'
    assert len(readme.result_line(200, '{"a": "' + "x" * 300 + '"}', "application/json", None)) <= readme.WIDTH + 1
    assert readme.render({"a": [1, 2], "b": "x" * 120}) == '{"a": [1, 2],\n "b": "' + "x" * 120 + '"}'


def test_readme_examples_are_current(tmp_path_factory: pytest.TempPathFactory, reference: Reference,
                                     encoder: Encoder) -> None:
    """Regenerated on the session's embedded sample (the same data `make readme` embeds afresh)."""
    db = sample_copy(tmp_path_factory, reference, encoder, "readme")
    current = readme.README.read_text(encoding="utf-8")
    with readme.sample_client(db, db.parent / "home", reference, encoder) as (client, key):
        fresh = readme.regenerate(current, client, key)
    if fresh != current:
        diff = "".join(difflib.unified_diff(current.splitlines(True), fresh.splitlines(True), "README.md",
                                            "regenerated", n=1))
        pytest.fail(f"README.md's examples are stale: run `make readme` and commit README.md\n{diff[:6000]}")
