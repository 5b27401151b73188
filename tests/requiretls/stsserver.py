#!/usr/bin/python3
"""An HTTPS server of MTA-STS policy files for tests/requiretls (RFC 8461 section 3.3).

usage: stsserver.py READYFILE CERT KEY DOCROOT LOG

Listens on 127.0.0.1, an ephemeral port, with certificate CERT (PEM) and key KEY.  A GET of
https://HOST/PATH answers with the file DOCROOT/HOST/PATH as text/plain; when there is a file
DOCROOT/HOST/PATH.redirect instead, a 301 to the URL it holds; otherwise 404.  Paths with ".."
or an empty segment get 400.  Each request appends "HOST PATH STATUS" to LOG.  When listening,
READYFILE is written (atomically) with the port.  Runs until SIGTERM.  stdlib only.
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

    def answer(self, status, body, extra=None):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        with LOG_LOCK, open(LOG, "a", encoding="utf-8") as f:
            f.write(f"{host} {self.path} {status}\n")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        parts = self.path.split("?", 1)[0].split("/")[1:]
        if not host or "/" in host or any(p in ("", ".", "..") for p in parts):
            self.answer(400, b"bad request\n")
            return
        name = os.path.join(ROOT, host, *parts)
        if os.path.isfile(name):
            with open(name, "rb") as f:
                self.answer(200, f.read())
        elif os.path.isfile(name + ".redirect"):
            with open(name + ".redirect", encoding="utf-8") as f:
                self.answer(301, b"moved\n", {"Location": f.read().strip()})
        else:
            self.answer(404, b"not found\n")


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
