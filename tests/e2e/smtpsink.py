#!/usr/bin/python3
"""Tiny SMTP sink for the postward end-to-end test (stdlib only).

usage: smtpsink.py READYFILE NAME=DIR[,cert=FILE,key=FILE] ...

Each NAME=DIR spec gets its own listener on 127.0.0.1:<ephemeral port>.
With cert= and key= the listener offers STARTTLS, otherwise it does not.
When every listener is bound, READYFILE is written (atomically) with one
"NAME PORT" line per listener.  Each accepted message is stored in DIR as
msg-N.eml (the message as received, dot-unstuffed) plus msg-N.meta
(session facts: helo, tls, cipher, mail_from, rcpt); the .meta file is
renamed into place first, the .eml last, so a reader that sees the .eml
sees a complete message.  Recipients whose local part starts with "defer"
get 451 4.2.0 at RCPT, those starting with "reject" 550 5.1.1 (for
retry and failure tests).  Runs until SIGTERM/SIGINT.
"""

import itertools
import os
import signal
import socket
import ssl
import sys
import threading

COUNTER = itertools.count(1)
COUNTER_LOCK = threading.Lock()


class Session:
    def __init__(self, sock, spec):
        self.sock = sock
        self.spec = spec
        self.rfile = sock.makefile("rb")
        self.tls = None
        self.cipher = None
        self.helo = None
        self.reset()

    def reset(self):
        self.mail_from = None
        self.rcpts = []

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def readline(self):
        line = self.rfile.readline(65536)
        if not line:
            return None
        return line.rstrip(b"\r\n").decode("utf-8", "replace")

    def starttls(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.spec["cert"], self.spec["key"])
        self.rfile.close()
        self.sock = ctx.wrap_socket(self.sock, server_side=True)
        self.rfile = self.sock.makefile("rb")
        self.tls = self.sock.version()
        self.cipher = self.sock.cipher()[0]
        self.helo = None
        self.reset()

    def store(self, data):
        with COUNTER_LOCK:
            n = next(COUNTER)
        base = os.path.join(self.spec["dir"], "msg-%d-%d" % (os.getpid(), n))
        meta = (
            "sink: %s\nhelo: %s\ntls: %s\ncipher: %s\nmail_from: %s\nrcpt: %s\n"
            % (self.spec["name"], self.helo, self.tls or "no", self.cipher or "-",
               self.mail_from, " ".join(self.rcpts))
        )
        for suffix, payload in ((".meta", meta.encode()), (".eml", data)):
            tmp = base + suffix + ".tmp"
            with open(tmp, "wb") as f:
                f.write(payload)
            os.rename(tmp, base + suffix)

    def read_data(self):
        chunks = []
        while True:
            line = self.rfile.readline(1 << 20)
            if not line:
                return None
            if line in (b".\r\n", b".\n"):
                return b"".join(chunks)
            if line.startswith(b"."):
                line = line[1:]
            chunks.append(line)

    def run(self):
        self.send("220 %s sink ESMTP" % self.spec["name"])
        while True:
            line = self.readline()
            if line is None:
                return
            verb = line.split(" ", 1)[0].upper()
            arg = line[len(verb):].strip()
            if verb == "EHLO":
                self.helo = arg
                self.reset()
                self.sock.sendall(b"250-sink\r\n")
                if "cert" in self.spec and self.tls is None:
                    self.send("250-STARTTLS")
                self.send("250 8BITMIME")
            elif verb == "HELO":
                self.helo = arg
                self.reset()
                self.send("250 sink")
            elif verb == "STARTTLS":
                if "cert" not in self.spec or self.tls is not None:
                    self.send("502 5.5.1 STARTTLS not available")
                    continue
                self.send("220 2.0.0 go ahead")
                try:
                    self.starttls()
                except (ssl.SSLError, OSError):
                    return
            elif verb == "MAIL":
                self.mail_from = arg
                self.rcpts = []
                self.send("250 2.1.0 ok")
            elif verb == "RCPT":
                if self.mail_from is None:
                    self.send("503 5.5.1 MAIL first")
                    continue
                local = arg.split(":", 1)[-1].strip().lstrip("<").lower()
                if local.startswith("defer"):
                    self.send("451 4.2.0 the sink defers defer* recipients")
                    continue
                if local.startswith("reject"):
                    self.send("550 5.1.1 the sink refuses reject* recipients")
                    continue
                self.rcpts.append(arg)
                self.send("250 2.1.5 ok")
            elif verb == "DATA":
                if not self.rcpts:
                    self.send("503 5.5.1 RCPT first")
                    continue
                self.send("354 go ahead")
                data = self.read_data()
                if data is None:
                    return
                self.store(data)
                self.reset()
                self.send("250 2.0.0 stored")
            elif verb == "RSET":
                self.reset()
                self.send("250 2.0.0 ok")
            elif verb == "NOOP":
                self.send("250 2.0.0 ok")
            elif verb == "QUIT":
                self.send("221 2.0.0 bye")
                return
            else:
                self.send("502 5.5.2 command not recognized")


def serve(listener, spec):
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        conn.settimeout(120)

        def handle(c=conn):
            s = Session(c, spec)
            try:
                s.run()
            except (OSError, ssl.SSLError, UnicodeError):
                pass
            finally:
                try:
                    s.sock.close()
                except OSError:
                    pass

        threading.Thread(target=handle, daemon=True).start()


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    ready = sys.argv[1]
    lines = []
    for arg in sys.argv[2:]:
        name, rest = arg.split("=", 1)
        parts = rest.split(",")
        spec = {"name": name, "dir": parts[0]}
        for p in parts[1:]:
            k, v = p.split("=", 1)
            spec[k] = v
        os.makedirs(spec["dir"], exist_ok=True)
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", 0))
        ls.listen(16)
        lines.append("%s %d\n" % (name, ls.getsockname()[1]))
        threading.Thread(target=serve, args=(ls, spec), daemon=True).start()
    with open(ready + ".tmp", "w") as f:
        f.writelines(lines)
    os.rename(ready + ".tmp", ready)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(3600):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
