#!/usr/bin/python3
"""SMTP sink that stops answering after N messages, for fault tests that must not race.

usage: holdsink.py READYFILE NAME=DIR[,hold=N,holdfile=PATH,release=PATH] ...

Everything tests/e2e/smtpsink.py does (same arguments, same stored files), plus: a listener
with hold=N stores N messages, then holds: the end of every later message's data is read
but neither stored nor answered, and the connection is kept open until the client goes
away.  When the first message is held, PATH is written (atomically) with the number of
messages stored, so a test can wait for that file and then kill the client at a known
point: exactly N copies were accepted, none is in between.  Once the file named by
release= exists, later messages are served normally again (a restarted client); messages
held before are never stored (their client never got a reply).
"""

import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import smtpsink  # noqa: E402  (the sink this one extends)

LOCK = threading.Lock()
STORED = {}  # listener name -> messages stored


class HoldSession(smtpsink.Session):
    """A session whose store() holds once its listener has stored hold=N messages."""

    def store(self, data):
        spec = self.spec
        if "hold" not in spec:
            return super().store(data)
        name = spec["name"]
        with LOCK:
            n = STORED.get(name, 0)
            hold = n >= int(spec["hold"]) and not os.path.exists(spec.get("release", ""))
            if not hold:
                STORED[name] = n + 1
        if not hold:
            return super().store(data)
        path = spec["holdfile"]
        with LOCK:
            if not os.path.exists(path):
                with open(path + ".tmp", "w") as f:
                    f.write("%d\n" % n)
                os.rename(path + ".tmp", path)
        # never answer: read until the client closes the connection, then end the session
        self.sock.settimeout(None)
        while self.rfile.readline(65536):
            pass
        raise OSError("held message dropped: the client went away")


def main():
    smtpsink.Session = HoldSession
    return smtpsink.main()


if __name__ == "__main__":
    sys.exit(main())
