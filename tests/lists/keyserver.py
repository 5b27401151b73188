#!/usr/bin/python3
"""A small HTTPS key server for tests/lists/keyrefresh.sh: WKD (both methods) and VKS paths;
tests/requiretls/rcpt.sh serves MTA-STS policies with it.

usage: keyserver.py READYFILE CERT KEY DOCROOT LOG

Listens on 127.0.0.1, an ephemeral port, with the certificate CERT (PEM, chain included) and
its key KEY.  A GET of https://HOST/PATH?QUERY answers with the file DOCROOT/HOST/PATH (HOST
from the Host field, lower-cased, without a port), 404 when there is none; paths with ".." or
an empty segment are refused with 400.  A file DOCROOT/HOST/PATH.redirect instead of the file
makes the answer a 301 to the URL it holds.  Media types: application/pgp-keys under /vks/,
text/plain for a .txt path (an MTA-STS policy), else application/octet-stream.  Each request appends one line to LOG:
"HOST PATH?QUERY STATUS".  When listening, READYFILE is written (atomically) with the port.
Runs until SIGTERM.  stdlib only (http.server, ssl).
"""

import http.server
import os
import ssl
import sys
import threading

READY, CERT, KEY, ROOT, LOG = sys.argv[1:6]
LOG_LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # the LOG file instead of stderr
        pass

    def note(self, status):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        with LOG_LOCK, open(LOG, "a", encoding="utf-8") as f:
            f.write(f"{host} {self.path} {status}\n")

    def answer(self, status, body, ctype="text/plain", location=None):
        self.note(status)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        path = self.path.split("?", 1)[0]
        parts = path.split("/")[1:]
        if not host or any(p in ("", ".", "..") for p in parts) or "/" in host:
            self.answer(400, b"bad request\n")
            return
        name = os.path.join(ROOT, host, *parts)
        if not os.path.isfile(name) and os.path.isfile(name + ".redirect"):
            with open(name + ".redirect", encoding="utf-8") as f:
                self.answer(301, b"moved\n", location=f.read().strip())
            return
        if not os.path.isfile(name):
            self.answer(404, b"not found\n")
            return
        with open(name, "rb") as f:
            body = f.read()
        ctype = ("application/pgp-keys" if "/vks/" in path else
                 "text/plain" if path.endswith(".txt") else "application/octet-stream")
        self.answer(200, body, ctype)


def main():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT, KEY)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    tmp = READY + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{httpd.server_address[1]}\n")
    os.rename(tmp, READY)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
