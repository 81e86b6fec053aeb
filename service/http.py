"""The HTTP/1.1 protocol `matchmaker serve` speaks: uvicorn's httptools protocol, with two changes at the edge.

curl and many scripts send `GET /colleges?province=新疆` with the UTF-8 bytes as they are. A request
target may hold only ASCII (RFC 9112), so llhttp (httptools) and h11 refuse it, and uvicorn answers a
plain-text 400 before the app sees the request. A browser percent-encodes those bytes for the same URL;
doing that here gives the app exactly the query the client meant, so the request works. What is still
not HTTP gets a 400 in the API's one error shape instead of plain text.

Why httptools and not h11: under load h11's pure-Python parsing and event objects cost several times
llhttp's C parser per request (benchmarks/RESULTS.md, "Load"). The h11 variant is kept for `--http h11`
(a pure-Python fallback) and behaves the same at the edge.

Only the request line of a request that starts while the connection waits for one is rewritten, never
a header or a body. A request pipelined behind another in one chunk (rare; curl and browsers do not
pipeline) reaches the parser as sent, and non-ASCII in its target gets the JSON 400.
"""

import json
import re

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from matching.messages import LANGUAGES, Lang, pick_language, render

_NON_ASCII = re.compile(rb"[\x80-\xff]")
_LANG_QUERY = re.compile(rb"[?&]lang=([^&\s#]*)")
_ACCEPT_LANGUAGE = re.compile(rb"(?im)^accept-language:[ \t]*([^\r\n]*)")


def _bad_request(lang: Lang) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    # uvicorn's msg is always "Invalid HTTP request received."; say what it means for a client.
    body = json.dumps({"error": "bad_request", "fields": [], "detail": render(lang, "error.bad_http")},
                      ensure_ascii=False).encode()
    return body, [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                  (b"connection", b"close")]


BAD_REQUEST = {lang: _bad_request(lang) for lang in LANGUAGES}
BAD_REQUEST_BODY, BAD_REQUEST_HEADERS = BAD_REQUEST["en"]


def language_of(head: bytes) -> Lang:
    """The language a raw request asks for (`?lang=`, else Accept-Language), read from its bytes: the 400
    for a request that cannot be parsed is sent before anything else reads it."""
    line, _, rest = head[:8192].partition(b"\n")
    query, header = _LANG_QUERY.search(line), _ACCEPT_LANGUAGE.search(rest)
    return pick_language(query[1].decode("latin-1") if query else None,
                         header[1].decode("latin-1") if header else None)


def percent_encode_non_ascii(data: bytes) -> bytes:
    """b"province=\\xe6\\x96\\xb0" → b"province=%E6%96%B0"; ASCII, including existing escapes, unchanged."""
    if data.isascii():  # nearly every request: a C check instead of a regex pass
        return data
    return _NON_ASCII.sub(lambda m: b"%%%02X" % m[0][0], data)


def _encode_line_start(data: bytes) -> tuple[bytes, bool]:
    """`data` with non-ASCII escaped up to its first LF, and whether that LF (the line's end) was in it."""
    end = data.find(b"\n")
    if end < 0:
        return percent_encode_non_ascii(data), False
    return percent_encode_non_ascii(data[:end]) + data[end:], True


class Utf8TargetHttpToolsProtocol(HttpToolsProtocol):
    """httptools (llhttp), accepting raw UTF-8 in request targets and answering protocol errors in JSON."""

    # True while the connection waits for a request line, or is in the middle of one: the parser's
    # callbacks below track message boundaries, since llhttp does not expose its state.
    _awaiting_line = True

    def on_message_begin(self) -> None:
        self._awaiting_line = False
        super().on_message_begin()

    def on_message_complete(self) -> None:
        self._awaiting_line = True
        super().on_message_complete()

    # The chunk that began the request being received: its language is read only should it need the 400
    # (reading it on every request cost the event loop about 5 % of its time under load).
    _head: bytes = b""

    def data_received(self, data: bytes) -> None:
        line_continues = False
        if self._awaiting_line and data:
            self._head = data
            data, line_ended = _encode_line_start(data)
            line_continues = not line_ended
        super().data_received(data)
        if line_continues:  # no LF in this chunk, so no message completed: the next chunk goes on with the line
            self._awaiting_line = True

    def send_400_response(self, msg: str) -> None:
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        body, headers = BAD_REQUEST[language_of(self._head)]
        for name, value in [*self.server_state.default_headers, *headers]:
            head += [name, b": ", value, b"\r\n"]
        self.transport.write(b"".join([*head, b"\r\n", body]))
        self.transport.close()


class Utf8TargetH11Protocol(H11Protocol):
    """h11, accepting raw UTF-8 in request targets and answering protocol errors in JSON."""

    _head: bytes = b""  # as above: the language is read only for a 400

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            buffered, _ = self.conn.trailing_data
            self._head = buffered + data
            if b"\n" not in buffered:  # the request line is still arriving: it ends at this chunk's first LF
                data, _ = _encode_line_start(data)
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        body, headers = BAD_REQUEST[language_of(self._head)]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
                      h11.Data(data=body), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()
