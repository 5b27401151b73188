#!/usr/bin/python3
"""bench/smtpsink.py - the SMTP sink of bench/list-e2e.sh: accepts every message, counts
the ones for the benchmark's subscribers, and says when the Nth has arrived.

usage: smtpsink.py N RCPT-REGEX [DIR]

Listens on a free port of 127.0.0.1 and prints "ready PORT" on stdout.  Every message is
accepted (250 to MAIL, RCPT and DATA; no extensions but 8BITMIME and SIZE, so clients send
one command at a time).  A message counts when one of its RCPT addresses matches RCPT-REGEX
(Python re.fullmatch, case-insensitive); the others (reports, notices) are accepted and
printed as "other FROM RCPTS".  Each time the count reaches a multiple of N the sink prints
"done K T" (K: how many multiples so far, T: the time.time() at which the last message's
DATA was complete, before the 250 went out), so the benchmark waits on that line instead
of polling, and takes T as the time of the last copy.  With DIR, each counted message is
written to DIR/K/RCPT.eml (K: the batch it belongs to, starting at 1), for the checks.
Stdout is line-buffered; the sink runs until killed.  Each connection is parsed from a
buffer (asyncio.Protocol), not line by line: about 0.6 ms a message from a C client that
waits for every reply (tests/lists/pw-smtpsend, 200 messages in 0.12 s on the 2-CPU
development VM), which bounds how fast any list manager can be measured here.
"""
import asyncio
import os
import re
import sys
import time

N = int(sys.argv[1])
RCPT_RE = re.compile(sys.argv[2], re.I)
DIR = sys.argv[3] if len(sys.argv) > 3 else None
count = 0


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def store(rcpts, data):
    """counts one message; DATA are its octets as received (dot-unstuffed, CRLF)"""
    global count
    ours = [r for r in rcpts if RCPT_RE.fullmatch(r)]
    if not ours:
        say("other %s" % " ".join(rcpts))
        return
    t = time.time()
    count += 1
    batch = (count - 1) // N + 1
    if DIR is not None:
        d = os.path.join(DIR, str(batch))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, ours[0].replace("/", "_") + ".eml"), "wb") as f:
            f.write(data)
    if count % N == 0:
        say("done %d %.6f" % (count // N, t))


def addr(arg):
    m = re.search(r"<([^>]*)>", arg)
    return (m.group(1) if m else arg.split(":", 1)[-1]).strip()


class Session(asyncio.Protocol):
    """one SMTP connection, parsed from a buffer (not line by line through a StreamReader:
    the sink must not be what limits a fast client)"""

    def connection_made(self, transport):
        self.t = transport
        self.buf = b""
        self.rcpts = []
        self.in_data = False
        self.t.write(b"220 sink.bench ESMTP\r\n")

    def data_received(self, data):
        self.buf += data
        out = []
        while True:
            if self.in_data:
                end = self.buf.find(b"\r\n.\r\n")
                if end < 0:
                    if self.buf.startswith(b".\r\n"):      # an empty message
                        end, body = -2, b""
                    else:
                        break
                if end >= 0:
                    body = self.buf[:end + 2]
                    self.buf = self.buf[end + 5:]
                else:
                    self.buf = self.buf[3:]
                lines = body.split(b"\r\n")
                body = b"\r\n".join(l[1:] if l.startswith(b".") else l for l in lines)
                store(self.rcpts, body)
                self.rcpts = []
                self.in_data = False
                out.append(b"250 2.0.0 ok")
                continue
            nl = self.buf.find(b"\n")
            if nl < 0:
                break
            cmd = self.buf[:nl].rstrip(b"\r").decode("latin-1")
            self.buf = self.buf[nl + 1:]
            verb = cmd[:4].upper()
            if verb == "EHLO":
                out.append(b"250-sink.bench\r\n250-8BITMIME\r\n250 SIZE 104857600")
            elif verb == "HELO":
                out.append(b"250 sink.bench")
            elif verb in ("MAIL", "RSET"):
                self.rcpts = []
                out.append(b"250 2.1.0 ok")
            elif verb == "RCPT":
                self.rcpts.append(addr(cmd))
                out.append(b"250 2.1.5 ok")
            elif verb == "DATA":
                self.in_data = True
                out.append(b"354 go on")
            elif verb == "NOOP":
                out.append(b"250 2.0.0 ok")
            elif verb == "QUIT":
                out.append(b"221 2.0.0 bye")
                self.t.write(b"\r\n".join(out) + b"\r\n")
                self.t.close()
                return
            else:
                out.append(b"502 5.5.2 not here")
        if out:
            self.t.write(b"\r\n".join(out) + b"\r\n")


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Session, "127.0.0.1", 0)
    say("ready %d" % server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


asyncio.run(main())
