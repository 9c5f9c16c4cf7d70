"""Python's h11 as an independent oracle for anvil::http::ResponseParser.

Generated connections (seeded, deterministic) are parsed by h11 (a client Connection that sends
the matching Request before each response) and by anvil-http-parse-tool, once in a single read
and once in small reads. The two must agree on accept/reject, and for every response on status,
HTTP version, reason, headers, body bytes, 1xx count and connection reuse. Three families:

  valid      pipelined sequences of legal responses; anvil must also match the generator's own
             expectation (so a bug shared by both parsers still fails);
  truncated  a valid connection cut at a random byte: agreement only;
  defects    a valid connection whose last response carries exactly one defect: both reject,
             anvil with the named error. Where anvil deliberately differs from h11, the case is in
             DIFFERENCES with the RFC section behind anvil's choice, and both sides' behaviour is
             asserted there.

Representation differences (not behaviour) handled by `h11_headers`: h11 lowercases field names,
merges identical Content-Length fields into one and a "5, 5" list into "5", and lowercases the
Transfer-Encoding value; anvil returns field lines as received. h11 reports data after a response
that closes the connection as an error ("Got data when expecting EOF"); the tool stops reading
there and reports {"end": "closed"}: both mean the connection is not reused.
"""

import json
import os
import random
import string
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import h11
import pytest

TOOL = Path(os.environ.get("ANVIL_BINARY_DIR", "build")) / "anvil-http-parse-tool"
SEED = 20240611
CRLF = b"\r\n"
TCHARS = "!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits
FRAMING_NAMES = {b"content-length", b"transfer-encoding", b"connection"}


# ---------------------------------------------------------------------------------------------
# Both parsers, reduced to the same shape.

@dataclass
class Parsed:
    status: int
    version: str
    reason: bytes
    headers: list  # [(name, value)] as bytes
    body: bytes
    keep_alive: bool
    interim: int
    framing: str = ""  # anvil only
    framing_conflict: bool = False  # anvil only


@dataclass
class Outcome:
    responses: list
    end: str  # ok | eof_complete | closed | error
    error: str = ""  # anvil: to_string(ParseError); h11: its message


def run_h11(wire: bytes, methods: list) -> Outcome:
    """Feeds the whole connection, then EOF. A new request is sent only when bytes remain after
    a response, so a close between responses is a clean end as it is for the tool."""
    conn = h11.Connection(our_role=h11.CLIENT)

    def send_request(index):
        method = methods[index] if index < len(methods) else "GET"
        conn.send(h11.Request(method=method, target="/", headers=[("Host", "anvil.test")]))
        conn.send(h11.EndOfMessage())

    send_request(0)
    conn.receive_data(wire)
    responses, current, interim, eof = [], None, 0, False
    try:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                assert not eof, "h11 asked for data after EOF"
                conn.receive_data(b"")
                eof = True
            elif isinstance(event, h11.InformationalResponse):
                interim += 1
            elif isinstance(event, h11.Response):
                current = Parsed(event.status_code, event.http_version.decode(),
                                 bytes(event.reason), list(event.headers), b"", False, interim)
                interim = 0
            elif isinstance(event, h11.Data):
                current.body += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                current.keep_alive = conn.their_state is h11.DONE
                responses.append(current)
                if eof:
                    return Outcome(responses, "eof_complete")
                if conn.their_state is h11.DONE and conn.trailing_data[0]:
                    conn.start_next_cycle()
                    send_request(len(responses))
            elif isinstance(event, h11.ConnectionClosed):
                return Outcome(responses, "ok")
            else:
                raise AssertionError(f"unexpected h11 event {event!r}")
    except h11.RemoteProtocolError as e:
        if str(e) == "Got data when expecting EOF":
            return Outcome(responses, "closed")
        return Outcome(responses, "error", str(e))


def run_tool(cases: list) -> list:
    """cases: [(wire, methods, split)]; one tool process for all of them."""
    stdin = bytearray()
    for wire, methods, split in cases:
        stdin += f"{','.join(methods) or '-'} {split} {len(wire)}\n".encode() + wire
    proc = subprocess.run([str(TOOL), "--batch"], input=bytes(stdin), capture_output=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    outcomes = [Outcome([], "") for _ in cases]
    # Split on LF only: str.splitlines would also split at U+0085 (obs-text byte 0x85).
    for line in proc.stdout.decode("utf-8").split("\n")[:-1]:
        j = json.loads(line)
        out = outcomes[j["case"]]
        assert not out.end, "output after the end of a case"
        if "error" in j:
            out.end, out.error = "error", j["error"]
        elif "end" in j:
            out.end = j["end"]
        else:
            out.responses.append(Parsed(
                j["status"], j["version"], j["reason"].encode("latin-1"),
                [(n.encode("latin-1"), v.encode("latin-1")) for n, v in j["headers"]],
                bytes.fromhex(j["body"]), j["keep_alive"], j["interim"], j["framing"],
                j["framing_conflict"]))
    assert all(o.end for o in outcomes), "a case without an end line"
    return outcomes


def h11_headers(headers: list) -> list:
    """anvil's field lines in h11's representation (see the module docstring)."""
    out, seen_length = [], False
    for name, value in headers:
        name = name.lower()
        if name == b"content-length":
            members = {m.strip() for m in value.split(b",")}
            assert len(members) == 1, "anvil accepted differing Content-Length members"
            if seen_length:
                continue
            seen_length, value = True, members.pop()
        elif name == b"transfer-encoding":
            value = value.lower()
        out.append((name, value))
    return out


def connection_options(headers: list) -> set:
    return {o.strip().lower() for n, v in headers if n.lower() == b"connection"
            for o in v.split(b",") if o.strip()}


def http10_persistent(r: Parsed) -> bool:
    """RFC 9112 §9.3: an HTTP/1.0 response persists only with the "keep-alive" option, and
    anvil honours it. h11 never reuses an HTTP/1.0 connection (its `_keep_alive`). Transfer-
    Encoding in HTTP/1.0 (§6.1) and a close-delimited body (§6.3 item 8) rule reuse out."""
    options = connection_options(r.headers)
    return (b"keep-alive" in options and b"close" not in options
            and r.framing in ("none", "content_length"))


def assert_same_response(a: Parsed, h: Parsed, where: str, ended_by_eof=False):
    assert (a.status, a.version, a.reason, a.interim) == \
        (h.status, h.version, h.reason, h.interim), where
    assert h11_headers(a.headers) == h.headers, where
    assert a.body == h.body, where
    if ended_by_eof:
        # h11 leaves their_state DONE after a close-delimited body (the close already ended the
        # connection); anvil reports it as not reusable (RFC 9112 §6.3 item 8).
        assert not a.keep_alive and a.framing == "until_close", where
    elif a.version == "1.0":
        assert h.keep_alive is False, where
        assert a.keep_alive == http10_persistent(a), where
    else:
        assert a.keep_alive == h.keep_alive, where


def assert_agree(a: Outcome, h: Outcome, where: str):
    assert (a.end, len(a.responses)) == (h.end, len(h.responses)), \
        f"{where}: anvil {a.end} {a.error} x{len(a.responses)}, " \
        f"h11 {h.end} {h.error} x{len(h.responses)}"
    for i, (ra, rh) in enumerate(zip(a.responses, h.responses)):
        ended_by_eof = a.end == "eof_complete" and i + 1 == len(a.responses)
        assert_same_response(ra, rh, f"{where} response {i}", ended_by_eof)


# ---------------------------------------------------------------------------------------------
# The generator: a response as parts, so a defect can replace exactly one of them.

@dataclass
class Chunk:
    size: bytes
    ext: bytes
    data: bytes
    end: bytes = CRLF


@dataclass
class Response:
    method: str = "GET"
    version: bytes = b"1.1"
    status: int = 200
    reason: Optional[bytes] = b"OK"  # None: the SP before it is omitted too
    status_line: Optional[bytes] = None  # overrides the three above
    interim: list = field(default_factory=list)  # whole 1xx heads
    fields: list = field(default_factory=list)  # field lines without CRLF
    expect_headers: list = field(default_factory=list)  # (name, value), value OWS-trimmed
    framing: str = "none"  # none | content_length | chunked | until_close (anvil's names)
    body: bytes = b""
    chunks: list = field(default_factory=list)
    last_chunk: bytes = b"0"
    trailers: list = field(default_factory=list)  # trailer lines without CRLF
    keep_alive: bool = True  # anvil's expectation

    def head_bytes(self) -> bytes:
        line = self.status_line
        if line is None:
            line = b"HTTP/" + self.version + b" %03d" % self.status
            if self.reason is not None:
                line += b" " + self.reason
        return b"".join(self.interim) + line + CRLF + b"".join(f + CRLF for f in self.fields) + CRLF

    def body_bytes(self) -> bytes:
        if self.framing != "chunked":
            return self.body
        out = b"".join(c.size + c.ext + CRLF + c.data + c.end for c in self.chunks)
        return out + self.last_chunk + CRLF + b"".join(t + CRLF for t in self.trailers) + CRLF

    def wire(self) -> bytes:
        return self.head_bytes() + self.body_bytes()

    def bodyless(self) -> bool:
        return self.method == "HEAD" or self.status in (204, 304)


class Generator:
    STATUSES = [200, 200, 200, 201, 202, 203, 204, 206, 226, 299, 301, 302, 304, 307, 400, 401,
                404, 418, 429, 451, 500, 502, 503, 599]
    NAMES = [b"Server", b"Date", b"Content-Type", b"ETag", b"Cache-Control", b"Set-Cookie",
             b"Vary", b"X-Request-Id", b"x", b"X_Under", b"x-a.b~c", b"cOnTeNt-TyPe", b"Upgrade",
             b"Keep-Alive", b"!#$%&'*+-.^_`|~09azAZ"]
    OWS = [b"", b"", b" ", b"\t", b"  ", b" \t "]

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def chance(self, percent):
        return self.rng.random() * 100 < percent

    def token(self, n=None):
        n = n or self.rng.randint(1, 12)
        return "".join(self.rng.choice(TCHARS) for _ in range(n)).encode()

    def field_text(self, max_len=30, obs_text=True):
        """field-content: VCHAR / obs-text with inner SP/HTAB runs, no outer whitespace."""
        out = bytearray()
        for i in range(self.rng.randrange(max_len)):
            if 0 < i and self.chance(10):
                out += self.rng.choice([b" ", b"\t", b"  "])
            c = self.rng.randint(0x21, 0x7E)
            if obs_text and self.chance(8):
                c = self.rng.randint(0x80, 0xFF)
            out.append(c)
        return bytes(out)

    def name(self):
        if self.chance(30):
            name = self.token()
            return name if name.lower() not in FRAMING_NAMES else b"X"
        return self.rng.choice(self.NAMES)

    def add_field(self, r: Response, name: bytes, value: bytes, at=None):
        line = name + b":" + self.rng.choice(self.OWS) + value
        if value:
            line += self.rng.choice(self.OWS)
        at = self.rng.randint(0, len(r.fields)) if at is None else at
        r.fields.insert(at, line)
        r.expect_headers.insert(at, (name, value))

    def reason(self):
        roll = self.rng.randrange(10)
        if roll == 0:
            return None
        if roll == 1:
            return b""
        if roll < 5:
            return b"OK"
        reason = self.field_text(25)
        # Leading and trailing SP/HTAB are part of the reason-phrase (RFC 9112 §4).
        if self.chance(15):
            reason = b" " + reason
        if self.chance(15):
            reason += b"\t "
        return reason

    def interim_head(self):
        status = self.rng.choice([100, 102, 103])
        head = b"HTTP/1.1 %d %s\r\n" % (status, self.rng.choice([b"Continue", b"", b"Hints"]))
        for _ in range(self.rng.randrange(3)):
            head += b"Link: </s.css>; rel=preload" + CRLF
        return head + CRLF

    def chunked_body(self, r: Response, body: bytes):
        at = 0
        while at < len(body):
            n = min(len(body) - at, self.rng.randint(1, 64 if self.chance(80) else 600))
            size = b"%x" % n if self.chance(50) else b"%X" % n
            if self.chance(10):
                size = b"0" * self.rng.randint(1, 4) + size
            ext = b""
            for _ in range(self.rng.choice([0, 0, 0, 1, 2])):
                ext += b";" + self.rng.choice([b"", b" "]) + self.token()
                kind = self.rng.randrange(3)
                if kind == 1:
                    ext += b"=" + self.token()
                elif kind == 2:
                    ext += b'="a b \\" ;,"'
            if ext and self.chance(20):
                ext += b" "  # OWS before the CRLF
            r.chunks.append(Chunk(size, ext, body[at:at + n]))
            at += n
        r.last_chunk = self.rng.choice([b"0", b"0", b"000", b"0;last=1"])
        for _ in range(self.rng.choice([0, 0, 1, 2])):
            name = self.rng.choice([b"X-Checksum", b"Server-Timing", self.token()])
            if name.lower() in FRAMING_NAMES:
                name = b"X-T"
            r.trailers.append(name + b":" + self.rng.choice(self.OWS) + self.field_text(20))

    def body(self):
        roll = self.rng.randrange(10)
        n = 0 if roll == 0 else self.rng.randrange(2000 if roll == 9 else 80)
        return self.rng.randbytes(n)

    def response(self, last=True, persistent=False, framing=None, bodyless=None,
                 version=None) -> Response:
        """last: may be delimited by EOF; persistent: must let h11 reuse the connection."""
        r = Response()
        r.version = version or (b"1.0" if not persistent and self.chance(12) else b"1.1")
        r.method = self.rng.choice(["GET"] * 6 + ["HEAD", "POST", "DELETE", "OPTIONS"])
        r.status = self.rng.choice(self.STATUSES)
        if self.chance(5):
            r.status = self.rng.randint(200, 599)
        if bodyless is not None:
            while r.bodyless() != bodyless:
                r.method = self.rng.choice(["GET", "HEAD"])
                r.status = self.rng.choice(self.STATUSES)
        r.reason = self.reason()
        r.interim = [self.interim_head() for _ in range(self.rng.choice([0] * 8 + [1, 2]))]
        for _ in range(self.rng.randrange(9)):
            name = self.name()
            self.add_field(r, name, self.field_text())
            if self.chance(15):  # a duplicate field line: both keep every line, in order
                self.add_field(r, name, self.field_text())

        options = []
        if r.version == b"1.0":
            if self.chance(50):
                options = [b"keep-alive"] if persistent else self.rng.choice(
                    [[b"keep-alive"], [b"Keep-Alive"], [b"close"], [b"keep-alive", b"close"]])
        elif persistent or self.chance(80):
            options = self.rng.choice([[], [b"keep-alive"], [b"foo", b"Bar"], [b"te"],
                                       [b"upgrade"]]) if self.chance(50) else []
        else:
            options = self.rng.choice([[b"close"], [b"CLOSE"], [b"Keep-Alive", b"close"],
                                       [b"upgrade", b"close"]])
        if options:
            if self.chance(20) and len(options) > 1:  # one list in two field lines
                for o in options:
                    self.add_field(r, b"Connection", o)
            else:
                sep = self.rng.choice([b",", b", ", b" ,\t"])
                self.add_field(r, self.rng.choice([b"Connection", b"connection"]),
                               sep.join(options))

        if framing is None:
            framing = self.rng.choice(["content_length", "content_length", "chunked"])
            if last and not persistent and self.chance(20):
                framing = "until_close"
            if r.bodyless() and self.chance(30):
                framing = "none"
        body = self.body()
        if framing == "content_length":
            length = b"%d" % len(body)
            if r.method == "HEAD":  # the length the GET would have had
                length = b"%d" % self.rng.randrange(100000)
            if self.chance(5):
                length = b"0" * self.rng.randint(1, 20 - len(length)) + length
            name = self.rng.choice([b"Content-Length", b"content-length", b"CONTENT-LENGTH"])
            if self.chance(8):  # RFC 9110 §8.6: a list of identical values is one length
                self.add_field(r, name, length + self.rng.choice([b",", b", ", b" , "]) + length)
            else:
                self.add_field(r, name, length)
            if self.chance(8):
                self.add_field(r, b"Content-Length", length)
        elif framing == "chunked":
            self.add_field(r, b"Transfer-Encoding",
                           self.rng.choice([b"chunked", b"Chunked", b"CHUNKED"]))

        opts = {o.lower() for o in options}
        if r.version == b"1.0":
            r.keep_alive = b"keep-alive" in opts and b"close" not in opts
        else:
            r.keep_alive = b"close" not in opts
        if r.bodyless():
            r.framing = "none"
            return r
        r.framing = framing
        if framing == "until_close":
            r.keep_alive = False
        if framing == "chunked":
            if r.version == b"1.0":
                r.keep_alive = False  # RFC 9112 §6.1
            self.chunked_body(r, body)
        if framing != "none":
            r.body = body
        return r

    def h11_persistent(self, r: Response) -> bool:
        return r.keep_alive and r.version != b"1.0"

    def connection(self, count) -> list:
        """1..count responses; nothing follows one after which h11 would close."""
        out = []
        for i in range(count):
            r = self.response(last=i + 1 == count)
            out.append(r)
            if not self.h11_persistent(r):
                break
        return out


def wire_of(responses):
    return b"".join(r.wire() for r in responses)


def methods_of(responses):
    return [r.method for r in responses]


# ---------------------------------------------------------------------------------------------
# Defects: each takes (gen, response) and changes one thing. `anvil` is the error (or set of
# errors) anvil must report; `framing` / `bodyless` constrain the response it is applied to.

@dataclass
class Defect:
    name: str
    apply: Callable
    anvil: object
    framing: Optional[str] = None
    bodyless: Optional[bool] = None


def set_status_line(line):
    def apply(g, r):
        r.status_line = line
    return apply


def add_line(line, first=False):
    def apply(g, r):
        at = 0 if first else g.rng.randint(0, len(r.fields))
        r.fields.insert(at, line)
    return apply


def replace_field(name, line):
    def apply(g, r):
        at = next(i for i, f in enumerate(r.fields) if f.lower().startswith(name + b":"))
        r.fields[at] = line
    return apply


def drop_fields(r, name):
    r.fields = [f for f in r.fields if not f.lower().startswith(name + b":")]


def with_length(*values):
    def apply(g, r):
        drop_fields(r, b"content-length")
        for v in values:
            r.fields.insert(g.rng.randint(0, len(r.fields)), b"Content-Length: " + v)
    return apply


def with_coding(*values):
    def apply(g, r):
        drop_fields(r, b"transfer-encoding")
        for v in values:
            r.fields.insert(g.rng.randint(0, len(r.fields)), b"Transfer-Encoding: " + v)
    return apply


def on_chunk(fn):
    def apply(g, r):
        fn(r.chunks[g.rng.randrange(len(r.chunks))])
    return apply


def set_attr(**kw):
    def apply(g, r):
        for k, v in kw.items():
            setattr(r, k, v)
    return apply


def chunk_size(size):
    def fn(c):
        c.size = size
    return fn


def chunk_ext(ext):
    def fn(c):
        c.ext = ext
    return fn


def chunk_end(end):
    def fn(c):
        c.end = end
    return fn


def longer_data(c):
    c.data += b"!"


def add_trailer(line):
    def apply(g, r):
        r.trailers.insert(g.rng.randint(0, len(r.trailers)), line)
    return apply


HTTP = b"HTTP/1.1 "
# h11 rejects each of these too.
DEFECTS = [
    Defect("status_not_digits", set_status_line(HTTP + b"2x0 OK"), "bad_status_code"),
    Defect("status_two_digits", set_status_line(HTTP + b"20 OK"), "bad_status_code"),
    Defect("status_four_digits", set_status_line(HTTP + b"2000 OK"), "bad_status_code"),
    Defect("status_space_inside", set_status_line(HTTP + b"2 00 OK"), "bad_status_code"),
    Defect("status_below_100", set_status_line(HTTP + b"099 OK"), "bad_status_code"),
    Defect("status_missing", set_status_line(b"HTTP/1.1"), "bad_status_line"),
    Defect("version_lower_case", set_status_line(b"http/1.1 200 OK"), "bad_status_line"),
    Defect("version_no_minor", set_status_line(b"HTTP/1 200 OK"), "bad_version"),
    Defect("version_two_digit_minor", set_status_line(b"HTTP/1.10 200 OK"), "bad_status_line"),
    Defect("double_sp_after_version", set_status_line(b"HTTP/1.1  200 OK"), "bad_status_code"),
    Defect("htab_after_version", set_status_line(b"HTTP/1.1\t200 OK"), "bad_status_line"),
    Defect("leading_empty_line", set_status_line(b"\r\nHTTP/1.1 200 OK"), "bad_status_line"),
    Defect("nul_in_reason", set_status_line(HTTP + b"200 O\x00K"), "bad_status_line"),
    Defect("bare_cr_in_reason", set_status_line(HTTP + b"200 O\rK"), "bare_cr"),
    Defect("space_before_colon", add_line(b"X-Space : v"), "bad_header_name"),
    Defect("space_in_name", add_line(b"Bad Name: v"), "bad_header_name"),
    Defect("quote_in_name", add_line(b'Bad"Name: v'), "bad_header_name"),
    Defect("separator_in_name", add_line(b"Bad(Name): v"), "bad_header_name"),
    Defect("obs_text_in_name", add_line(b"Caf\xe9: v"), "bad_header_name"),
    Defect("no_colon", add_line(b"NoColonHere"), "bad_header_name"),
    Defect("empty_name", add_line(b": v"), "bad_header_name"),
    Defect("nul_in_value", add_line(b"X-Nul: a\x00b"), "bad_header_value"),
    Defect("vt_in_value", add_line(b"X-Vt: a\x0bb"), "bad_header_value"),
    Defect("ff_in_value", add_line(b"X-Ff: a\x0cb"), "bad_header_value"),
    Defect("bare_cr_in_value", add_line(b"X-Cr: a\rb"), "bare_cr"),
    Defect("whitespace_before_first_field", add_line(b" X-First: v", first=True), "obs_fold"),
    Defect("interim_with_bad_field",
           set_attr(interim=[b"HTTP/1.1 100 Continue\r\nBad Name: v\r\n\r\n"]),
           "bad_header_name"),
    Defect("content_length_letters", with_length(b"1x"), "bad_content_length"),
    Defect("content_length_negative", with_length(b"-1"), "bad_content_length"),
    Defect("content_length_plus", with_length(b"+1"), "bad_content_length"),
    Defect("content_length_hex", with_length(b"0x10"), "bad_content_length"),
    Defect("content_length_empty", with_length(b""), "bad_content_length"),
    Defect("content_length_inner_space", with_length(b"1 2"), "bad_content_length"),
    Defect("content_length_decimal", with_length(b"1.0"), "bad_content_length"),
    Defect("content_length_23_digits", with_length(b"9" * 23), "bad_content_length"),
    # h11 accepts the 20-digit length, then reports the truncated body at EOF.
    Defect("content_length_above_2_64", with_length(b"9" * 20), "bad_content_length",
           "content_length"),
    Defect("content_length_differs", with_length(b"3", b"4"), "conflicting_content_length"),
    Defect("content_length_list_differs", with_length(b"3, 4"), "conflicting_content_length"),
    Defect("coding_unknown", with_coding(b"br"), "bad_transfer_encoding"),
    Defect("coding_identity", with_coding(b"identity"), "bad_transfer_encoding"),
    Defect("coding_empty", with_coding(b""), "bad_transfer_encoding"),
    Defect("chunked_twice_in_list", with_coding(b"chunked, chunked"), "bad_transfer_encoding"),
    Defect("chunked_twice_in_fields", with_coding(b"chunked", b"chunked"),
           "bad_transfer_encoding"),
    Defect("chunk_size_not_hex", on_chunk(chunk_size(b"zz")), "bad_chunk_size", "chunked"),
    Defect("chunk_size_0x", on_chunk(chunk_size(b"0x5")), "bad_chunk_size", "chunked"),
    Defect("chunk_size_negative", on_chunk(chunk_size(b"-5")), "bad_chunk_size", "chunked"),
    Defect("chunk_size_missing", on_chunk(chunk_size(b"")), "bad_chunk_size", "chunked"),
    Defect("chunk_size_inner_space", on_chunk(chunk_size(b"1 0")), "bad_chunk_extension",
           "chunked"),
    # Above anvil's ParserLimits::max_chunk_size (2^40); h11 fails at EOF (truncated chunk).
    Defect("chunk_size_above_limit", on_chunk(chunk_size(b"10000000001")), "bad_chunk_size",
           "chunked"),
    Defect("chunk_size_line_bare_lf", on_chunk(lambda c: setattr(c, "ext", b"\n")),
           "bad_chunk_size", "chunked"),
    Defect("chunk_data_too_long", on_chunk(longer_data), "bad_chunk_terminator", "chunked"),
    Defect("chunk_data_too_short", on_chunk(lambda c: setattr(c, "data", c.data[:-1])),
           {"bad_chunk_terminator", "bad_chunk_size", "bad_chunk_extension", "truncated_body"},
           "chunked"),
    Defect("chunk_end_bare_lf", on_chunk(chunk_end(b"\n")), "bad_chunk_terminator", "chunked"),
    Defect("chunk_end_missing", on_chunk(chunk_end(b"")),
           {"bad_chunk_terminator", "bad_chunk_size"}, "chunked"),
    Defect("trailer_no_colon", add_trailer(b"NoColon"), "bad_trailer", "chunked"),
    Defect("trailer_space_before_colon", add_trailer(b"X-T : v"), "bad_trailer", "chunked"),
    Defect("trailer_nul_in_value", add_trailer(b"X-T: a\x00b"), "bad_trailer", "chunked"),
    Defect("last_chunk_not_hex", set_attr(last_chunk=b"0g"), "bad_chunk_size", "chunked"),
]


@dataclass
class Difference:
    """A response on which anvil deliberately differs from h11. `h11_ok`: h11 accepts it;
    `anvil`: the error anvil reports, or None when it accepts; `check(anvil, h11)` asserts the
    documented behaviour of both where they both accept."""
    name: str
    why: str
    wire: bytes
    h11_ok: bool
    anvil: Optional[str]
    methods: tuple = ("GET",)
    check: Optional[Callable] = None


OK_HEAD = b"HTTP/1.1 200 OK\r\n"
TE = OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n"


def check_te_and_cl(a: Outcome, h: Outcome):
    # Both take the chunked body; anvil does not reuse the connection.
    assert a.responses[0].body == h.responses[0].body == b"abc"
    assert a.responses[0].framing_conflict and not a.responses[0].keep_alive
    assert h.responses[0].keep_alive


def check_101(a: Outcome, h: Outcome):
    r = a.responses[0]
    assert (r.status, r.framing, r.keep_alive, a.end) == (101, "none", False, "closed")


def check_http10_keep_alive(a: Outcome, h: Outcome):
    assert [r.keep_alive for r in a.responses] == [True, True]
    assert h.responses[0].keep_alive is False and h.end == "closed"


def check_body(body):
    def check(a: Outcome, h: Outcome):
        assert a.responses[-1].body == body
    return check


DIFFERENCES = [
    Difference("status_above_599", "RFC 9110 §15: status codes are 100..599 (h11: 200..999)",
               b"HTTP/1.1 600 OK\r\nContent-Length: 0\r\n\r\n", True, "bad_status_code"),
    Difference("status_999", "RFC 9110 §15", b"HTTP/1.1 999 X\r\nContent-Length: 0\r\n\r\n",
               True, "bad_status_code"),
    Difference("http_2_0", "RFC 9112 §2.3: this is an HTTP/1.x parser; h11 takes any d.d",
               b"HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", True, "bad_version"),
    Difference("http_0_9", "RFC 9112 §2.3", b"HTTP/0.9 200 OK\r\nContent-Length: 0\r\n\r\n",
               True, "bad_version"),
    Difference("bare_lf_lines", "RFC 9112 §2.2 lets a recipient accept a bare LF; anvil does "
               "not (header comment: lines end in CRLF)",
               b"HTTP/1.1 200 OK\nContent-Length: 0\n\n", True, "bad_status_line"),
    Difference("bare_lf_field_line", "RFC 9112 §2.2",
               OK_HEAD + b"X: y\nContent-Length: 0\r\n\r\n", True, "bad_header_value"),
    Difference("obs_fold", "RFC 9112 §5.2: obs-fold is deprecated; anvil rejects, h11 unfolds",
               OK_HEAD + b"X: a\r\n\tb\r\nContent-Length: 0\r\n\r\n", True, "obs_fold"),
    Difference("ctl_in_value", "RFC 9110 §5.5: CTLs are not field-vchar (h11 allows them on "
               "purpose, its issue #57)", OK_HEAD + b"X: a\x01b\r\nContent-Length: 0\r\n\r\n",
               True, "bad_header_value"),
    Difference("del_in_value", "RFC 9110 §5.5: DEL is not VCHAR",
               OK_HEAD + b"X: a\x7fb\r\nContent-Length: 0\r\n\r\n", True, "bad_header_value"),
    Difference("ctl_in_reason", "RFC 9112 §4: reason-phrase = *( HTAB / SP / VCHAR / obs-text )",
               b"HTTP/1.1 200 O\x1fK\r\nContent-Length: 0\r\n\r\n", True, "bad_status_line"),
    Difference("unsolicited_101", "RFC 9110 §15.2.2: h11 refuses a 101 it did not ask for; "
               "anvil returns it as a final head with no body and closes",
               b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n\x00binary", False, None,
               check=check_101),
    Difference("coding_gzip_then_chunked", "RFC 9112 §6.3 item 4: chunked last frames the body; "
               "h11 supports only `chunked`", OK_HEAD + b"Transfer-Encoding: gzip, chunked\r\n"
               b"\r\n3\r\nabc\r\n0\r\n\r\n", False, None, check=check_body(b"abc")),
    Difference("coding_gzip_only", "RFC 9112 §6.3 item 4: not chunked last: read until close",
               OK_HEAD + b"Transfer-Encoding: gzip\r\n\r\nxyz", False, None,
               check=check_body(b"xyz")),
    Difference("coding_list_with_empty_member", "RFC 9110 §5.6.1: empty list members are "
               "ignored", OK_HEAD + b"Transfer-Encoding: , chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
               False, None, check=check_body(b"abc")),
    Difference("transfer_encoding_and_content_length", "RFC 9112 §6.3 item 3: chunked wins; the "
               "framing is suspect (smuggling) so anvil does not reuse the connection",
               OK_HEAD + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
               b"0\r\n\r\n", True, None, check=check_te_and_cl),
    Difference("content_length_empty_member", "RFC 9110 §5.6.1 (empty list members ignored) "
               "with §8.6", OK_HEAD + b"Content-Length: 3,\r\n\r\nabc", False, None,
               check=check_body(b"abc")),
    Difference("content_length_21_digits", "RFC 9110 §8.6: 1*DIGIT, no length limit on leading "
               "zeros; h11 caps at 20 digits", OK_HEAD + b"Content-Length: " + b"0" * 20 +
               b"3\r\n\r\nabc", False, None, check=check_body(b"abc")),
    Difference("chunk_size_21_hex_digits", "RFC 9112 §7.1: chunk-size = 1*HEXDIG; h11 caps at "
               "20 digits", TE + b"0" * 20 + b"3\r\nabc\r\n0\r\n\r\n", False, None,
               check=check_body(b"abc")),
    Difference("chunk_ext_bws_before_semicolon", "RFC 9112 §7.1.1: chunk-ext = *( BWS \";\" ...)",
               TE + b"3 ;a=b\r\nabc\r\n0\r\n\r\n", False, None, check=check_body(b"abc")),
    Difference("chunk_ext_no_name", "RFC 9112 §7.1.1 grammar; h11 takes any `;.*`",
               TE + b"3;=x\r\nabc\r\n0\r\n\r\n", True, "bad_chunk_extension"),
    Difference("chunk_ext_two_words", "RFC 9112 §7.1.1", TE + b"3; a b\r\nabc\r\n0\r\n\r\n",
               True, "bad_chunk_extension"),
    Difference("chunk_ext_open_quote", "RFC 9110 §5.6.4 quoted-string",
               TE + b"3;a=\"open\r\nabc\r\n0\r\n\r\n", True, "bad_chunk_extension"),
    Difference("chunk_ext_bare_cr", "RFC 9112 §2.2: a bare CR is invalid",
               TE + b"3;a\rb\r\nabc\r\n0\r\n\r\n", True, "bad_chunk_size"),
    Difference("trailer_obs_fold", "RFC 9112 §5.2 (trailers are field lines, §7.1.2)",
               TE + b"3\r\nabc\r\n0\r\nX: a\r\n b\r\n\r\n", True, "bad_trailer"),
    Difference("too_many_headers", "ParserLimits::max_headers (kMaxHeaders = 64); h11 has none",
               OK_HEAD + b"".join(b"X-%d: v\r\n" % i for i in range(65)) +
               b"Content-Length: 0\r\n\r\n", True, "too_many_headers"),
    Difference("head_too_large", "ParserLimits::max_head_bytes (64 KiB); h11 limits only an "
               "incomplete head (16 KiB) and here the head is complete",
               OK_HEAD + b"X: " + b"v" * 70000 + b"\r\nContent-Length: 0\r\n\r\n", True,
               "head_too_large"),
    Difference("http10_keep_alive_pipelined", "RFC 9112 §9.3: HTTP/1.0 with keep-alive "
               "persists; h11 never reuses an HTTP/1.0 connection",
               b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\na"
               b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nb",
               True, None, ("GET", "GET"), check=check_http10_keep_alive),
    Difference("empty_connection", "a close before any byte is a clean end for the parser "
               "(finish_eof: need_more); the caller knows whether a request was outstanding",
               b"", False, None, check=lambda a, h: None),
]


# ---------------------------------------------------------------------------------------------
# Case assembly and the tests.

@dataclass
class Case:
    name: str
    wire: bytes
    methods: list
    expected: Optional[list] = None  # generator's Responses, for valid cases
    expected_end: str = ""
    anvil_error: object = None  # str or set, for defects


def small_split(rng, wire):
    # Small reads, but bounded in number so a 70 KB head stays cheap.
    return max(rng.randint(1, 7), len(wire) // 400)


def valid_cases(gen, n):
    for k in range(n):
        rs = gen.connection(gen.rng.randint(1, 4))
        end = "eof_complete" if rs[-1].framing == "until_close" else "ok"
        yield Case(f"valid#{k}", wire_of(rs), methods_of(rs), rs, end)


def truncated_cases(gen, n):
    for k in range(n):
        rs = gen.connection(gen.rng.randint(1, 3))
        wire = wire_of(rs)
        cut = gen.rng.randrange(1, len(wire)) if len(wire) > 1 else 0
        yield Case(f"truncated#{k}@{cut}", wire[:cut], methods_of(rs))


def defect_cases(gen, per_defect):
    for d in DEFECTS:
        for k in range(per_defect):
            prefix = [gen.response(last=False, persistent=True)
                      for _ in range(gen.rng.randrange(3))]
            r = gen.response(framing=d.framing, bodyless=False if d.framing else None)
            if d.framing == "chunked" and not r.chunks:
                r.chunks.append(Chunk(b"1", b"", b"x"))
            d.apply(gen, r)
            rs = prefix + [r]
            yield Case(f"{d.name}#{k}", wire_of(rs), methods_of(rs), prefix, anvil_error=d.anvil)


def run_all(cases, rng):
    """Runs every case through h11 and through the tool twice (one read, small reads)."""
    jobs = []
    for c in cases:
        jobs.append((c.wire, c.methods, 0))
        jobs.append((c.wire, c.methods, small_split(rng, c.wire)))
    results = run_tool(jobs)
    return [(c, results[2 * i], results[2 * i + 1], run_h11(c.wire, c.methods))
            for i, c in enumerate(cases)]


def assert_matches_generator(a: Outcome, expected: list, where: str):
    for i, (got, want) in enumerate(zip(a.responses, expected)):
        w = f"{where} response {i}"
        assert got.status == want.status, w
        assert got.version == want.version.decode(), w
        assert got.reason == (want.reason or b""), w
        assert got.headers == want.expect_headers, w
        assert got.body == want.body, w
        assert got.keep_alive == want.keep_alive, w
        assert got.framing == want.framing, w
        assert got.interim == len(want.interim), w


def test_tool_is_built():
    assert TOOL.exists(), f"{TOOL} missing: build the anvil-http-parse-tool target"


def test_valid_connections_agree_with_h11():
    gen = Generator(SEED)
    cases = list(valid_cases(gen, 2500))
    for c, whole, split, theirs in run_all(cases, gen.rng):
        where = f"{c.name} {c.wire[:200]!r}"
        assert split == whole, f"{where}: small reads changed the result"
        assert whole.end == c.expected_end, f"{where}: {whole.end} {whole.error}"
        assert len(whole.responses) == len(c.expected), where
        assert_matches_generator(whole, c.expected, where)
        assert_agree(whole, theirs, where)


def test_truncated_connections_agree_with_h11():
    gen = Generator(SEED + 1)
    cases = list(truncated_cases(gen, 1500))
    errors = 0
    for c, whole, split, theirs in run_all(cases, gen.rng):
        where = f"{c.name} {c.wire[-120:]!r}"
        assert split == whole, f"{where}: small reads changed the result"
        assert_agree(whole, theirs, where)
        errors += whole.end == "error"
    assert errors > len(cases) // 2  # most cuts land inside a message


def test_single_defects_rejected_by_both():
    gen = Generator(SEED + 2)
    cases = list(defect_cases(gen, 12))
    for c, whole, split, theirs in run_all(cases, gen.rng):
        where = f"{c.name} {c.wire[-300:]!r}"
        assert split == whole, f"{where}: small reads changed the result"
        assert theirs.end == "error", f"{where}: h11 accepted it"
        want = c.anvil_error if isinstance(c.anvil_error, set) else {c.anvil_error}
        assert whole.end == "error" and whole.error in want, f"{where}: anvil {whole.end} " \
            f"{whole.error}"
        # The valid responses before the defect: both parse them identically.
        assert len(whole.responses) == len(theirs.responses) == len(c.expected), where
        assert_matches_generator(whole, c.expected, where)
        for i, (ra, rh) in enumerate(zip(whole.responses, theirs.responses)):
            assert_same_response(ra, rh, f"{where} response {i}")


@pytest.mark.parametrize("d", DIFFERENCES, ids=lambda d: d.name)
def test_documented_differences(d):
    rng = random.Random(d.name)
    [(_, whole, split, theirs)] = run_all([Case(d.name, d.wire, list(d.methods))], rng)
    assert split == whole
    assert (theirs.end != "error") == d.h11_ok, f"{d.why}: h11 {theirs.end} {theirs.error}"
    if d.anvil is None:
        assert whole.end != "error", f"{d.why}: anvil {whole.error}"
    else:
        assert (whole.end, whole.error) == ("error", d.anvil), d.why
    if d.check is not None:
        d.check(whole, theirs)
