#!/usr/bin/python3
"""tests/dns/dnsproxy.py - a hostile DNS proxy for postward's tests.

usage: dnsproxy.py --upstream ADDR@PORT --rules FILE --ready FILE [--log FILE] [--daemon PIDFILE]

Listens on 127.0.0.1 at a free port (UDP and TCP, the same number), forwards every query to the
upstream server (the NSD fixture of tests/dns/fixture.sh) and hands the answer back, changed as the
rules say.  Once it listens it writes "PORT" into the --ready file (by rename, so a reader never sees
half a file).  With --daemon the proxy binds its sockets, then goes to the background and
writes its process id into PIDFILE; the command returns (status 0) only once the proxy
listens and the ready file is written, so a test script needs no loop to wait for it.  Every query is logged to --log as one flushed line "QNAME QTYPE ACTION" *before* it is
answered (or dropped), so a test can wait for the line instead of for time.

The rules file is read again for every query, so a test changes behaviour mid-run by replacing the
file (write a temporary file, then rename it over).  A missing file means "pass everything".  One
rule per line, blanks separate fields, '#' starts a comment; the first rule whose pattern matches
the query wins:

    PATTERN QTYPE ACTION [ARGUMENT]

An ACTION written with a leading '+' ("+strip authority") is applied and the search goes on, so
that several changes can be made to one answer; the plain rule that ends the search comes last.

PATTERN is an fnmatch(3)-style glob on the lower-case query name without its trailing dot
("*._domainkey.secure.test", "*"); QTYPE is a type name or "*".  ACTIONS:

    pass                      forward, answer unchanged
    drop                      never answer (the client times out)
    servfail                  answer SERVFAIL without asking upstream
    hold GATEFILE             forward only once GATEFILE exists (a gate the test opens)
    empty-rdata TYPE [SECTION] forward; every record of TYPE in SECTION (default answer) gets
                              RDLENGTH 0
    short-rdata TYPE [SECTION] forward; every record of TYPE in SECTION (default answer) loses
                              the last octet of its RDATA
    answer-of QNAME [QTYPE]   ask upstream about QNAME (and QTYPE, default the query's) instead
                              and hand back that answer, rcode and sections, under the original
                              question (a replayed answer: real signatures, wrong question)
    wrong-id                  forward; the answer comes back with another ID (ID + 1): a spoofed
                              or late reply
    strip SECTION [TYPE]      forward; remove the records (of TYPE, or all) of SECTION
                              (answer, authority, additional; the OPT record always stays)
    bad-rrsig [LABELS]        forward; for every RRSIG in the answer section append, at the end
                              of the section (after the genuine one), a copy whose signature is
                              corrupted, with its labels field set to LABELS (default: the owner
                              name's own label count, i.e. "not a wildcard")

Stops on SIGTERM or SIGINT.  Needs python3-dnspython (Debian 12: 2.3).
"""

import argparse
import fnmatch
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

ARGS = None
LOG_LOCK = threading.Lock()


def log(line):
    if ARGS.log is None:
        return
    with LOG_LOCK:
        with open(ARGS.log, "a") as f:
            f.write(line + "\n")
            f.flush()


def read_rules():
    rules = []
    try:
        with open(ARGS.rules) as f:
            text = f.read()
    except FileNotFoundError:
        return rules
    for line in text.splitlines():
        line = line.split("#", 1)[0].split()
        if len(line) >= 3:
            rules.append(line)
    return rules


def match(rules, qname, qtype):
    """the [(action, args), ...] for the query: the '+' rules that match, then the first plain
    one (or pass)"""
    found = []
    for r in rules:
        if fnmatch.fnmatchcase(qname, r[0].lower()) and (r[1] == "*" or r[1].upper() == qtype):
            if r[2].startswith("+"):
                found.append((r[2][1:].lower(), r[3:]))
                continue
            found.append((r[2].lower(), r[3:]))
            return found
    found.append(("pass", []))
    return found


def forward(wire, tcp):
    """the upstream's answer to WIRE (bytes), or None on timeout"""
    host, port = ARGS.upstream
    if tcp:
        with socket.create_connection((host, port), timeout=5) as s:
            s.sendall(struct.pack("!H", len(wire)) + wire)
            head = recv_exact(s, 2)
            if head is None:
                return None
            return recv_exact(s, struct.unpack("!H", head)[0])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(wire, (host, port))
        try:
            return s.recvfrom(65535)[0]
        except socket.timeout:
            return None


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def section(msg, name):
    return {"answer": msg.answer, "authority": msg.authority, "additional": msg.additional}[name]


def mangle(answer, action, args):
    """the upstream answer changed by ACTION; bytes"""
    msg = dns.message.from_wire(answer)
    if action in ("empty-rdata", "short-rdata"):
        rdtype = dns.rdatatype.from_text(args[0])
        for rrset in section(msg, args[1].lower() if len(args) > 1 else "answer"):
            if rrset.rdtype == rdtype:
                ttl = rrset.ttl
                if action == "empty-rdata":
                    new = [dns.rdata.GenericRdata(rrset.rdclass, rdtype, b"")]
                else:
                    new = [dns.rdata.GenericRdata(rrset.rdclass, rdtype, rd.to_digestable()[:-1])
                           for rd in rrset]
                rrset.clear()
                for rd in new:
                    rrset.add(rd, ttl)
    elif action == "strip":
        sec = section(msg, args[0].lower())
        rdtype = dns.rdatatype.from_text(args[1]) if len(args) > 1 else None
        keep = [r for r in sec if rdtype is not None and r.rdtype != rdtype and
                not (r.rdtype == dns.rdatatype.RRSIG and r.covers == rdtype)]
        sec[:] = keep
    elif action == "bad-rrsig":
        extra = []
        for rrset in msg.answer:
            if rrset.rdtype != dns.rdatatype.RRSIG:
                continue
            for sig in rrset:
                labels = int(args[0]) if args else len(rrset.name.labels) - 1
                bad = sig.replace(labels=labels,
                                  signature=bytes(b ^ 0x5A for b in sig.signature))
                extra.append((rrset.name, rrset.ttl, bad))
        for name, ttl, bad in extra:
            # an RRset of its own at the end of the section, so the copy comes after the
            # genuine signature on the wire (merged into one RRset, dnspython may reorder)
            rrset = dns.rrset.RRset(name, bad.rdclass, dns.rdatatype.RRSIG, bad.covers())
            rrset.add(bad, ttl)
            msg.answer.append(rrset)
    return msg.to_wire(max_size=65535)


def handle(wire, tcp):
    """the reply to one query WIRE, or None for no reply"""
    try:
        query = dns.message.from_wire(wire)
        q = query.question[0]
        qname = q.name.to_text(omit_final_dot=True).lower() or "."
        qtype = dns.rdatatype.to_text(q.rdtype)
    except Exception as e:  # a query the proxy cannot read goes upstream unchanged
        log("? ? pass (%s)" % e)
        return forward(wire, tcp)
    steps = [st for st in match(read_rules(), qname, qtype) if st[0] != "pass"]
    log("%s %s %s" % (qname, qtype, " + ".join(" ".join([a] + g) for a, g in steps) or "pass"))
    answer = None
    for action, args in steps:
        if action == "drop":
            return None
        if action == "servfail":
            reply = dns.message.make_response(query)
            reply.set_rcode(dns.rcode.SERVFAIL)
            return reply.to_wire()
        if action == "hold":
            while not os.path.exists(args[0]):
                time.sleep(0.05)  # the gate is the event; this only polls for it
        if action == "answer-of" and answer is None:
            other = dns.message.make_query(args[0], args[1] if len(args) > 1 else q.rdtype,
                                           want_dnssec=True)
            other.flags = query.flags
            other.id = query.id
            answer = forward(other.to_wire(), tcp)
            if answer is None:
                return None
            msg = dns.message.from_wire(answer)
            msg.question = query.question
            answer = msg.to_wire(max_size=65535)
    if answer is None:
        answer = forward(wire, tcp)
    if answer is None:
        return None
    action = "?"
    try:
        for action, args in steps:
            if action in ("empty-rdata", "short-rdata", "strip", "bad-rrsig"):
                answer = mangle(answer, action, args)
            elif action == "wrong-id":
                answer = struct.pack("!H", (struct.unpack("!H", answer[:2])[0] + 1) & 0xFFFF) + \
                    answer[2:]
        return answer
    except Exception as e:  # a broken rule must show, not pass the answer through
        log("error: %s %s %s: %r" % (qname, qtype, action, e))
        return None


class UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        reply = handle(data, False)
        if reply is not None:
            sock.sendto(reply, self.client_address)


class TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            head = recv_exact(self.request, 2)
            if head is None:
                return
            wire = recv_exact(self.request, struct.unpack("!H", head)[0])
            if wire is None:
                return
            reply = handle(wire, True)
            if reply is None:
                return
            self.request.sendall(struct.pack("!H", len(reply)) + reply)


class UDPServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def write_atomically(path, text):
    """PATH holds TEXT, never a part of it"""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    p.add_argument("--rules", required=True)
    p.add_argument("--ready", required=True)
    p.add_argument("--log")
    p.add_argument("--daemon", metavar="PIDFILE")
    ARGS = p.parse_args()
    host, _, port = ARGS.upstream.partition("@")
    ARGS.upstream = (host, int(port or 53))
    for _ in range(50):
        udp = UDPServer(("127.0.0.1", 0), UDPHandler)
        port = udp.server_address[1]
        try:
            tcp = TCPServer(("127.0.0.1", port), TCPHandler)
            break
        except OSError:
            udp.server_close()
    else:
        sys.exit("dnsproxy: no free port")
    if ARGS.daemon:
        # the sockets are bound and listening: queries wait in their queues until the child
        # serves them, so the parent may announce readiness and return at once
        child = os.fork()
        if child:
            write_atomically(ARGS.daemon, "%d\n" % child)
            write_atomically(ARGS.ready, "%d\n" % port)
            os._exit(0)
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    for srv in (udp, tcp):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    if not ARGS.daemon:
        write_atomically(ARGS.ready, "%d\n" % port)
    while not stop.wait(1):  # a timed wait, so that a signal is always seen
        pass
    udp.shutdown()
    tcp.shutdown()


if __name__ == "__main__":
    main()
