"""Regenerate the README's examples from the sample, so they never go stale: `make readme`.

The README marks what this fills in with HTML comments:

- `<!-- run: NAME -->` … `<!-- /run -->` around a ```sh block of curl commands: each command is run,
  in order, against the app on the sample, and the line after it becomes `# → STATUS abridged answer`.
  A command that does not answer 2xx is an error: the README would be showing a command that fails.
- `<!-- answer: GET /path?query -->` … `<!-- /answer -->`: a ```json block with that request's answer
  (the first suggestion's matched pairs cut to three).

The app runs in process (TestClient) on a temporary SQLite database with the sample imported and
embedded by the real model, with an admin key as `$KEY`. Everything is deterministic: the sample,
the ids it gives, the model on CPU, and the abridging rules below.

    python -m tools.readme            # rewrite README.md
    python -m tools.readme --check    # exit 1 if README.md differs
"""

import argparse
import difflib
import json
import re
import shlex
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

README = Path(__file__).resolve().parent.parent / "README.md"
RUN = re.compile(r"(?P<start><!-- run: [\w-]+ -->\n```sh\n)(?P<body>.*?)(?P<end>```\n<!-- /run -->)", re.S)
ANSWER = re.compile(r"(?P<start><!-- answer: (?P<method>GET) (?P<target>\S+) -->\n)(?P<body>.*?)"
                    r"(?P<end><!-- /answer -->)", re.S)
# Values that differ from run to run: shown as "…"
VOLATILE = re.compile(r"^(secret|.*_at|rate|eta_seconds|elapsed_seconds)$")
RESULT = "# → "
WIDTH = 110  # of a result line, and of a line of a JSON answer


def commands(block: str) -> Iterator[tuple[str, str | None]]:
    """(text of a command or comment line, the curl command it holds if any); old result lines dropped."""
    pending: list[str] = []
    for line in block.splitlines(keepends=True):
        if not pending and line.startswith(RESULT):
            continue
        pending.append(line)
        if line.rstrip("\n").endswith("\\"):
            continue
        text = "".join(pending)
        pending = []
        joined = text.replace("\\\n", " ").strip()
        yield text, joined if joined.startswith("curl ") else None


def curl(command: str, key: str) -> dict[str, Any]:
    """The request a `curl -s [-H h]… [-X M] URL [-d body] [-o file]` command makes."""
    words = shlex.split(command.replace("$KEY", key))[1:]
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


def skeleton(value: Any, depth: int = 0) -> Any:
    """A first look at an answer: lists cut to their first item, objects below the second level elided."""
    if isinstance(value, list):
        return [skeleton(value[0], depth + 1), "…"] if len(value) > 1 else [skeleton(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {k: "…" if VOLATILE.match(k) and v is not None else skeleton(v, depth + 1)
                for k, v in value.items()} if depth < 2 else "{…}"
    return value


def result_line(status: int, response_text: str, content_type: str, output: str | None) -> str:
    if output is not None:
        return f"{RESULT}{status}, {len(response_text.splitlines())} lines written to {output}\n"
    if not content_type.startswith("application/json"):
        return f"{RESULT}{status}\n"
    text = json.dumps(skeleton(json.loads(response_text)), ensure_ascii=False)
    if len(text) > WIDTH:
        text = json.dumps(skeleton(json.loads(response_text), depth=1), ensure_ascii=False)
    line = f"{RESULT}{status} {text}"
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


def regenerate(text: str, client: TestClient, key: str) -> str:
    """The README with every marked block filled from the app's answers, in the README's order."""
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
                    req = curl(command, key)
                    response = client.request(req["method"], req["url"], headers=req["headers"],
                                              content=req["content"])
                    if not 200 <= response.status_code < 300:
                        raise RuntimeError(f"README command failed ({response.status_code}): {command}\n"
                                           f"{response.text[:500]}")
                    body.append(result_line(response.status_code, response.text,
                                            response.headers.get("content-type", ""), req["output"]))
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


@contextmanager
def sample_client(database: Path | None = None) -> Iterator[tuple[TestClient, str]]:
    """The app on `database` (an embedded copy of the sample), or on the sample imported afresh."""
    from embeddings.encoder import load_encoder
    from matching import keys
    from matching.db import make_engine, make_sessionmaker, upgrade
    from matching.embedding import Embedder
    from matching.live import LiveIndex
    from matching.reference import Reference
    from matching.sides import COLLEGES, ENTERPRISES
    from matching.transfer import import_text
    from matching.vocab import Role
    from service.app import create_app
    from service.settings import REPO_DATA, Settings

    reference, encoder = Reference.load(REPO_DATA), load_encoder()
    with tempfile.TemporaryDirectory(prefix="readme-") as scratch:
        db = database or Path(scratch) / "sample.db"
        engine = make_engine(f"sqlite:///{db}")
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            if database is None:
                live = LiveIndex(Embedder(encoder, reference.catalogue), None)
                live.load(session)
                for spec in (COLLEGES, ENTERPRISES):
                    sample = (REPO_DATA / "sample" / f"{spec.side}.jsonl").read_text(encoding="utf-8")
                    import_text(session, spec, sample, "jsonl", reference, live=live)
            _, key = keys.create_key(session, Role.ADMIN, name="README")
        engine.dispose()
        settings = Settings(database_url=f"sqlite:///{db}", home=Path(scratch) / "home", load_sample=False)
        with TestClient(create_app(settings, reference, encoder)) as client:
            yield client, key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is not what it would become")
    args = parser.parse_args()
    current = README.read_text(encoding="utf-8")
    with sample_client() as (client, key):
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
