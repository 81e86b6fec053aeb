"""The README's example answers are what the app answers on the sample (tools/readme.py, `make readme`)."""

import difflib
import re

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
            if command is None:
                continue
            captured = readme.CAPTURE.fullmatch(command)
            inner = captured["command"] if captured else command
            if inner.startswith("matchmaker "):
                continue
            request = readme.curl(inner, "mk_test")
            assert request["url"].startswith("/")
            assert request["headers"].get("Authorization", "Bearer mk_test") == "Bearer mk_test"
    names = [m["name"] for m in runs]
    assert len(names) == len(set(names)), "two run blocks share a name"
    executed = "".join(m["body"] for m in runs)
    for shown in ("-X POST http://127.0.0.1:8000/partnerships", "/feedback", "matchmaker train",
                  "matchmaker ranker activate"):
        assert shown in executed, f"the README no longer runs {shown!r}"


def test_commands_pipes_and_captures_are_read_as_a_shell_would() -> None:
    block = ("KEY=$(cat .matchmaker/admin-key)\n"
             "N=$(curl -s \"http://127.0.0.1:8000/a?x=1&y=2\" \\\n  | python3 -c 'import sys; print(\"a|b\")')\n"
             "# → N=1\n"
             "matchmaker ranker list\n")
    found = [command for _, command in readme.commands(block)]
    assert found[0] is None  # KEY=$(cat …) is shown, not run
    captured = readme.CAPTURE.fullmatch(found[1] or "")
    assert captured is not None and captured["name"] == "N"
    assert readme.stages(captured["command"]) == [["curl", "-s", "http://127.0.0.1:8000/a?x=1&y=2"],
                                                  ["python3", "-c", 'import sys; print("a|b")']]
    assert found[2] == "matchmaker ranker list" and len(found) == 3  # the old result line dropped


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


def test_the_end_to_end_example_shows_a_switch_with_scores_that_add_up() -> None:
    """What the train-activate block shows (kept current by the test above): /info names the activated model,
    the page changes, and every score shown is the sum of its contributions."""
    block = next(m["body"] for m in readme.RUN.finditer(readme.README.read_text(encoding="utf-8"))
                 if m["name"] == "train-activate")
    shown = [line.removeprefix(readme.RESULT) for line in block.splitlines() if line.startswith(readme.RESULT)]
    pages = [[line for line in shown if re.match(r"\d+ \d+ ", line)][i:i + 3] for i in (0, 3)]
    assert len(pages[0]) == len(pages[1]) == 3 and pages[0] != pages[1]
    for line in pages[0] + pages[1]:
        score, total = re.search(r"score ([\d.]+) = sum ([\d.]+)", line).groups()  # type: ignore[union-attr]
        assert score == total, line
    assert shown.index("readme-1 trained: True") < shown.index("features-1 trained: False")
    assert "wrote ranker readme-1" in shown and "active: readme-1" in shown
