#!/usr/bin/python3
"""tests/dkim/archeck.py - is an Authentication-Results field well-formed (RFC 8601 section 2.2)?

usage: archeck.py RAW

RAW is the field body as a milter added it (after "Authentication-Results:"), with its folds
written as the two characters backslash-n (and backslash-r), as tests/dkim/send.lua prints it
on its ARRAW line.  Checks, independently of postward's own parser:
  - the grammar: authserv-id [version] ( "; none" / 1*resinfo ), each resinfo
    ";" method[/version] "=" result [reason=value] *( ptype "." property "=" pvalue ),
    comments (nested, quoted-pairs) and quoted-strings balanced, nothing left over;
  - folding: every fold is CRLF-or-LF followed by a blank, no line is blank-only, no line
    is longer than 998 octets, and a line over 78 octets holds a single token;
  - the result words are RFC 8601 section 2.7 results for dkim, dkim-adsp, dmarc, spf.
On success prints one line per resinfo, "METHOD=RESULT prop=value ... (comment)", and exits
0; otherwise prints why and exits 1.
"""

import re
import sys

RESULTS = {
    "dkim": {"none", "pass", "fail", "policy", "neutral", "temperror", "permerror"},
    "dkim-adsp": {"none", "pass", "unknown", "fail", "discard", "nxdomain", "temperror",
                  "permerror"},
    "dmarc": {"none", "pass", "fail", "temperror", "permerror"},
    "spf": {"none", "pass", "fail", "softfail", "neutral", "temperror", "permerror", "policy"},
}
TSPECIALS = set('()<>@,;:\\"/[]?=')
HEAD = len("Authentication-Results:")


class Bad(Exception):
    pass


class Lexer:
    def __init__(self, s):
        self.s = s
        self.i = 0
        self.comments = []

    def cfws(self):
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t\r\n":
                self.i += 1
            elif c == "(":
                self.comments.append(self.comment())
            else:
                break

    def comment(self):
        depth = 0
        start = self.i
        while self.i < len(self.s):
            c = self.s[self.i]
            self.i += 1
            if c == "\\":
                if self.i >= len(self.s):
                    raise Bad("quoted-pair cut at the end")
                self.i += 1
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    return self.s[start + 1:self.i - 1]
            elif ord(c) < 0x20 and c not in " \t\r\n":
                raise Bad("control character in a comment")
        raise Bad("unbalanced comment from offset %d: %r" % (start, self.s[start:start + 60]))

    def peek(self):
        self.cfws()
        return self.s[self.i] if self.i < len(self.s) else ""

    def expect(self, ch):
        if self.peek() != ch:
            raise Bad("expected %r at offset %d, found %r" % (ch, self.i, self.s[self.i:self.i + 40]))
        self.i += 1

    def token(self, what):
        self.cfws()
        j = self.i
        while j < len(self.s) and 0x20 < ord(self.s[j]) < 0x7f and self.s[j] not in TSPECIALS:
            j += 1
        if j == self.i:
            raise Bad("expected a %s at offset %d, found %r" % (what, self.i, self.s[self.i:self.i + 40]))
        t = self.s[self.i:j]
        self.i = j
        return t

    def keyword(self, what):
        self.cfws()
        m = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?").match(self.s, self.i)
        if m is None:
            raise Bad("expected a %s (Keyword) at offset %d, found %r" %
                      (what, self.i, self.s[self.i:self.i + 40]))
        self.i = m.end()
        return m.group(0)

    def quoted(self):
        self.cfws()
        if self.s[self.i:self.i + 1] != '"':
            raise Bad("expected a quoted-string at offset %d" % self.i)
        j = self.i + 1
        out = ""
        while j < len(self.s) and self.s[j] != '"':
            if self.s[j] == "\\":
                j += 1
            if j >= len(self.s):
                break
            out += self.s[j]
            j += 1
        if j >= len(self.s):
            raise Bad("unterminated quoted-string at offset %d" % self.i)
        self.i = j + 1
        return out

    def value(self, what):
        return self.quoted() if self.peek() == '"' else self.token(what)

    def pvalue(self):
        # value / [ [ local-part ] "@" ] domain-name
        if self.peek() == '"':
            v = self.quoted()
            if self.peek() == "@":
                self.i += 1
                v += "@" + self.token("domain")
            return v
        if self.peek() == "@":
            self.i += 1
            return "@" + self.token("domain")
        v = self.token("property value")
        if self.peek() == "@":
            self.i += 1
            v += "@" + self.token("domain")
        return v


def check_folding(raw):
    lines = re.split(r"\r?\n", raw)
    for n, line in enumerate(lines):
        if n > 0 and not line[:1] in (" ", "\t"):
            raise Bad("line %d does not start with a blank (not a fold): %r" % (n + 1, line[:40]))
        if n > 0 and line.strip(" \t") == "":
            raise Bad("line %d holds only blanks" % (n + 1))
        length = len(line) + (HEAD if n == 0 else 0)
        if length > 998:
            raise Bad("line %d is %d octets long (RFC 5322: at most 998)" % (n + 1, length))
        if length > 78 and len(line.strip(" \t").split()) > 1:
            raise Bad("line %d is %d octets long and could have been folded: %r" %
                      (n + 1, length, line[:60]))
    return "".join(lines)


def parse(value):
    lx = Lexer(value)
    out = []
    lx.value("authserv-id")
    if re.match(r"[ \t]*[0-9]", value[lx.i:]):
        lx.token("version")
    if lx.peek() != ";":
        raise Bad("no resinfo after the authserv-id")
    while lx.peek() == ";":
        lx.i += 1
        before = len(lx.comments)
        method = lx.keyword("method")
        if method == "none" and lx.peek() == "":
            out.append("none")
            break
        if lx.peek() == "/":
            lx.i += 1
            lx.token("method version")
        lx.expect("=")
        result = lx.keyword("result")
        words = RESULTS.get(method.lower())
        if words is not None and result.lower() not in words:
            raise Bad("%s=%s is not an RFC 8601 result" % (method, result))
        props = []
        while lx.peek() not in ("", ";"):
            ptype = lx.keyword("ptype")
            if ptype.lower() == "reason":
                lx.expect("=")
                props.append("reason=" + lx.value("reason"))
                continue
            lx.expect(".")
            prop = lx.keyword("property")
            lx.expect("=")
            props.append("%s.%s=%s" % (ptype, prop, lx.pvalue()))
        comments = lx.comments[before:]
        out.append(" ".join(["%s=%s" % (method, result)] + props +
                            ["(%s)" % c for c in comments]))
    if lx.peek() != "":
        raise Bad("left over at offset %d: %r" % (lx.i, value[lx.i:lx.i + 60]))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    raw = sys.argv[1].replace("\\r", "\r").replace("\\n", "\n")
    try:
        value = check_folding(raw)
        for r in parse(value):
            print(r)
    except Bad as e:
        print("malformed Authentication-Results: %s" % e)
        sys.exit(1)


if __name__ == "__main__":
    main()
