#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into fuzz/corpus/<target>/ (docs/fuzzing.md).

Usage: python3 fuzz/make-corpus.py CERT_DIR   (CERT_DIR: a build's certs/ folder, for the
certid seeds; the certificates are public test certificates, not keys).
Seeds are real inputs: recorded streams and partner, scenario and quirks files from
fixtures/ and scenarios/, scripted peer streams, DNS queries, zone answers and the test
certificates. Run it again after changing an input layout of a target.
"""
import base64
import glob
import os
import shutil
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")

STREAM_NS = "xmlns:stream='http://etherx.jabber.org/streams'"
DB_NS = "xmlns:db='jabber:server:dialback'"
TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls"
SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl"


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


def header(frm, to, sid=None):
    i = f" id='{sid}'" if sid else ""
    return (f"<?xml version='1.0'?><stream:stream xmlns='jabber:server' {STREAM_NS} {DB_NS}"
            f" from='{frm}' to='{to}'{i} version='1.0'>")


def features(*items):
    return "<stream:features>" + "".join(items) + "</stream:features>"


STARTTLS = f"<starttls xmlns='{TLS_NS}'><required/></starttls>"
EXTERNAL = f"<mechanisms xmlns='{SASL_NS}'><mechanism>EXTERNAL</mechanism></mechanisms>"
DIALBACK = "<dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>"
PING = ("<iq type='get' id='p1' from='partner.test' to='harness.test'>"
        "<ping xmlns='urn:xmpp:ping'/></iq>")
# Issue 9's 39 bytes (libxml2 crashed switching to UTF-7): a regression seed.
UTF7 = b'<?xml version="1.0" encoding="UTF-7"\x1a?>'
KEY = "37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643"

# The peer of a receiving engine: an initiating partner.test.
RECV = {
    "starttls": header("partner.test", "harness.test") + f"<starttls xmlns='{TLS_NS}'/>",
    "dialback": header("partner.test", "harness.test")
    + f"<db:result from='partner.test' to='harness.test'>{KEY}</db:result>" + PING,
    "verify": header("partner.test", "harness.test")
    + f"<db:verify from='partner.test' to='harness.test' id='abc'>{KEY}</db:verify>",
    "external": header("partner.test", "harness.test")
    + f"<auth xmlns='{SASL_NS}' mechanism='EXTERNAL'>=</auth>"
    + header("partner.test", "harness.test") + PING + "</stream:stream>",
    "stanza-first": header("partner.test", "harness.test") + PING,
    "mux": header("partner.test", "harness.test")
    + f"<db:result from='partner.test' to='harness.test'>{KEY}</db:result>"
    + f"<db:result from='other.partner.test' to='extra.harness.test'>{KEY}</db:result>",
}
# The peer of an initiating engine: a receiving partner.test.
INIT = {
    "starttls": header("partner.test", "harness.test", "s1") + features(STARTTLS)
    + f"<proceed xmlns='{TLS_NS}'/>",
    "dialback": header("partner.test", "harness.test", "s1") + features(DIALBACK)
    + "<db:result from='partner.test' to='harness.test' type='valid'/>",
    "dialback-invalid": header("partner.test", "harness.test", "s1") + features(DIALBACK)
    + "<db:result from='partner.test' to='harness.test' type='invalid'/></stream:stream>",
    "external": header("partner.test", "harness.test", "s1") + features(EXTERNAL)
    + f"<success xmlns='{SASL_NS}'/>" + header("partner.test", "harness.test", "s2")
    + features(),
    "verify-answer": header("partner.test", "harness.test", "s1") + features()
    + "<db:verify from='harness.test' to='partner.test' id='fuzz-stream-id' type='valid'/>",
    "stream-error": header("partner.test", "harness.test", "s1")
    + "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
    "</stream:error></stream:stream>",
}


def engine_seeds():
    # ctl: split seed, row/misbehaviour, knobs, answer/end; a few settings each.
    ctls = [b"\x00\x10\x00\x00", b"\x00\x00\x00\x00", b"\x07\x08\x21\x29", b"\x00\x2a\x05\x52"]
    for target, script, fixture in (("engine_recv", RECV, "initiating"),
                                    ("engine_init", INIT, "receiving")):
        for name, s in script.items():
            for i, c in enumerate(ctls):
                write(target, f"{name}-{i}", c + s.encode())
        write(target, "utf7-declaration", b"\x00\x10\x00\x00" + UTF7)
        for path in glob.glob(os.path.join(ROOT, f"fixtures/streams/*-{fixture}-*.xml")):
            write(target, "fixture-" + os.path.basename(path), ctls[0] + read(path))
    # After TLS: the post-TLS stream; rows with TLS only (ctl[1] picks among them).
    post = {
        "engine_recv_tls": {
            "external": RECV["external"].split("<auth")[0].replace(
                header("partner.test", "harness.test"), header("partner.test", "harness.test"))
            + f"<auth xmlns='{SASL_NS}' mechanism='EXTERNAL'>=</auth>"
            + header("partner.test", "harness.test") + PING,
            "dialback": RECV["dialback"],
            "verify": RECV["verify"],
            "starttls-again": RECV["starttls"],
        },
        "engine_init_tls": {
            "external": INIT["external"],
            "dialback": INIT["dialback"],
            "features-empty": header("partner.test", "harness.test", "s2") + features(),
            "starttls-again": header("partner.test", "harness.test", "s2") + features(STARTTLS),
        },
    }
    for target, script in post.items():
        for name, s in script.items():
            for i, c in enumerate(ctls[:3]):
                write(target, f"{name}-{i}", c + s.encode())


def xmlstream_seeds():
    for i, path in enumerate(sorted(glob.glob(os.path.join(ROOT, "fixtures/streams/*.xml")))):
        base = os.path.basename(path)
        write("xmlstream", base, b"\x00\x00" + read(path))
        write("xmlstream", "split-" + base, bytes([7 + i, 0x0a]) + read(path))
    write("xmlstream", "utf7-declaration", b"\x00\x00" + UTF7)
    write("xmlstream", "doctype", b"\x00\x04<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]>")
    write("xmlstream", "client", b"\x03\x03" + header("a.test", "b.test").replace(
        "jabber:server'", "jabber:client'").encode() + b"<message>&amp;&#x41;</message>")


def file_seeds():
    for path in sorted(glob.glob(os.path.join(ROOT, "fixtures/partners/*.xml")))[:6] + \
            sorted(glob.glob(os.path.join(ROOT, "fixtures/partners/bad/*.xml")))[:8]:
        write("partner_xml", os.path.basename(path), read(path))
    for path in sorted(glob.glob(os.path.join(ROOT, "fixtures/partners/*.txt")))[:6] + \
            sorted(glob.glob(os.path.join(ROOT, "fixtures/partners/bad/*.txt")))[:8]:
        write("partner_text", os.path.basename(path), read(path))
    picks = ["cert-dns-in.xml", "matrix-h1-out.xml", "matrix-h9-in.xml"]
    for name in picks:
        if os.path.exists(os.path.join(ROOT, "scenarios", name)):
            write("scenario", name, read("scenarios/" + name))
    for path in sorted(glob.glob(os.path.join(ROOT, "scenarios/*.xml")))[::20]:
        write("scenario", os.path.basename(path), read(path))
    for path in sorted(glob.glob(os.path.join(ROOT, "fixtures/scenarios/*/*.xml"))) + \
            sorted(glob.glob(os.path.join(ROOT, "fixtures/scenarios/bad/*/s.xml")))[:6]:
        write("scenario", path.split("/")[-2] + "-" + os.path.basename(path), read(path))
    for server in ("prosody", "ejabberd"):
        q = read(f"fixtures/servers/{server}/quirks.xml")
        write("quirks", server, b"\x00" + q)
        write("quirks", server + "-row1", b"\x01" + q)
    write("quirks", "empty", b"\x00<quirks xmlns='urn:s2scheck:quirks:1'/>")
    write("quirks", "one", b"\x09<quirks xmlns='urn:s2scheck:quirks:1'><quirk "
          b"scenario='cert-dns-in' partner-tls='Required' reason='x'/></quirks>")


def dns_query(name, qtype, edns=False, qid=0x1234):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    for label in name.strip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00" + struct.pack(">HH", qtype, 1)
    if edns:
        q += b"\x00" + struct.pack(">HHIH", 41, 1232, 0, 0)
    return q


def dns_seeds():
    A, NS, SOA, TXT, AAAA, SRV, ANY = 1, 2, 6, 16, 28, 33, 255
    queries = [("_xmpp-server._tcp.h1-in.harness.test", SRV), ("_xmpps-server._tcp.harness.test", SRV),
               ("h1-in.harness.test", A), ("h1-in.harness.test", AAAA), ("harness.test", SOA),
               ("harness.test", NS), ("_xmpp-server._tcp.partner.test", SRV),
               ("xmpp1.partner.test", AAAA), ("fail.test", TXT), ("harness.test", ANY)]
    for i, (name, t) in enumerate(queries):
        write("dnszone", f"q{i}-udp", bytes([i % 4]) + dns_query(name, t, edns=i % 2 == 0))
        write("dnszone", f"q{i}-tcp", bytes([0x80 | i % 4]) + dns_query(name, t))
    zone = b"\x01\x00\x00"  # the zone's answer, unchanged
    for d in range(6):
        write("dns_reply", f"zone-{d}", bytes([d]) + zone * 8)
        write("dns_reply", f"host-{d}", bytes([0x40 | d]) + zone * 4)
    patch = b"\x01\x00\x06" + b"\x00\x03\x83"  # rcode NXDOMAIN patched in
    write("dns_reply", "patched", b"\x00" + patch + zone * 6)
    write("dns_reply", "cut", b"\x00" + b"\x02\x00\x02\x00\x20" + zone * 6)
    raw = dns_query("_xmpps-server._tcp.partner.test", SRV)
    write("dns_reply", "raw", b"\x00" + b"\x04" + struct.pack(">H", len(raw)) + raw + zone * 6)
    write("dns_reply", "timeout", b"\x80\x03\x00\x00" + zone * 8)


def cert_seeds(cert_dir):
    names = ["partner.test.pem", "partner.test-all.pem", "partner.test-cn.pem",
             "partner.test-wildcard.pem", "partner.test-srv.pem", "partner.test-xmpp.pem",
             "idn.pem", "ca.pem"]
    for name in names:
        path = os.path.join(cert_dir, name)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            pem = f.read()
        body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
        write("certid", name.replace(".pem", ".der"), base64.b64decode(body))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    shutil.rmtree(OUT, ignore_errors=True)
    engine_seeds()
    xmlstream_seeds()
    file_seeds()
    dns_seeds()
    cert_seeds(sys.argv[1])
    for d in sorted(os.listdir(OUT)):
        print(f"{d}: {len(os.listdir(os.path.join(OUT, d)))} seeds")


main()
