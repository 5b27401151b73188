#!/usr/bin/python3
"""TCP proxy in front of an SMTP server that stops passing messages on after N of them.

usage: holdproxy.py READYFILE TARGETPORT HOLD HOLDFILE RELEASEFILE

Listens on 127.0.0.1:<ephemeral port> (written to READYFILE, atomically, once bound) and
passes every connection byte for byte to 127.0.0.1:TARGETPORT.  It counts the messages the
client sends (the end-of-data line "CRLF.CRLF", which dot-stuffing makes unique in the
client's stream).  The first HOLD messages go through whole; the end-of-data line of every
later one is held back (the server never sees the message end, so never takes it, and the
client never gets a reply), and HOLDFILE is written with HOLD.  A test waits for that file and
then kills the client at a known point: exactly HOLD messages were handed over.  When the
client goes away, the held connection to the server is closed (the server drops the
unfinished message).  Once RELEASEFILE exists, new connections are passed on in full.
Stdlib only; runs until SIGTERM.
"""

import os
import signal
import socket
import sys
import threading

EOD = b"\r\n.\r\n"
LOCK = threading.Lock()
PASSED = [0]  # messages passed on in full


def write_atomic(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def pump_down(server, client):
    """server -> client, as is."""
    try:
        while True:
            data = server.recv(65536)
            if not data:
                break
            client.sendall(data)
    except OSError:
        pass
    for s in (client, server):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def pump_up(client, server, hold, holdfile, release):
    """client -> server, holding back the end of every message past the first HOLD."""
    tail = b""  # the last octets passed on, to find an end-of-data split across reads
    held = False
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            if held:
                continue  # the client talks on; nothing more reaches the server
            buf = tail + data
            base = len(tail)  # buf[:base] was passed on before
            sent = base
            search = 0
            out = bytearray()
            while True:
                i = buf.find(EOD, search)
                if i < 0:
                    break
                end = i + len(EOD)
                if end <= base:  # ended in an earlier read: counted then
                    search = i + 1
                    continue
                with LOCK:
                    if PASSED[0] >= hold and not os.path.exists(release):
                        held = True
                    else:
                        PASSED[0] += 1
                if held:
                    if i > sent:
                        out += buf[sent:i]  # the data, never its end-of-data line
                    with LOCK:
                        if not os.path.exists(holdfile):
                            write_atomic(holdfile, "%d\n" % hold)
                    break
                out += buf[sent:end]
                sent = end
                search = end
            if not held:
                out += buf[sent:]
            if out:
                server.sendall(bytes(out))
            tail = buf[-(len(EOD) - 1):]
    except OSError:
        pass
    for s in (server, client):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(listener, target, hold, holdfile, release):
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        try:
            server = socket.create_connection(("127.0.0.1", target))
        except OSError:
            client.close()
            continue
        threading.Thread(target=pump_down, args=(server, client), daemon=True).start()
        threading.Thread(target=pump_up, args=(client, server, hold, holdfile, release),
                         daemon=True).start()


def main():
    if len(sys.argv) != 6:
        sys.stderr.write(__doc__)
        return 2
    ready, target, hold, holdfile, release = sys.argv[1:]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    threading.Thread(target=serve, args=(ls, int(target), int(hold), holdfile, release),
                     daemon=True).start()
    write_atomic(ready, "%d\n" % ls.getsockname()[1])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(3600):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
