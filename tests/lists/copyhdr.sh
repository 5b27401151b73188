#!/bin/bash
# tests/lists/copyhdr.sh - the header fields of list copies read by real peers: a copy written by
# listpost_copy() (tests/lists/pw-listpost copy with the issue 12 options) is parsed by Python's
# email package (email.policy.default, the RFC 5322/2047/2231 parser mail tools use): List-Help,
# List-Unsubscribe, List-Subscribe, List-Post, List-Owner; the rewritten From "Name via Board"
# <list> with a UTF-8 display name decoded back, Reply-To and X-Original-From the author, a kept
# Reply-To; the Subject prefix once; and the Autocrypt field, whose keydata must be the list's
# minimal certificate octet for octet and import into a fresh GnuPG home as the list's key with
# its encryption subkey.  The copy still parses as the same PGP/MIME post.
# Env: PW_LISTPOST (default ./tests/lists/pw-listpost).  Ends with "N passed, M failed".
# shellcheck source=tests/openpgp/lib.sh
. "$(dirname "$0")/../openpgp/lib.sh"	# set -u, ok/ko, finish, opgp_tmp, newkey, g, mkhome
TOOL=${PW_LISTPOST:-$(pwd)/tests/lists/pw-listpost}
PY=/usr/bin/python3
opgp_tmp pw-copyhdr
[ -x "$TOOL" ] || { ko "no $TOOL (make check builds it)"; finish; }
cd "$tmp" || exit 1
LIST=board@lists.example.org

# the list's key and its minimal certificate (what the Autocrypt field carries)
newkey list "Board <$LIST>" ed25519 sign cv25519 || { ko "gpg key generation"; finish; }
FPR=$(prim_fpr list)
g list --export-options export-minimal --export "$FPR" > cert.bin
[ -s cert.bin ] && ok "list certificate exported ($(wc -c < cert.bin) octets)" || ko "export"
echo "the minutes" | g list -a -e -r "$LIST" > post.asc 2>/dev/null || { ko "gpg encrypt"; finish; }

mkpost() {	# mkpost FILE HEADER-LINES... : a PGP/MIME post with post.asc, CRLF
	local file=$1
	shift
	{ for l in "$@"; do printf '%s\n' "$l"; done
	  printf 'To: %s\nMIME-Version: 1.0\n' "$LIST"
	  printf 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b1"\n\n'
	  printf -- '--b1\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n--b1\n'
	  printf 'Content-Type: application/octet-stream\n\n'
	  cat post.asc
	  printf -- '\n--b1--\n'
	} | sed 's/$/\r/' > "$file"
}
mkpost post1.eml 'From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.org>' \
	'Sender: relay@example.org' \
	'Subject: =?UTF-8?Q?Caf=C3=A9?= budget'
mkpost post2.eml 'From: "Smith, John" <js@example.net>' 'Reply-To: Team <team@example.net>' \
	'Subject: Re: [board] agenda'

copy() {	# copy POST OUT: the copy with every option
	"$TOOL" copy --request board-request@lists.example.org --owner board-owner@lists.example.org \
		--from-rewrite Board --prefix '[board]' --autocrypt cert.bin \
		"$LIST" board.lists.example.org post.asc < "$1" > "$2" 2> err.txt ||
		ko "pw-listpost copy $1: $(cat err.txt)"
}
copy post1.eml copy1.eml
copy post2.eml copy2.eml

# Python's email package reads the copies
$PY - "$LIST" <<'PYEOF' > py.out 2>&1 || ko "python check: $(tail -5 py.out)"
import base64, email, email.policy, re, sys
LIST = sys.argv[1]
def say(ok, what):
    print(("ok " if ok else "ko ") + what)
for name in ("copy1.eml", "copy2.eml"):
    raw = open(name, "rb").read()
    head = raw.split(b"\r\n\r\n", 1)[0]
    say(b"\n" not in head.replace(b"\r\n", b""), name + ": CRLF line ends only")
    long = [l for l in head.split(b"\r\n") if len(l) > 78]
    say(not long, name + ": header lines within 78 columns %r" % long[:1])
    m = email.message_from_bytes(raw, policy=email.policy.default)
    say(m["List-Help"] == "<mailto:board-request@lists.example.org?subject=help>", name + ": List-Help")
    say(m["List-Unsubscribe"] == "<mailto:board-request@lists.example.org?subject=unsubscribe>",
        name + ": List-Unsubscribe")
    say(m["List-Subscribe"] == "<mailto:board-request@lists.example.org?subject=subscribe>",
        name + ": List-Subscribe")
    say(m["List-Post"] == "<mailto:%s>" % LIST, name + ": List-Post")
    say(m["List-Owner"] == "<mailto:board-owner@lists.example.org>", name + ": List-Owner")
    say(m["List-Id"] == "<board.lists.example.org>", name + ": List-Id")
    say(m["List-Unsubscribe-Post"] is None, name + ": no List-Unsubscribe-Post")
    say(len(m.get_all("From")) == 1 and m["From"].addresses[0].addr_spec == LIST,
        name + ": From is the list address")
    say(m["Sender"] is None, name + ": the author's Sender left out")
    say(m.get_content_type() == "multipart/encrypted", name + ": still PGP/MIME")
    ac = m["Autocrypt"]
    attrs = dict(re.match(r"\s*([^=\s]+)=(.*)", a, re.S).groups() for a in str(ac).split(";"))
    key = base64.b64decode(re.sub(r"\s+", "", attrs["keydata"]), validate=True)
    say(attrs["addr"] == LIST and attrs["prefer-encrypt"] == "mutual", name + ": Autocrypt addr, prefer-encrypt")
    say(key == open("cert.bin", "rb").read(), name + ": Autocrypt keydata is the certificate")
    open(name + ".key", "wb").write(key)
    if name == "copy1.eml":
        a = m["From"].addresses[0]
        say(a.display_name == "J\u00f6rg M\u00fcller via Board", "copy1: From display %r" % a.display_name)
        say([str(x) for x in m["Reply-To"].addresses] == ["J\u00f6rg M\u00fcller <joerg@example.org>"],
            "copy1: Reply-To the author %r" % str(m["Reply-To"]))
        say(str(m["X-Original-From"]) == "J\u00f6rg M\u00fcller <joerg@example.org>",
            "copy1: X-Original-From %r" % str(m["X-Original-From"]))
        say(m["Subject"] == "[board] Caf\u00e9 budget", "copy1: Subject %r" % m["Subject"])
    else:
        say(m["From"].addresses[0].display_name == "Smith, John via Board",
            "copy2: From display %r" % m["From"].addresses[0].display_name)
        say(str(m["Reply-To"]) == "Team <team@example.net>" and len(m.get_all("Reply-To")) == 1,
            "copy2: the post's Reply-To kept, none added")
        say(str(m["X-Original-From"]) == '"Smith, John" <js@example.net>', "copy2: X-Original-From")
        say(m["Subject"] == "Re: [board] agenda", "copy2: Subject prefix not added twice")
PYEOF
while read -r verdict what; do
	case $verdict in ok) ok "$what" ;; *) ko "$verdict $what" ;; esac
done < py.out
[ -s py.out ] || ko "python printed nothing"

# the keydata imports into a fresh GnuPG home as the list's key, encryption subkey included
mkhome reader
if g reader --import copy1.eml.key >/dev/null 2>&1 &&
   g reader --with-colons --list-keys "$LIST" > keys.txt 2>/dev/null &&
   grep -q "^fpr:::::::::$FPR:" keys.txt && grep -q '^sub:[^:]*:[^:]*:18:.*:e:' keys.txt; then
	ok "gpg imports the Autocrypt keydata: $FPR with its cv25519 encryption subkey"
else
	ko "gpg import of the keydata: $(tr '\n' '|' < keys.txt 2>/dev/null)"
fi
# the copy is still the same post to the MIME reader
"$TOOL" parse payload.out < copy1.eml > kind.txt 2>&1
if grep -q '^pgpmime' kind.txt && cmp -s payload.out post.asc; then
	ok "the copy parses as PGP/MIME with the payload given"
else
	ko "copy parse: $(cat kind.txt)"
fi
finish
