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
Stdout is line-buffered; the sink runs until killed.
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


async def session(reader, writer):
    def send(line):
        writer.write(line.encode() + b"\r\n")

    rcpts = []
    send("220 sink.bench ESMTP")
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            cmd = line.decode("latin-1").rstrip("\r\n")
            verb = cmd[:4].upper()
            if verb in ("EHLO",):
                send("250-sink.bench\r\n250-8BITMIME\r\n250 SIZE 104857600")
            elif verb == "HELO":
                send("250 sink.bench")
            elif verb == "MAIL":
                rcpts = []
                send("250 2.1.0 ok")
            elif verb == "RCPT":
                rcpts.append(addr(cmd))
                send("250 2.1.5 ok")
            elif verb == "DATA":
                send("354 go on")
                await writer.drain()
                chunks = []
                while True:
                    l = await reader.readline()
                    if not l or l in (b".\r\n", b".\n"):
                        break
                    if l.startswith(b"."):
                        l = l[1:]
                    chunks.append(l)
                store(rcpts, b"".join(chunks))
                rcpts = []
                send("250 2.0.0 ok")
            elif verb == "RSET":
                rcpts = []
                send("250 2.0.0 ok")
            elif verb == "NOOP":
                send("250 2.0.0 ok")
            elif verb == "QUIT":
                send("221 2.0.0 bye")
                await writer.drain()
                break
            else:
                send("502 5.5.2 not here")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    writer.close()


async def main():
    server = await asyncio.start_server(session, "127.0.0.1", 0, limit=1 << 20)
    say("ready %d" % server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


asyncio.run(main())
