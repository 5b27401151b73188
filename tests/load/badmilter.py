#!/usr/bin/python3
"""tests/load/badmilter.py - a milter that breaks the protocol on purpose, to show that
tests/load/pw-miltc notices (the flood test's self-check: a strict client that cannot fail
proves nothing).

usage: badmilter.py SOCKETPATH MODE

Serves milter protocol 6 on the unix socket SOCKETPATH, one thread per connection; negotiates
SMFIF_ADDHDRS, SMFIP_NODATA|SMFIP_NOUNKNOWN and whatever of SMFIP_NR_HDR|SMFIP_NR_BODY the
client offers; answers every command that expects a reply with "continue" and end of message
with an Authentication-Results field and "continue".  MODE says what it does wrong:
  good          nothing (the control)
  stray-header  one extra "continue" after the 100th header field (no reply was agreed)
  stray-eoh     two "continue" replies to end of header
  early-action  a header field added at end of header, before its reply
  after-quit    a "continue" after QUIT
Stops on SIGTERM.
"""
import os
import signal
import socket
import struct
import sys
import threading


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def send(s, cmd, data=b""):
    s.sendall(struct.pack("!I", len(data) + 1) + cmd + data)


def serve(s, mode):
    nr = 0
    headers = 0
    try:
        while True:
            head = recv_exact(s, 5)
            if head is None:
                return
            n, cmd = struct.unpack("!I", head[:4])[0], head[4:5]
            data = recv_exact(s, n - 1) if n > 1 else b""
            if cmd == b"O":
                _, _, offered = struct.unpack("!III", data[:12])
                nr = offered & (0x80 | 0x80000)
                send(s, b"O", struct.pack("!III", 6, 0x1, 0x100 | 0x200 | nr))
            elif cmd in (b"D", b"A"):
                pass
            elif cmd == b"L":
                headers += 1
                if not nr & 0x80:
                    send(s, b"c")
                if mode == "stray-header" and headers == 100:
                    send(s, b"c")
            elif cmd == b"B":
                if not nr & 0x80000:
                    send(s, b"c")
            elif cmd == b"N":
                if mode == "early-action":
                    send(s, b"h", b"X-Early\0yes\0")
                send(s, b"c")
                if mode == "stray-eoh":
                    send(s, b"c")
            elif cmd == b"E":
                send(s, b"h", b"Authentication-Results\0 bad.test; none\0")
                send(s, b"c")
                headers = 0
            elif cmd == b"Q":
                if mode == "after-quit":
                    send(s, b"c")
                return
            else:
                send(s, b"c")
    except OSError:
        pass
    finally:
        s.close()


def main():
    path, mode = sys.argv[1], sys.argv[2]
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(64)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c, mode), daemon=True).start()


if __name__ == "__main__":
    main()
