# tests/dkim/dkimpy-verify.py - DKIM signatures checked by dkimpy (Debian python3-dkim), the
# independent verifier of the tests: run with /usr/bin/python3.
#
# usage: dkimpy-verify.py [--crlf] KEYS FILE...
#   KEYS: one key record a line, "SELECTOR._domainkey.DOMAIN RECORD" (pw-dkimsign -R's output),
#   served to dkimpy instead of DNS.  --crlf: each FILE's line ends are made CRLF first (a
#   message as a Maildir stores it, with LF).  Prints a line per FILE: "FILE N R1,R2,...",
#   N the DKIM-Signature fields, each Ri "pass", "fail" (dkimpy says no, or raises its
#   DKIMException) or "error:NAME" (another exception); "none" when there is no signature.
import re
import sys

import dkim

args = sys.argv[1:]
crlf = bool(args) and args[0] == '--crlf'
if crlf:
    args = args[1:]
keys = {}
for line in open(args[0]):
    name, value = line.split(None, 1)
    keys[name.lower()] = value.strip().encode()


def dnsfunc(name, timeout=5):
    return keys.get(name.decode().rstrip('.').lower())


for f in args[1:]:
    msg = open(f, 'rb').read()
    if crlf:
        msg = msg.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
    n = len(re.findall(rb'(?im)^DKIM-Signature:', msg))
    res = []
    for i in range(n):
        try:
            res.append('pass' if dkim.DKIM(msg, minkey=1024).verify(idx=i, dnsfunc=dnsfunc)
                       else 'fail')
        except dkim.DKIMException:  # dkimpy raises on some mismatches: a failure
            res.append('fail')
        except Exception as e:
            res.append('error:' + type(e).__name__)
    print(f, n, ','.join(res) or 'none')
