"""The HTTP/1.1 protocol `matchmaker serve` speaks: uvicorn's h11 protocol, with two changes at the edge.

curl and many scripts send `GET /colleges?province=新疆` with the UTF-8 bytes as they are. A request
target may hold only ASCII (RFC 9112), so h11 (and httptools, whose llhttp is strict too) refuses it,
and uvicorn answers a plain-text 400 before the app sees the request. A browser percent-encodes those
bytes for the same URL; doing that here gives the app exactly the query the client meant, so the
request works. What is still not HTTP gets a 400 in the API's one error shape instead of plain text.

Only the request line of a request that starts while the connection waits for one is rewritten, never
a body. A request pipelined behind another on one connection (rare; curl and browsers do not) reaches
h11 as sent, and non-ASCII in its target gets the JSON 400.
"""

import json
import re

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

_NON_ASCII = re.compile(rb"[\x80-\xff]")


def percent_encode_non_ascii(data: bytes) -> bytes:
    """b"province=\\xe6\\x96\\xb0" → b"province=%E6%96%B0"; ASCII, including existing escapes, unchanged."""
    return _NON_ASCII.sub(lambda m: b"%%%02X" % m[0][0], data)


class Utf8TargetH11Protocol(H11Protocol):
    """h11, accepting raw UTF-8 in request targets and answering protocol errors in JSON."""

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            buffered, _ = self.conn.trailing_data
            if b"\n" not in buffered:  # the request line is still arriving: it ends at this chunk's first LF
                end = data.find(b"\n")
                head, tail = (data, b"") if end < 0 else (data[:end], data[end:])
                data = percent_encode_non_ascii(head) + tail
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        # uvicorn's msg is always "Invalid HTTP request received."; say what it means for a client.
        detail = "the request is not valid HTTP/1.1 (a malformed request line or header)"
        body = json.dumps({"error": "bad_request", "detail": detail, "fields": []}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close")]
        for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"), h11.Data(data=body),
                      h11.EndOfMessage()):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()
