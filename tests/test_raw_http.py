"""Raw bytes on the wire against a real `matchmaker serve` process (issue 13.5).

curl sends `GET /colleges?province=新疆` with the UTF-8 bytes unescaped; uvicorn's h11 used to answer
that with a plain-text 400 before the app. Here a raw socket sends exactly those bytes to the real
command, on the embedded sample, and the answer must be the same as for the escaped query. What is
still not HTTP gets the API's JSON error shape.
"""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest

from embeddings.encoder import Encoder
from matching.reference import Reference
from service.http import percent_encode_non_ascii
from tests.sampledb import sample_copy

XINJIANG = "新疆".encode()


def free_port() -> int:
    """A free loopback port; within MATCH_TEST_PORTS (e.g. `18100-18149`) when that is set."""
    low, _, high = os.environ.get("MATCH_TEST_PORTS", "0-0").partition("-")
    for port in range(int(low), int(high or low) + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            found: int = s.getsockname()[1]
            return found
    raise RuntimeError("no free port in MATCH_TEST_PORTS")


@dataclass
class Server:
    port: int
    key: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, reference: Reference, encoder: Encoder) -> Iterator[Server]:
    db = sample_copy(tmp_path_factory, reference, encoder, "raw-http")
    home = db.parent / "home"
    port = free_port()
    env = os.environ | {"MATCH_HOME": str(home), "MATCH_PORT": str(port), "MATCH_DATABASE_URL": f"sqlite:///{db}",
                        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    process = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "-q", "--no-sample"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 300
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "matchmaker serve did not become ready"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=60).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        yield Server(port, (home / "admin-key").read_text().strip())
    finally:
        process.terminate()
        process.communicate(timeout=30)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        assert self.headers["content-type"].startswith("application/json"), self.headers
        data: dict[str, object] = json.loads(self.body)
        return data


def read_answer(sock: socket.socket) -> Answer:
    """One HTTP/1.1 response with a Content-Length, read from the socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed mid-response: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed mid-body"
        rest += chunk
    return Answer(int(status_line.split()[1]), headers, rest[:length])


def request(server: Server, target: bytes, close: bool = True) -> bytes:
    return (b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + server.key.encode()
            + b"\r\nConnection: " + (b"close" if close else b"keep-alive") + b"\r\n\r\n")


def send(server: Server, *raw: bytes) -> list[Answer]:
    """Requests sent one after another on one connection, each after the previous answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        answers = []
        for data in raw:
            sock.sendall(data)
            answers.append(read_answer(sock))
        return answers


def test_percent_encoding_touches_only_non_ascii() -> None:
    assert percent_encode_non_ascii(b"/colleges?province=" + XINJIANG + b"&x=%20") == \
        b"/colleges?province=%E6%96%B0%E7%96%86&x=%20"
    assert percent_encode_non_ascii(b"/health") == b"/health"


def test_raw_utf8_query_works_like_the_escaped_one(server: Server) -> None:
    (answer,) = send(server, request(server, b"/colleges?province=" + XINJIANG + b"&limit=500"))
    assert answer.status == 200, answer.body
    raw = answer.json()
    auth = {"Authorization": f"Bearer {server.key}"}
    escaped = httpx.get(f"{server.base}/colleges?province={quote('新疆')}&limit=500", headers=auth, timeout=60).json()
    english = httpx.get(f"{server.base}/colleges", params={"province": "Xinjiang", "limit": 500}, headers=auth, timeout=60).json()
    assert raw == escaped == english
    assert isinstance(raw["data"], list) and raw["data"], "the sample has colleges in Xinjiang"
    assert all(c["province"] == "Xinjiang" for c in raw["data"])


def test_raw_utf8_on_a_kept_alive_connection(server: Server) -> None:
    """The rewrite follows request boundaries: the second request on a connection is fixed too."""
    first, second = send(server, request(server, b"/colleges?province=Xinjiang&limit=1", close=False),
                         request(server, b"/colleges?province=" + XINJIANG + b"&limit=1"))
    assert first.status == second.status == 200
    assert first.json() == second.json()


def test_raw_utf8_name_filter(server: Server) -> None:
    """Chinese names work raw too: the sample's colleges have Chinese names."""
    auth = {"Authorization": f"Bearer {server.key}"}
    some = httpx.get(f"{server.base}/colleges", params={"limit": 1, "province": "Xinjiang"}, headers=auth, timeout=60).json()
    name_zh = some["data"][0]["name_zh"]
    assert name_zh and any(ord(ch) > 127 for ch in name_zh)
    (answer,) = send(server, request(server, b"/colleges?name=" + name_zh.encode()))
    assert answer.status == 200
    expected = httpx.get(f"{server.base}/colleges", params={"name": name_zh}, headers=auth, timeout=60).json()
    assert answer.json() == expected


def test_raw_utf8_in_the_path_gets_the_json_error_shape(server: Server) -> None:
    (path,) = send(server, request(server, b"/colleges/" + XINJIANG))
    assert path.status == 422 and path.json()["error"] == "validation_error"


def test_raw_bytes_that_are_not_utf8_answer_as_their_escaped_form(server: Server) -> None:
    (raw,) = send(server, request(server, b"/colleges?province=\xff\xfe"))
    (escaped,) = send(server, request(server, b"/colleges?province=%FF%FE"))
    assert (raw.status, raw.json()) == (escaped.status, escaped.json())


def test_what_is_not_http_gets_the_json_error_shape(server: Server) -> None:
    for garbage in (b"GET /colleges HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n",  # a header without a colon
                    b"GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"):  # TLS spoken to plain HTTP
        (answer,) = send(server, garbage)
        assert answer.status == 400
        assert answer.json() == {"error": "bad_request", "fields": [],
                                 "detail": "the request is not valid HTTP/1.1 (a malformed request line or header)"}


def test_raw_utf8_request_line_arriving_in_pieces(server: Server) -> None:
    """The target split mid-character across sends (and so, often, across reads): still the same answer."""
    whole = request(server, b"/colleges?province=" + XINJIANG + b"&limit=3")
    cut = whole.index(XINJIANG) + 1  # inside the first character's three bytes
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(whole[:cut])
        time.sleep(0.2)  # not asserted on: either way the answer must be the same
        sock.sendall(whole[cut:])
        answer = read_answer(sock)
    (expected,) = send(server, request(server, b"/colleges?province=Xinjiang&limit=3"))
    assert answer.status == 200 and answer.json() == expected.json()


def test_what_is_not_http_answers_in_the_language_it_asks_for(server: Server) -> None:
    for garbage in (b"GET /colleges HTTP/1.1\r\nAccept-Language: zh-CN,zh;q=0.9\r\nHost 127.0.0.1\r\n\r\n",
                    b"GET /a?lang=zh b c HTTP/1.1\r\nHost: x\r\n\r\n"):
        (answer,) = send(server, garbage)
        assert answer.status == 400
        assert answer.json() == {"error": "bad_request", "fields": [],
                                 "detail": "请求不是有效的 HTTP/1.1（请求行或请求头格式错误）"}
