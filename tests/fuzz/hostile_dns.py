#!/usr/bin/python3
"""tests/fuzz/hostile_dns.py - make the hostile seed inputs of fuzz_dns from recorded ones.

usage: hostile_dns.py CORPUS_DIR

Reads answers recorded by record_dns.py from CORPUS_DIR and writes, beside them, inputs named
hostile-*: the cases of tests/dns/hostile.sh (malformed records, forged proofs) as the fuzz
harness serves them.  Each must give an error or bogus, never a crash or secure
(tests/dns/transport.sh checks that).  Run once after recording; the outputs are checked in.
"""
import os
import struct
import sys

import dns.message
import dns.rdata
import dns.rdatatype
import dns.rrset


def read(path):
    data = open(path, "rb").read()
    out, pos = [], 0
    while pos + 2 <= len(data):
        n = struct.unpack("!H", data[pos:pos + 2])[0]
        out.append(data[pos + 2:pos + 2 + n])
        pos += 2 + n
    return out


def write(path, chunks):
    with open(path, "wb") as f:
        for c in chunks:
            f.write(struct.pack("!H", len(c)) + c)


def qof(wire):
    m = dns.message.from_wire(wire)
    q = m.question[0]
    return q.name.to_text().lower(), dns.rdatatype.to_text(q.rdtype)


def change(chunks, qname, qtype, fn):
    out = []
    for c in chunks:
        if qof(c) == (qname, qtype):
            m = dns.message.from_wire(c)
            fn(m)
            c = m.to_wire(max_size=65535)
        out.append(c)
    return out


def empty(rdtype, sec="answer"):
    def fn(m):
        for rrset in getattr(m, sec):
            if rrset.rdtype == rdtype:
                ttl = rrset.ttl
                rrset.clear()
                rrset.add(dns.rdata.GenericRdata(rrset.rdclass, rdtype, b""), ttl)
    return fn


def strip_and_bad_rrsig(m):
    m.authority = []
    extra = []
    for rrset in m.answer:
        if rrset.rdtype == dns.rdatatype.RRSIG:
            for sig in rrset:
                bad = sig.replace(labels=len(rrset.name.labels) - 1,
                                  signature=bytes(b ^ 0x5A for b in sig.signature))
                r = dns.rrset.RRset(rrset.name, bad.rdclass, dns.rdatatype.RRSIG, bad.covers())
                r.add(bad, rrset.ttl)
                extra.append(r)
    m.answer.extend(extra)


def main():
    d = sys.argv[1]
    T = dns.rdatatype
    cases = [
        ("dnskey-empty", "txt.secure.test-TXT", "secure.test.", "DNSKEY", empty(T.DNSKEY)),
        ("anchor-dnskey-empty", "txt.test-TXT", "test.", "DNSKEY", empty(T.DNSKEY)),
        ("ds-empty", "txt.secure.test-TXT", "secure.test.", "DS", empty(T.DS)),
        ("cname-empty-unsigned", "cname.insecure.test-TXT", "cname.insecure.test.", "TXT",
         empty(T.CNAME)),
        ("cname-empty-signed", "cname.secure.test-TXT", "cname.secure.test.", "TXT",
         empty(T.CNAME)),
        ("txt-empty", "txt.insecure.test-TXT", "txt.insecure.test.", "TXT", empty(T.TXT)),
        ("nsec-empty", "nonexistent.secure.test-TXT", "nonexistent.secure.test.", "TXT",
         empty(T.NSEC, "authority")),
        ("nsec3-empty", "nonexistent.nsec3.test-TXT", "nonexistent.nsec3.test.", "TXT",
         empty(T.NSEC3, "authority")),
        ("soa-empty", "a.secure.test-TXT", "a.secure.test.", "TXT", empty(T.SOA, "authority")),
        ("wildcard-forged-nsec", "x.wild.secure.test-TXT", "x.wild.secure.test.", "TXT",
         strip_and_bad_rrsig),
        ("wildcard-forged-nsec3", "x.wild.nsec3.test-TXT", "x.wild.nsec3.test.", "TXT",
         strip_and_bad_rrsig),
    ]
    for name, src, qn, qt, fn in cases:
        write(os.path.join(d, "hostile-" + name), change(read(os.path.join(d, src)), qn, qt, fn))
    # the parent's NSEC at secure.test (from the NXDOMAIN of sz.test) as the answer to
    # _dmarc.secure.test TXT: a delegation's NSEC proves nothing below it
    chunks = read(os.path.join(d, "_dmarc.secure.test-TXT"))
    nx = dns.message.from_wire(read(os.path.join(d, "nonexistent.test-TXT"))[0])
    first = dns.message.from_wire(chunks[0])
    nx.question = first.question
    chunks[0] = nx.to_wire(max_size=65535)
    write(os.path.join(d, "hostile-delegation-nsec-nxdomain"), chunks)


if __name__ == "__main__":
    main()
