#!/usr/bin/env python3
"""Many concurrent S2S streams to `s2scheck serve`, for tests/cli/capacity.sh and
bench/mem-bench.sh (issue 13: serve as a known-good partner for a gateway).

usage: streams.py HOST PORT COUNT SECONDS --to DOMAIN [--from-addr 127.0.0.N]...
                  [--tls CAFILE] [--dialback DNS_PORT]

Opens COUNT TCP connections to HOST:PORT (loopback only), in batches of 50, the
source addresses taken in turn from --from-addr (default: the kernel's choice),
and sends a stream header on each (from='client.test', to=DOMAIN). A stream is
answered when its <stream:features/> arrived. With --tls, an answered stream
that offers STARTTLS asks for it, completes the TLS handshake (the server's
certificate checked against CAFILE for DOMAIN) and opens the stream again: it is
answered when the features after TLS arrived. With --dialback (a server without
TLS, dialback allowed), each answered stream then asks for dialback
(<db:result/> from client.test) and is answered when the server says
type='valid': an authenticated stream. For that the script is client.test's
authoritative server too: DNS on 127.0.0.1:DNS_PORT (UDP; the server's --resolver)
answers SRV _xmpp-server._tcp.client.test and A client.test with its own listener
on 127.0.0.1, which answers every <db:verify/> type='valid'.

Prints "answered A of COUNT (refused R, closed by the server C)" once every stream
is answered or has failed, or SECONDS have passed; then holds the connections
open, saying nothing, until SECONDS have passed since the start or SIGTERM, and
prints "open at the end O". Every wait is bounded by SECONDS.
"""

import argparse
import ipaddress
import re
import selectors
import signal
import socket
import ssl
import struct
import sys
import time

BATCH = 50
HEADER = (
    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
    "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' "
    "from='client.test' to='{to}' version='1.0'>"
)
STARTTLS = b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
ORIGIN = "client.test"
DB_RESULT = "<db:result from='" + ORIGIN + "' to='{to}'>" + "0123456789abcdef" * 4 + "</db:result>"
AUTH_HEADER = (
    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
    "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' "
    "from='" + ORIGIN + "' id='auth-{n}' version='1.0'><stream:features>"
    "<dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback></stream:features>"
)
VERIFY_RE = re.compile(rb"<db:verify\b[^>]*>")
ATTR_RE = re.compile(rb"""\b(from|to|id)=['"]([^'"]*)['"]""")


def dns_answer(query, auth_port):
    """The answer to one DNS query: SRV _xmpp-server._tcp.client.test and A client.test
    point at the authoritative listener; anything else is NXDOMAIN."""
    if len(query) < 12:
        return None
    qid, flags = struct.unpack("!HH", query[:4])
    i, labels = 12, []
    while i < len(query) and query[i] != 0:
        n = query[i]
        labels.append(query[i + 1 : i + 1 + n].decode("ascii", "replace").lower())
        i += 1 + n
    qend = i + 5
    if qend > len(query):
        return None
    qtype = struct.unpack("!H", query[i + 1 : i + 3])[0]
    name = ".".join(labels)
    answer = b""
    if qtype == 33 and name == "_xmpp-server._tcp." + ORIGIN:
        target = b"".join(bytes([len(l)]) + l.encode() for l in ORIGIN.split(".")) + b"\0"
        rdata = struct.pack("!HHH", 0, 0, auth_port) + target
        answer = b"\xc0\x0c" + struct.pack("!HHIH", 33, 1, 60, len(rdata)) + rdata
    elif qtype == 1 and name == ORIGIN:
        answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([127, 0, 0, 1])
    known = name in (ORIGIN, "_xmpp-server._tcp." + ORIGIN)
    rcode = 0 if known else 3
    hdr = struct.pack("!HHHHHH", qid, 0x8400 | (flags & 0x0100) | rcode, 1, 1 if answer else 0, 0, 0)
    return hdr + query[12:qend] + answer


class Verifier:
    """One stream of the server to client.test's authoritative server."""

    def __init__(self, sock, n):
        self.sock = sock
        self.n = n
        self.buf = b""
        self.opened = False

stop = False


def on_term(_sig, _frame):
    global stop
    stop = True


class Stream:
    def __init__(self, sock):
        self.sock = sock
        self.raw = sock
        self.buf = b""
        self.phase = "connect"  # connect, features, proceed, handshake, features2, done, failed
        self.answered = False


def features_end(buf):
    return b"</stream:features>" in buf or b"<stream:features/>" in buf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("count", type=int)
    ap.add_argument("seconds", type=float)
    ap.add_argument("--to", required=True)
    ap.add_argument("--from-addr", action="append", default=[])
    ap.add_argument("--tls")
    ap.add_argument("--dialback", type=int, metavar="DNS_PORT")
    a = ap.parse_args()
    for h in [a.host] + a.from_addr:
        if not ipaddress.ip_address(h).is_loopback:
            sys.exit("streams.py: loopback addresses only, not " + h)
    if not 1 <= a.count <= 20000:
        sys.exit("streams.py: COUNT 1..20000")
    signal.signal(signal.SIGTERM, on_term)
    end = time.monotonic() + a.seconds
    ctx = None
    if a.tls:
        ctx = ssl.create_default_context(cafile=a.tls)
    header = HEADER.format(to=a.to).encode()
    sel = selectors.DefaultSelector()
    streams = []
    refused = closed = 0
    verified = 0
    auth = dns = None
    if a.dialback:
        dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        dns.bind(("127.0.0.1", a.dialback))
        dns.setblocking(False)
        sel.register(dns, selectors.EVENT_READ, "dns")
        auth = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        auth.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        auth.bind(("127.0.0.1", 0))
        auth.listen(1024)
        auth.setblocking(False)
        sel.register(auth, selectors.EVENT_READ, "auth")
    db_result = DB_RESULT.format(to=a.to).encode()

    def on_verifier(v):
        """client.test's authoritative server: header, features, every db:verify valid."""
        nonlocal verified
        try:
            data = v.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            sel.unregister(v.sock)
            v.sock.close()
            return
        v.buf += data
        if not v.opened and b"<stream:stream" in v.buf and b">" in v.buf.split(b"<stream:stream", 1)[1]:
            v.opened = True
            v.sock.sendall(AUTH_HEADER.format(n=v.n).encode())
        while v.opened:
            m = VERIFY_RE.search(v.buf)
            end = v.buf.find(b"</db:verify>", m.end()) if m else -1
            if m is None or (not m.group(0).endswith(b"/>") and end < 0):
                break
            at = dict(ATTR_RE.findall(m.group(0)))
            v.sock.sendall(
                b"<db:verify from='%s' to='%s' id='%s' type='valid'/>"
                % (at.get(b"to", b""), at.get(b"from", b""), at.get(b"id", b""))
            )
            verified += 1
            v.buf = v.buf[(m.end() if m.group(0).endswith(b"/>") else end + 12) :]
        if b"</stream:stream>" in v.buf:  # the server is done: so are we
            v.sock.sendall(b"</stream:stream>")
            sel.unregister(v.sock)
            v.sock.close()

    def dispatch(key):
        if key.data == "dns":
            for _ in range(256):  # everything queued, bounded
                try:
                    q, peer = dns.recvfrom(4096)
                except BlockingIOError:
                    return
                r = dns_answer(q, auth.getsockname()[1])
                if r is not None:
                    dns.sendto(r, peer)
        elif key.data == "auth":
            for _ in range(256):  # every pending connection, bounded
                try:
                    c, _ = auth.accept()
                except BlockingIOError:
                    return
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, Verifier(c, verified))
        elif isinstance(key.data, Verifier):
            on_verifier(key.data)
        elif key.data.phase != "failed":
            step(key.data)

    def fail(s):
        nonlocal closed
        closed += 1
        s.phase = "failed"
        try:
            sel.unregister(s.raw)
        except (KeyError, ValueError):
            pass

    def step(s):
        """Advances s as far as the bytes received allow."""
        if s.phase == "handshake":
            try:
                s.sock.do_handshake()
            except ssl.SSLWantReadError:
                return
            except (ssl.SSLError, OSError):
                fail(s)
                return
            s.phase = "features2"
            s.buf = b""
            s.sock.sendall(header)
            return
        try:
            data = s.sock.recv(65536)
        except (BlockingIOError, ssl.SSLWantReadError):
            return
        except OSError:
            fail(s)
            return
        if not data:
            fail(s)
            return
        s.buf += data
        if s.phase in ("features", "features2") and features_end(s.buf):
            if s.phase == "features" and ctx is not None and b"<starttls" in s.buf:
                s.phase = "proceed"
                s.buf = b""
                s.sock.sendall(STARTTLS)
                return
            if a.dialback:
                s.phase = "dialback"
                s.buf = b""
                s.sock.sendall(db_result)
                return
            s.phase = "done"
            s.answered = True
            s.buf = b""
        elif s.phase == "dialback" and re.search(rb"<db:result\b[^>]*type=['\"]", s.buf):
            if re.search(rb"<db:result\b[^>]*type=['\"]valid['\"]", s.buf):
                s.phase = "done"
                s.answered = True
            else:
                fail(s)
            s.buf = b""
        elif s.phase == "proceed" and b"<proceed" in s.buf:
            s.sock = ctx.wrap_socket(
                s.raw, server_hostname=a.to, do_handshake_on_connect=False
            )
            s.phase = "handshake"
            step(s)
        elif s.phase == "done":
            s.buf = b""  # whitespace keepalives or a close: nothing to do

    pending = lambda: sum(1 for s in streams if s.phase not in ("done", "failed"))
    for i in range(a.count):
        if stop or time.monotonic() >= end:
            break
        sock = socket.socket(socket.AF_INET6 if ":" in a.host else socket.AF_INET)
        try:
            if a.from_addr:
                sock.bind((a.from_addr[i % len(a.from_addr)], 0))
            sock.settimeout(max(0.1, end - time.monotonic()))
            sock.connect((a.host, a.port))
            sock.setblocking(False)
            sock.sendall(header)
        except OSError:
            refused += 1
            sock.close()
            continue
        s = Stream(sock)
        s.phase = "features"
        streams.append(s)
        sel.register(sock, selectors.EVENT_READ, s)
        if i % BATCH == BATCH - 1:
            for key, _ in sel.select(timeout=0.02):
                dispatch(key)
    while not stop and pending() > 0 and time.monotonic() < end:
        for key, _ in sel.select(timeout=min(0.2, max(0.0, end - time.monotonic()))):
            dispatch(key)
    answered = sum(1 for s in streams if s.answered)
    print(f"answered {answered} of {a.count} (refused {refused}, closed by the server {closed})",
          flush=True)
    if a.dialback:
        print(f"db:verify answered valid {verified}", flush=True)
    while not stop and time.monotonic() < end:
        for key, _ in sel.select(timeout=min(0.2, max(0.0, end - time.monotonic()))):
            dispatch(key)
    still = sum(1 for s in streams if s.phase == "done")
    print(f"open at the end {still}", flush=True)
    for s in streams:
        s.sock.close()


if __name__ == "__main__":
    main()
