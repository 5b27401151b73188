#!/usr/bin/python3
"""tests/fuzz/record_dns.py - record answers of the DNS fixture as seed inputs for fuzz_dns.

usage: record_dns.py SERVER_IP@PORT OUTDIR NAME/TYPE...

Asks the fixture (tests/dns/fixture.sh) every question postward's validator may ask to resolve
NAME/TYPE - the question itself, and DS and DNSKEY for the name and each of its ancestors up
to test., again for the target of a CNAME - with the DO and CD bits as postward sends them,
and writes one input file per NAME/TYPE into OUTDIR: the answers in wire form, each preceded
by its length (two octets, big-endian), the answer to NAME/TYPE first (the harness asks the
first answer's question).  Prints the time of recording; the trust anchor of the fixture
directory and that time go into tests/fuzz/fuzz_dns.c (the fixture signs with a validity of
now-1h to now+30d and makes new keys for each new directory).
"""
import os
import struct
import sys
import time

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdatatype


def ask(server, port, name, rdtype):
    q = dns.message.make_query(name, rdtype, want_dnssec=True, payload=1232)
    q.flags |= dns.flags.CD
    wire = dns.query.udp(q, server, port=port, timeout=5, ignore_unexpected=True).to_wire()
    r = dns.message.from_wire(wire)
    if r.flags & dns.flags.TC:
        r = dns.query.tcp(q, server, port=port, timeout=5)
        wire = r.to_wire()
    return wire, r


def questions(name, rdtype):
    """the question and the chain-of-trust questions for NAME"""
    out = [(name, rdtype)]
    n = dns.name.from_text(name)
    top = dns.name.from_text("test.")
    while n.is_subdomain(top):
        out.append((n.to_text(), "DS"))
        out.append((n.to_text(), "DNSKEY"))
        n = n.parent()
    return out


def main():
    server, _, port = sys.argv[1].partition("@")
    outdir = sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    for spec in sys.argv[3:]:
        name, _, rdtype = spec.partition("/")
        todo = questions(name, rdtype)
        seen = set()
        chunks = []
        while todo:
            qn, qt = todo.pop(0)
            key = (qn.lower().rstrip("."), qt)
            if key in seen:
                continue
            seen.add(key)
            wire, r = ask(server, int(port), qn, qt)
            chunks.append(wire)
            for rrset in r.answer:
                if rrset.rdtype == dns.rdatatype.CNAME and qt != "CNAME":
                    todo.extend(questions(rrset[0].target.to_text(), qt))
        fn = os.path.join(outdir, "%s-%s" % (name.rstrip(".").replace("*", "_"), rdtype))
        with open(fn, "wb") as f:
            for c in chunks:
                f.write(struct.pack("!H", len(c)) + c)
    print(int(time.time()))


if __name__ == "__main__":
    main()
