"""Regenerate the README's examples from the sample, so they never go stale: `make readme`.

The README marks what this fills in with HTML comments:

- `<!-- run: NAME -->` … `<!-- /run -->` around a ```sh block of curl commands: each command is run,
  in order, against the app on the sample, and the line after it becomes `# → STATUS abridged answer`.
  A command that does not answer 2xx is an error: the README would be showing a command that fails.
  Also run there, so that the examples a reader types in a shell are the ones tested:
  - `curl … | python3 -c '…'`: the answer is piped to that Python code (really run, with this
    interpreter); each line it prints becomes a `# → ` line;
  - `NAME=$(curl … | python3 -c '…')`: the same, its output kept as `$NAME` for later commands
    (shown as `# → NAME=value`);
  - `matchmaker …`: the command line, in process, on the same database and home as the app (its
    output, line by line, as `# → ` lines; a non-zero exit is an error).
- `<!-- answer: GET /path?query -->` … `<!-- /answer -->`: a ```json block with that request's answer
  (the first suggestion's matched pairs cut to three).

The app runs in process (TestClient) on a temporary SQLite database with the sample imported and
embedded by the real model, with an admin key as `$KEY`. Everything is deterministic: the sample,
the ids it gives, the model on CPU, and the abridging rules below.

    python -m tools.readme            # rewrite README.md
    python -m tools.readme --check    # exit 1 if README.md differs
    python -m tools.readme --sample-db /tmp/sample.db   # embed the sample once, reuse it on later runs
"""

import argparse
import difflib
import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

README = Path(__file__).resolve().parent.parent / "README.md"
RUN = re.compile(r"(?P<start><!-- run: (?P<name>[\w-]+) -->\n```sh\n)(?P<body>.*?)(?P<end>```\n<!-- /run -->)", re.S)
ANSWER = re.compile(r"(?P<start><!-- answer: (?P<method>GET) (?P<target>\S+) -->\n)(?P<body>.*?)"
                    r"(?P<end><!-- /answer -->)", re.S)
# Values that differ from run to run: shown as "…"
VOLATILE = re.compile(r"^(secret|.*_at|rate|eta_seconds|elapsed_seconds)$")
RESULT = "# → "
# What a run block executes (anything else, e.g. `KEY=$(cat …)`, is shown as written and not run).
EXECUTED = ("curl ", "matchmaker ")
CAPTURE = re.compile(r"(?P<name>[A-Z][A-Z0-9_]*)=\$\((?P<command>(?:curl|matchmaker) .*)\)", re.S)
VARIABLE = re.compile(r"\$(?:\{(?P<braced>[A-Z][A-Z0-9_]*)\}|(?P<name>[A-Z][A-Z0-9_]*))")
WIDTH = 110  # of a result line, and of a line of a JSON answer


def commands(block: str) -> Iterator[tuple[str, str | None]]:
    """(text of a command or comment line, the curl command it holds if any); old result lines dropped."""
    pending: list[str] = []
    for line in block.splitlines(keepends=True):
        if not pending and line.startswith(RESULT):
            continue
        pending.append(line)
        text = "".join(pending)
        joined = text.replace("\\\n", " ").strip()
        if line.rstrip("\n").endswith("\\") or not _complete(joined):
            continue  # a continued line, or a quoted body that goes on
        pending = []
        yield text, joined if joined.startswith(EXECUTED) or CAPTURE.fullmatch(joined) else None


def _complete(command: str) -> bool:
    try:
        shlex.split(command, comments=True)
    except ValueError:  # "No closing quotation"
        return False
    return True


def stages(command: str) -> list[list[str]]:
    """A command's words, split where it pipes (`|` outside quotes); `#` starts a comment."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars="|")
    lexer.whitespace_split = True
    out: list[list[str]] = [[]]
    for word in lexer:
        if word == "|":
            out.append([])
        else:
            out[-1].append(word)
    return out


def curl(command: str, key: str) -> dict[str, Any]:
    """The request a `curl -s [-H h]… [-X M] URL [-d body] [-o file]` command makes (its first stage, when
    it pipes)."""
    words = stages(command.replace("$KEY", key))[0][1:]
    request: dict[str, Any] = {"method": "GET", "headers": {}, "content": None, "output": None}
    options = iter(words)
    for word in options:
        if word == "-s":
            continue
        if word == "-H":
            name, _, value = next(options).partition(":")
            request["headers"][name.strip()] = value.strip()
        elif word == "-X":
            request["method"] = next(options)
        elif word == "-d":
            request["content"] = next(options)
            request["method"] = "POST" if request["method"] == "GET" else request["method"]
        elif word == "-o":
            request["output"] = next(options)
        elif word.startswith("http"):
            url = urlsplit(word)
            request["url"] = url.path + (f"?{url.query}" if url.query else "")
        else:
            raise ValueError(f"this helper does not know curl's {word!r} (in {command!r})")
    return request


def brief(value: Any, depth: int = 0, key: str = "") -> str:
    """A first look at an answer, on one line: the top level's members, a list's first item, an object's
    first three plain members, long strings cut; values that change from run to run shown as …"""
    if key and VOLATILE.match(key) and value is not None:
        return "…"
    if isinstance(value, list):
        if not value or depth >= 2:
            return "[…]" if value else "[]"
        return "[" + brief(value[0], depth) + (", …" if len(value) > 1 else "") + "]"  # an item, not a level
    if isinstance(value, dict):
        if depth >= 2:
            return "{…}"
        members = list(value.items()) if depth == 0 else \
            [(k, v) for k, v in value.items() if not isinstance(v, dict | list)][:3]
        if not members:
            return "{…}"
        inner = ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {brief(v, depth + 1, k)}" for k, v in members)
        return "{" + inner + (", …" if len(members) < len(value) else "") + "}"
    if isinstance(value, str) and len(value) > 40:
        return json.dumps(value[:39] + "…", ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def result_line(status: int, response_text: str, content_type: str, output: str | None) -> str:
    if output is not None:
        return f"{RESULT}{status}, {len(response_text.splitlines())} lines written to {output}\n"
    if not content_type.startswith("application/json"):
        return f"{RESULT}{status}\n"
    line = f"{RESULT}{status} {brief(json.loads(response_text))}"
    return (line if len(line) <= WIDTH else line[: WIDTH - 1] + "…") + "\n"


def render(value: Any, indent: int = 0) -> str:
    """JSON that keeps what fits in WIDTH on one line and breaks the rest one member a line."""
    flat = json.dumps(value, ensure_ascii=False)
    if indent + len(flat) <= WIDTH or not isinstance(value, dict | list) or not value:
        return flat
    pad = " " * (indent + 1)
    if isinstance(value, list):
        return "[" + (",\n" + pad).join(render(v, indent + 1) for v in value) + "]"
    members = [f"{json.dumps(k, ensure_ascii=False)}: " for k in value]
    return "{" + (",\n" + pad).join(m + render(v, indent + 1 + len(m)) for m, v in zip(members, value.values(),
                                                                                          strict=True)) + "}"


def abridged_answer(body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        for item in body["data"]:
            if isinstance(item, dict) and isinstance(item.get("matched"), list):
                item["matched"] = item["matched"][:3]
    return body


class Shell:
    """Runs a block's commands against the app, keeping the variables they set ($KEY: the admin key)."""

    def __init__(self, client: TestClient, key: str) -> None:
        self.client = client
        self.variables = {"KEY": key}

    def lines(self, command: str) -> list[str]:
        """The `# → ` lines to write after `command`."""
        captured = CAPTURE.fullmatch(command)
        if captured:
            value = self.output(captured["command"], command).strip()
            self.variables[captured["name"]] = value
            return [_cut(f"{RESULT}{captured['name']}={value}") + "\n"]
        if len(stages(command)) == 1 and command.startswith("curl "):
            response, request = self.request(command)
            return [result_line(response.status_code, response.text, response.headers.get("content-type", ""),
                                request["output"])]
        return [_cut(f"{RESULT}{line}".rstrip()) + "\n" for line in self.output(command, command).splitlines()]

    def output(self, command: str, shown: str) -> str:
        """What `command` writes to stdout: a curl's answer or matchmaker's output, through its pipes."""
        first, *pipes = stages(self.substitute(command))
        if first[0] == "curl":
            response, _ = self.request(command)
            text = str(response.text)
        elif first[0] == "matchmaker":
            text = self.matchmaker(first[1:], shown)
        else:
            raise ValueError(f"this helper runs curl and matchmaker only (in {shown!r})")
        for words in pipes:
            if words[:2] != ["python3", "-c"] or len(words) != 3:
                raise ValueError(f"this helper pipes only into python3 -c '…' (in {shown!r})")
            done = subprocess.run([sys.executable, "-c", words[2]], input=text, capture_output=True, text=True,
                                  timeout=60, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"README command failed (python3 exit {done.returncode}): {shown}\n"
                                   f"{done.stderr[-1000:]}")
            text = done.stdout
        return text

    def substitute(self, command: str) -> str:
        return VARIABLE.sub(lambda m: self.variables.get(m["braced"] or m["name"], m[0]), command)

    def request(self, command: str) -> tuple[Any, dict[str, Any]]:
        req = curl(self.substitute(command), self.variables["KEY"])
        response = self.client.request(req["method"], req["url"], headers=req["headers"], content=req["content"])
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"README command failed ({response.status_code}): {command}\n{response.text[:500]}")
        return response, req

    def matchmaker(self, args: list[str], shown: str) -> str:
        """`matchmaker ARGS` in process, on the app's database and home (what a shell beside `make run` does),
        with the model the app loaded (the same name; loading it again would only cost time)."""
        from typer.testing import CliRunner

        from service import cli
        from service.settings import get_settings

        state = self.client.app.state.matchmaker  # type: ignore[attr-defined]
        if state.impressions is not None:
            state.impressions.flush()  # the pages served so far are in the database, as they would be by now
        settings = state.settings
        loaded = state.live.embedder.encoder
        env = {"MATCH_HOME": str(settings.home), "MATCH_DATABASE_URL": settings.db_url}
        own_encoder = cli._encoder
        cli._encoder = lambda name, batch_size: loaded if name == loaded.name else own_encoder(name, batch_size)
        # rich wraps at the terminal's width, which the CLI's consoles may have fixed at import (COLUMNS then):
        # wide for this run, a log line stays one line (cut at WIDTH when shown) in every environment.
        widths = [(console, console._width) for console in (cli.out, cli.err)]
        for console, _ in widths:
            console.width = 1000
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(cli.app, args, env=env)
        finally:
            cli._encoder = own_encoder
            for console, width in widths:
                console._width = width
            get_settings.cache_clear()
        if result.exit_code != 0:
            raise RuntimeError(f"README command failed (exit {result.exit_code}): {shown}\n{result.output[-1000:]}")
        return result.output


def _cut(line: str) -> str:
    return line if len(line) <= WIDTH else line[: WIDTH - 1] + "…"


def regenerate(text: str, client: TestClient, key: str) -> str:
    """The README with every marked block filled from the app's answers, in the README's order."""
    shell = Shell(client, key)
    out: list[str] = []
    position = 0
    blocks = sorted([*RUN.finditer(text), *ANSWER.finditer(text)], key=lambda m: m.start())
    for match in blocks:
        out.append(text[position: match.start()])
        if match.re is RUN:
            body: list[str] = []
            for line, command in commands(match["body"]):
                body.append(line)
                if command is not None:
                    body += shell.lines(command)
            out.append(match["start"] + "".join(body) + match["end"])
        else:
            response = client.request(match["method"], match["target"], headers={"Authorization": f"Bearer {key}"})
            if response.status_code != 200:
                raise RuntimeError(f"README answer failed ({response.status_code}): {match['target']}")
            rendered = render(abridged_answer(response.json()))
            out.append(f"{match['start']}```json\n{rendered}\n```\n{match['end']}")
        position = match.end()
    out.append(text[position:])
    return "".join(out)


def embed_sample(db: Path) -> None:
    """Import and embed the whole sample into a new SQLite database at `db`."""
    from embeddings.encoder import load_encoder
    from matching.db import make_engine, make_sessionmaker, upgrade
    from matching.embedding import Embedder
    from matching.live import LiveIndex
    from matching.reference import Reference
    from matching.sides import COLLEGES, ENTERPRISES
    from matching.transfer import import_text
    from service.settings import REPO_DATA

    reference = Reference.load(REPO_DATA)
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    live = LiveIndex(Embedder(load_encoder(), reference.catalogue), None)
    with make_sessionmaker(engine)() as session:
        live.load(session)
        for spec in (COLLEGES, ENTERPRISES):
            sample = (REPO_DATA / "sample" / f"{spec.side}.jsonl").read_text(encoding="utf-8")
            import_text(session, spec, sample, "jsonl", reference, live=live)
    engine.dispose()


@contextmanager
def sample_client(db: Path, home: Path, reference: Any = None, encoder: Any = None
                  ) -> Iterator[tuple[TestClient, str]]:
    """The app on `db` (the embedded sample, which the examples change), with a new admin key; tests pass
    the reference data and model they have loaded."""
    from embeddings.encoder import load_encoder
    from matching import keys
    from matching.db import make_engine, make_sessionmaker
    from matching.reference import Reference
    from matching.vocab import Role
    from service.app import create_app
    from service.settings import REPO_DATA, Settings

    engine = make_engine(f"sqlite:///{db}")
    with make_sessionmaker(engine)() as session:
        _, key = keys.create_key(session, Role.ADMIN, name="README")
    engine.dispose()
    settings = Settings(database_url=f"sqlite:///{db}", home=home, load_sample=False)
    app = create_app(settings, reference or Reference.load(REPO_DATA), encoder or load_encoder())
    with TestClient(app) as client:
        yield client, key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is not what it would become")
    parser.add_argument("--sample-db", type=Path, help="reuse this embedded sample (made here if missing; "
                        "delete it when the sample or the model changes); default: embed it afresh")
    args = parser.parse_args()
    current = README.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="readme-") as scratch:
        db = Path(scratch) / "sample.db"
        if args.sample_db and not args.sample_db.exists():
            embed_sample(args.sample_db)
        if args.sample_db:
            shutil.copyfile(args.sample_db, db)  # the examples write; the reused copy stays as embedded
        else:
            embed_sample(db)
        with sample_client(db, Path(scratch) / "home") as (client, key):
            fresh = regenerate(current, client, key)
    if args.check:
        if fresh != current:
            sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), fresh.splitlines(True),
                                                       "README.md", "regenerated"))
            sys.exit("README.md's examples are stale: run `make readme`")
        return
    README.write_text(fresh, encoding="utf-8")
    print("README.md: examples regenerated" if fresh != current else "README.md: examples already current")


if __name__ == "__main__":
    main()
