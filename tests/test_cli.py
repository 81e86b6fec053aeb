"""The `matchmaker` command line, on a real SQLite database, and `serve` as a real process."""

import ast
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from matching.db import head_revision
from matching.rankers import HAND, RankerModel, RankerStore
from matching.ranking import FEATURE_SCHEMA, FEATURES
from service.bootstrap import bootstrap
from service.cli import app
from service.settings import Settings, get_settings
from tests.conftest import college_body, enterprise_body

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MATCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MATCH_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_has_help_with_an_example() -> None:
    for command in (["serve"], ["db", "upgrade"], ["import"], ["export"], ["keys", "create"],
                    ["keys", "revoke"], ["keys", "list"], ["lists", "create"], ["train"], ["ranker", "list"],
                    ["ranker", "activate"], ["ranker", "rollback"], ["impressions", "prune"]):
        output = runner.invoke(app, [*command, "--help"], terminal_width=200).output
        assert "Example" in output, (command, output)


def test_python_m_knows_every_command() -> None:
    """`python -m service.cli` runs the app at its `__main__` line: a command defined after it is missing there
    (`impressions prune` was), though the `matchmaker` script, importing the whole module first, has it."""
    tree = ast.parse((ROOT / "service" / "cli.py").read_text())
    last = tree.body[-1]
    assert isinstance(last, ast.If) and "__main__" in ast.unparse(last.test), "the __main__ block must come last"
    done = subprocess.run([sys.executable, "-m", "service.cli", "impressions", "prune", "--help"], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "Example" in done.stdout, done.stdout + done.stderr


def test_ranker_commands_switch_and_roll_back(home: Path) -> None:
    store = RankerStore(get_settings().rankers_path)
    for version in ("first", "second"):
        store.save(RankerModel(version=version, feature_schema=FEATURE_SCHEMA, features=list(FEATURES),
                               weights={f: 1.0 for f in FEATURES}))
    store.save(RankerModel(version="old", feature_schema="features-0:semantic", features=["semantic"],
                           weights={"semantic": 1.0}))
    listed = run("ranker", "list")
    assert f"* {HAND}" in listed and "  first" in listed and "  second" in listed
    assert "active: first" in run("ranker", "activate", "first")
    assert "active: second" in run("ranker", "activate", "second")
    assert "* second" in run("ranker", "list") and store.active_version() == "second"
    refused = runner.invoke(app, ["ranker", "activate", "old"])
    assert refused.exit_code != 0 and "feature schema" in refused.output, refused.output
    assert store.active_version() == "second"  # a refused model changes nothing
    assert "active: first" in run("ranker", "rollback")
    assert "active: " + HAND in run("ranker", "rollback") and store.active_version() == HAND


def test_db_upgrade_import_export_keys(home: Path, tmp_path: Path) -> None:
    assert f"revision {head_revision()}" in run("db", "upgrade")
    colleges = tmp_path / "colleges.jsonl"
    colleges.write_text(json.dumps(college_body()) + "\n" + json.dumps(college_body(name="B", city="Aksu")) + "\n")
    assert "2 of 2 colleges imported" in run("import", str(colleges), "-q")

    out = tmp_path / "out.csv"
    run("export", "--side", "colleges", "--format", "csv", "-o", str(out))
    lines = out.read_text().splitlines()
    assert lines[0].startswith("name,name_zh,country") and len(lines) == 1 + 3 + 3  # a row per specialty

    created = run("keys", "create", "--role", "college", "--college", "1", "--name", "Korla office")
    key_id = created.split()[1]
    assert "mk_" in created
    assert "Korla office" in run("keys", "list")
    run("keys", "revoke", key_id)
    assert "Korla office" not in run("keys", "list")
    assert "REVOKED" in run("keys", "list", "--all")


def test_lists_create_builds_a_match_list(home: Path, tmp_path: Path) -> None:
    profiles = tmp_path / "enterprises.jsonl"
    profiles.write_text(json.dumps(enterprise_body()) + "\n")
    run("import", str(profiles), "-q")
    profiles = tmp_path / "colleges.jsonl"
    profiles.write_text(json.dumps(college_body()) + "\n")
    run("import", str(profiles), "-q")
    out = run("lists", "create", "--name", "Xinjiang 2027", "--province", "新疆", "-q")
    assert "match list 1 (Xinjiang 2027): 2 gaps" in out and "of 52 allocated" in out
    bad = runner.invoke(app, ["lists", "create", "--name", "x", "--province", "Atlantis", "-q"])
    assert bad.exit_code == 1 and "unknown province 'Atlantis'" in bad.output


def test_bad_file_writes_nothing_and_exits_1(home: Path, tmp_path: Path) -> None:
    enterprises = tmp_path / "enterprises.jsonl"
    bad = enterprise_body(name="Bad", talent_gaps=[{"field": "x", "headcount": -4}])
    enterprises.write_text(json.dumps(enterprise_body()) + "\n" + json.dumps(bad) + "\n")
    result = runner.invoke(app, ["import", str(enterprises), "-q"])
    assert result.exit_code == 1
    assert "line 2" in result.output and "talent_gaps.0.headcount" in result.output
    assert "1 of 2 enterprises imported" in run("import", str(enterprises), "--partial", "-q")


def test_import_needs_a_side_it_can_tell(home: Path, tmp_path: Path) -> None:
    mystery = tmp_path / "data.jsonl"
    mystery.write_text(json.dumps(college_body()) + "\n")
    result = runner.invoke(app, ["import", str(mystery)])
    assert result.exit_code == 2 and "--side" in result.output
    assert "1 of 1 colleges imported" in run("import", str(mystery), "--side", "colleges", "-q")


def test_keys_create_rejects_a_bad_binding(home: Path) -> None:
    result = runner.invoke(app, ["keys", "create", "--role", "college"])
    assert result.exit_code == 1 and "college_id" in result.output


def test_bootstrap_loads_the_sample_once_and_keeps_the_admin_key(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    first = bootstrap(settings)
    assert first.loaded["colleges"] >= 200 and first.loaded["enterprises"] >= 400
    assert first.new_admin_key and settings.admin_key_path.read_text().strip() == first.new_admin_key
    assert oct(settings.admin_key_path.stat().st_mode & 0o777) == "0o600"
    again = bootstrap(settings)
    assert again.loaded == {} and again.new_admin_key is None  # not loaded twice, key kept
    settings.admin_key_path.write_text("mk_not_a_real_key\n")
    assert bootstrap(settings).new_admin_key  # a dead saved key is replaced


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_answers_as_the_readme_says(tmp_path: Path) -> None:
    """`matchmaker serve` as a newcomer runs it: sample loaded, admin key saved, API answering."""
    port = free_port()
    env = os.environ | {"MATCH_HOME": str(tmp_path / "home"), "MATCH_PORT": str(port)}
    env.pop("MATCH_DATABASE_URL", None)
    process = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "-q"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 600  # a first start embeds the whole sample
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=60).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            time.sleep(0.3)
        key = (tmp_path / "home" / "admin-key").read_text().strip()
        auth = {"Authorization": f"Bearer {key}"}
        info = httpx.get(f"{base}/info", headers=auth, timeout=60).json()
        assert info["counts"]["colleges"] >= 200 and info["counts"]["enterprises"] >= 400
        xinjiang = httpx.get(f"{base}/colleges", params={"province": "Xinjiang", "limit": 2}, headers=auth, timeout=60).json()
        assert xinjiang["count"] > 0 and all(c["province"] == "Xinjiang" for c in xinjiang["data"])
        assert httpx.get(f"{base}/colleges", headers={"Authorization": "Bearer wrong"}, timeout=60).status_code == 401
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "Created the admin API key" in output


def test_long_imports_show_progress(home: Path, tmp_path: Path) -> None:
    colleges = tmp_path / "colleges.jsonl"
    colleges.write_text("".join(json.dumps(college_body(name=f"College {i}")) + "\n" for i in range(450)))
    output = run("import", str(colleges))
    assert "checking colleges" in output and "writing colleges" in output
    assert "450/450" in output and "/s" in output and "eta" in output
    assert "450/450" not in run("import", str(colleges), "--partial", "-q")  # quiet: no bars
