#!/usr/bin/env python3
"""Many concurrent S2S streams to `s2scheck serve`, for tests/cli/capacity.sh and
bench/mem-bench.sh (issue 13: serve as a known-good partner for a gateway).

usage: streams.py HOST PORT COUNT SECONDS --to DOMAIN [--from-addr 127.0.0.N]...
                  [--tls CAFILE]

Opens COUNT TCP connections to HOST:PORT (loopback only), in batches of 50, the
source addresses taken in turn from --from-addr (default: the kernel's choice),
and sends a stream header on each (from='client.test', to=DOMAIN). A stream is
answered when its <stream:features/> arrived. With --tls, an answered stream
that offers STARTTLS asks for it, completes the TLS handshake (the server's
certificate checked against CAFILE for DOMAIN) and opens the stream again: it is
answered when the features after TLS arrived.

Prints "answered A of COUNT (refused R, closed by the server C)" once every stream
is answered or has failed, or SECONDS have passed; then holds the connections
open, saying nothing, until SECONDS have passed since the start or SIGTERM, and
prints "open at the end O". Every wait is bounded by SECONDS.
"""

import argparse
import ipaddress
import selectors
import signal
import socket
import ssl
import sys
import time

BATCH = 50
HEADER = (
    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
    "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' "
    "from='client.test' to='{to}' version='1.0'>"
)
STARTTLS = b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"

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
            s.phase = "done"
            s.answered = True
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
                step(key.data)
    while not stop and pending() > 0 and time.monotonic() < end:
        for key, _ in sel.select(timeout=min(0.2, max(0.0, end - time.monotonic()))):
            step(key.data)
    answered = sum(1 for s in streams if s.answered)
    print(f"answered {answered} of {a.count} (refused {refused}, closed by the server {closed})",
          flush=True)
    while not stop and time.monotonic() < end:
        for key, _ in sel.select(timeout=min(0.2, max(0.0, end - time.monotonic()))):
            if key.data.phase != "failed":
                step(key.data)
    still = sum(1 for s in streams if s.phase == "done")
    print(f"open at the end {still}", flush=True)
    for s in streams:
        s.sock.close()


if __name__ == "__main__":
    main()
