#!/bin/bash
# tests/lists/attest.sh - the list's attestation path end to end, through postward (driven by
# miltertest, tests/lists/post.lua) into a real SMTP server (tests/lists/holdsink.py), each
# copy opened by its subscriber's own software in its own home: gpg 2.2 and Sequoia (sq).
#
#  - (sa: a DSA/ElGamal subscriber, whose copy gpg encrypts: the same attestation)
#  - a poster using sq (`sq encrypt --signer-key`: the signature names the list's key as its
#    intended recipient) posts to a list with the default "attest auto": every subscriber
#    gets one copy with exactly one PKESK (theirs); the sq subscriber decrypts it with sq,
#    the gpg subscriber with gpg; inside is a multipart/signed whose signature sq and gpg
#    report good by the LIST key, over a statement naming the poster's fingerprint and a good
#    signature, the post, and the poster's original signed message, which sq verify and
#    gpg --verify check good by the poster's key;
#  - the same post to a list with "attest never": the plain re-wrap, where sq refuses the
#    poster's signature ("Not an intended recipient"): the problem the attestation solves;
#  - a gpg poster's post (no intended recipient) to the "auto" list: the plain re-wrap, the
#    encrypted data after the subscriber's PKESK byte for byte the post's, the poster's
#    signature good for the gpg and sq subscribers;
#  - "attest always": the gpg poster's post is attested too, with "attest always" logged.
# Env: POSTWARD.  Ends with "N passed, M failed".
# the shared set-up of the OpenPGP tests: $tmp, ok/ko/finish, mkhome, g (tests/openpgp/lib.sh)
. "$(cd "$(dirname "$0")" && pwd)/../openpgp/lib.sh"
opgp_tmp pw-attest
POSTWARD=${POSTWARD:-$top/milter/postward}
PY=/usr/bin/python3
chmod 755 "$tmp"
pid=""
sink=""
stop_daemons() {	# opgp_atexit: postward and the SMTP server, if started
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$sink" ] && kill "$sink" 2>/dev/null && wait "$sink" 2>/dev/null
}
opgp_atexit=stop_daemons
bad() {	# a FAIL line; the first one shows the end of postward's log
	[ "$failed" -gt 0 ] || [ ! -s "$tmp/pw.log" ] || sed 's/^/  log: /' "$tmp/pw.log" | tail -30
	ko "$@"
}
cd "$tmp" || exit 1
for t in gpg sq miltertest; do
	command -v "$t" > /dev/null || { bad "$t is not installed (tests/install-deps)"; finish; }
done

# ---- keys: gpg homes for the list (pw), a gpg poster (gp) and a gpg subscriber (gs); sq key
# files for the sq poster (sp) and the sq subscriber (ss) ------------------------------------
fpr_of() { g "$1" --with-colons --list-keys "$2" | awk -F: '/^fpr/ { print $10; exit }'; }
for h in pw gp gs sa; do mkhome "$h"; done
mkkey() {	# mkkey HOME "Name <addr>"
	g "$1" --quick-gen-key "$2" ed25519 sign 0 &&
		g "$1" --quick-add-key "$(fpr_of "$1" "$2")" cv25519 encr 0
}
{
	mkkey pw "Board <board@lists.test>" &&
	mkkey gp "G Poster <gp@example.net>" &&
	mkkey gs "G Sub <gs@example.net>" &&
	# DSA with an ElGamal encryption subkey: only gpg can encrypt to it
	g sa --quick-gen-key "A Sub <sa@example.net>" dsa2048 sign 0 &&
	g sa --quick-add-key "$(fpr_of sa sa@example.net)" elg2048 encr 0 &&
	sq key generate --userid "S Poster <sp@example.net>" --export sp.sec &&
	sq key extract-cert --output sp.pub sp.sec &&
	sq key generate --userid "S Sub <ss@example.net>" --export ss.sec &&
	sq key extract-cert --output ss.pub ss.sec
} > keys.log 2>&1 || { bad "key generation: $(tail -3 keys.log)"; finish; }
LIST=$(fpr_of pw board@lists.test)
g pw --armor --export "$LIST" > list.pub
g gp --export --armor > gp.pub
g gs --export --armor > gs.pub
g sa --export --armor > sa.pub
g pw --import sa.pub 2>/dev/null
g sa --import list.pub 2>/dev/null
for k in gp.pub gs.pub sp.pub ss.pub; do g pw --import "$k" 2>/dev/null; done
g gp --import list.pub 2>/dev/null
for k in list.pub gp.pub sp.pub; do g gs --import "$k" 2>/dev/null; done
GP=$(fpr_of pw gp@example.net)
GS=$(fpr_of pw gs@example.net)
SA=$(fpr_of pw sa@example.net)
SP=$(fpr_of pw sp@example.net)
SS=$(fpr_of pw ss@example.net)
[ -n "$LIST" ] && [ -n "$GP" ] && [ -n "$GS" ] && [ -n "$SA" ] && [ -n "$SP" ] && [ -n "$SS" ] &&
	ok "keys made (list $LIST, sq poster $SP)" || { bad "keys"; finish; }

# ---- the lists, postward, the SMTP server -------------------------------------------------
mkdir lists box spool
mklist() {	# mklist NAME ATTEST
	{
		printf 'list %s@lists.test\nfrom_rewrite never\nowner owner@example.org\nbounce %s-bounces@lists.test\n' "$1" "$1"
		printf 'openpgp_key %s\n' "$LIST"
		[ -n "$2" ] && printf 'attest %s\n' "$2"
		printf 'subscriber gp@example.net openpgp=%s\n' "$GP"
		printf 'subscriber gs@example.net openpgp=%s\n' "$GS"
		printf 'subscriber sa@example.net openpgp=%s\n' "$SA"
		printf 'subscriber sp@example.net openpgp=%s\n' "$SP"
		printf 'subscriber ss@example.net openpgp=%s\n' "$SS"
	} > "lists/$1.list"
}
mklist board ""			# the default: auto
mklist plain never
mklist all always
"$PY" "$here/holdsink.py" "$tmp/ready" "box=$tmp/box" > sink.log 2>&1 &
sink=$!
for _ in $(seq 600); do [ -s ready ] && break; kill -0 "$sink" 2>/dev/null || break; sleep 0.05; done
port=$(awk '$1 == "box" { print $2 }' ready 2>/dev/null)
[ -n "$port" ] || { bad "SMTP sink started: $(tail -3 sink.log)"; finish; }
printf '%s\n' "gnupg_home = $tmp/pw" "list_directory = $tmp/lists" "sender_practices =" \
	"list_spool_directory = $tmp/spool" "list_reinject = 127.0.0.1:$port" "list_workers = 2" > pw.conf
"$POSTWARD" -n -c pw.conf > n.out 2>&1 && ok "postward -n accepts attest auto|never|always" ||
	bad "postward -n: $(cat n.out)"
printf 'list bad@lists.test\nowner o@example.org\nopenpgp_key %s\nattest sometimes\n' "$LIST" > lists/zbad.list
"$POSTWARD" -n -c pw.conf > n2.out 2>&1 && bad "attest sometimes accepted" ||
	{ grep -q 'attest "sometimes": expected auto, always or never' n2.out &&
		ok "attest sometimes: refused with the reason" || bad "attest sometimes: $(cat n2.out)"; }
rm lists/zbad.list
"$POSTWARD" -f -c pw.conf -p "unix:$tmp/pw.sock" 2> pw.log &
pid=$!
for _ in $(seq 200); do grep -q "listening on" pw.log && break; sleep 0.05; done
grep -q "listening on" pw.log || { bad "postward started: $(tail -5 pw.log)"; finish; }

send() {	# send NAME MSGFILE SENDER RCPT -> out-NAME
	timeout 120 miltertest -D sock="unix:$tmp/pw.sock" -D msgfile="$tmp/$2" -D qid="Q$1" \
		-D sender="<$3>" -D rcpts="<$4>" -s "$here/post.lua" > "out-$1" 2>&1
}
# copy POST ADDR: the stored copy for ADDR of the post POST.eml (by its Message-ID)
copy() {
	local m mid
	mid=$(sed -n 's/^Message-ID: //p' "$1.eml")
	for m in $(grep -l "^rcpt: .*<$2>" box/*.meta 2>/dev/null); do
		tr -d '\r' < "${m%.meta}.eml" | grep -qxF "Message-ID: $mid" && { echo "${m%.meta}.eml"; return; }
	done
}
wait_for() {	# wait_for N: bounded wait until the sink holds N messages
	for _ in $(seq 600); do
		[ "$(ls box/*.eml 2>/dev/null | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
pgpmime() {	# pgpmime ARMORFILE FROM LIST > message
	printf 'From: <%s>\nTo: %s@lists.test\nSubject: attest test\nMessage-ID: <%s@example.net>\nMIME-Version: 1.0\n' "$2" "$3" "$RANDOM"
	printf 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\n boundary="=-=b1=-="\n\n'
	printf 'This is an OpenPGP/MIME encrypted message (RFC 3156).\n--=-=b1=-=\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n'
	printf -- '--=-=b1=-=\nContent-Type: application/octet-stream; name="encrypted.asc"\n\n'
	cat "$1"
	printf -- '--=-=b1=-=--\n'
}
armor_of() { sed -n '/^-----BEGIN PGP MESSAGE-----/,/^-----END PGP MESSAGE-----/p' "$1" | tr -d '\r'; }
# parts SIGNED DIR: split a decrypted multipart/signed into DIR/content (the signed octets),
# DIR/sig.asc, DIR/statement, DIR/original.asc; false when it is not one
parts() {
	"$PY" - "$1" "$2" <<'PYEOF'
import email, os, re, sys
raw = open(sys.argv[1], 'rb').read()
d = sys.argv[2]
os.makedirs(d, exist_ok=True)
head, _, body = raw.partition(b'\r\n\r\n')
m = re.search(rb'multipart/signed;.*?boundary="([^"]+)"', head, re.S)
if not m or b'protocol="application/pgp-signature"' not in head:
    sys.exit("not multipart/signed: %r" % head[:200])
delim = b'\r\n--' + m.group(1)
first = body.index(b'--' + m.group(1) + b'\r\n')
rest = body[first + len(m.group(1)) + 4:]
content, _, sigpart = rest.partition(delim + b'\r\n')
open(d + '/content', 'wb').write(content)
sig = sigpart[sigpart.index(b'-----BEGIN PGP SIGNATURE-----'):]
sig = sig[:sig.index(b'-----END PGP SIGNATURE-----') + 27] + b'\n'
open(d + '/sig.asc', 'wb').write(sig)
inner = email.message_from_bytes(content)
kids = inner.get_payload()
open(d + '/statement', 'wb').write(kids[0].get_payload(decode=True).replace(b'\r\n', b'\n'))
open(d + '/post', 'wb').write(kids[1].as_bytes())
orig = [k for k in kids if k.get_filename() == 'original-signed-message.asc']
open(d + '/original.asc', 'wb').write(orig[0].get_payload(decode=True))
PYEOF
}
# data_after_pkesk FILE: the binary packets after the PKESKs of an armored message, in hex
data_after_pkesk() {
	"$PY" - "$1" <<'PYEOF'
import base64, sys
t = open(sys.argv[1]).read().splitlines()
b = t.index('') if '' in t else 1
body = [l for l in t[b + 1:] if l and not l.startswith('-----') and not l.startswith('=')]
d = base64.b64decode(''.join(body))
i = 0
while i < len(d):
    h = d[i]
    if h & 0x40:
        tag = h & 0x3f; o = d[i + 1]
        if o < 192: l, n = o, 2
        elif o < 224: l, n = ((o - 192) << 8) + d[i + 2] + 192, 3
        elif o == 255: l, n = int.from_bytes(d[i + 2:i + 6], 'big'), 6
        else: break
    else:
        tag = (h >> 2) & 15; lt = h & 3
        k = {0: 1, 1: 2, 2: 4}[lt]; l = int.from_bytes(d[i + 1:i + 1 + k], 'big'); n = 1 + k
    if tag != 1:
        break
    i += n + l
print(d[i:].hex())
PYEOF
}

secret="the plan is $RANDOM$RANDOM"
printf 'Content-Type: text/plain; charset=us-ascii\n\n%s\n' "$secret" > inner.txt
sq encrypt --recipient-cert list.pub --signer-key sp.sec --output sq.asc inner.txt 2> sqenc.log ||
	{ bad "sq encrypt: $(cat sqenc.log)"; finish; }
g gp --trust-model always --armor -s -e -r "$LIST" -u "$GP" -o gpg.asc inner.txt
pgpmime sq.asc sp@example.net board > sq-board.eml
pgpmime sq.asc sp@example.net plain > sq-plain.eml
pgpmime gpg.asc gp@example.net board > gpg-board.eml
pgpmime gpg.asc gp@example.net all > gpg-all.eml

n=0
for p in "sq-board sp board" "sq-plain sp plain" "gpg-board gp board" "gpg-all gp all"; do
	set -- $p
	send "$1" "$1.eml" "$2@example.net" "$3@lists.test"
	[ "$(sed -n 's/^EOM //p' "out-$1")" = discard ] && ok "$1: accepted (the pool delivers)" ||
		bad "$1: $(tr '\n' '|' < "out-$1")"
	n=$((n + 5))
done
wait_for "$n" || bad "copies arrived within 60 s ($(ls box/*.eml 2>/dev/null | wc -l) of $n)"

# ---- the sq post on the auto list: attested -----------------------------------------------
grep -q "list board@lists.test: the poster's signature names intended recipients.*get the list's attestation" pw.log &&
	ok "log: the board post is attested because its signature names intended recipients" ||
	bad "log: no attestation line for board"
for s in gs ss gp sp sa; do
	f=$(copy sq-board "$s@example.net")
	[ -n "$f" ] || { bad "board: no copy for $s"; continue; }
	armor_of "$f" > "b-$s.asc"
	k=$(g gs --list-packets "b-$s.asc" 2>/dev/null | grep -c ":pubkey enc packet:")
	[ "$k" -eq 1 ] && ok "board $s: exactly one PKESK" || bad "board $s: $k PKESKs"
	grep -qF "$secret" "$f" && bad "board $s: plaintext in the copy" || ok "board $s: no plaintext in the copy"
done
# the sq subscriber: sq decrypts; the list's signature is good for sq
sq decrypt --recipient-key ss.sec --output ss.out b-ss.asc 2> ss.err && ok "board ss: sq decrypts the copy" ||
	bad "board ss: sq decrypt: $(cat ss.err)"
if parts ss.out ss.d 2> ss.parts; then
	ok "board ss: a multipart/signed with statement, post and original"
	sq verify --signer-cert list.pub --detached ss.d/sig.asc ss.d/content > /dev/null 2> ss.verify &&
		grep -q "1 good signature" ss.verify && ok "board ss: sq: good signature by the list key" ||
		bad "board ss: sq verify of the list's signature: $(cat ss.verify)"
	sq verify --signer-cert sp.pub --detached ss.d/sig.asc ss.d/content > /dev/null 2>&1 &&
		bad "board ss: the list's signature verifies with the poster's key" ||
		ok "board ss: the signature is the list's, not the poster's"
	grep -q "^Signing key fingerprint:  $SP\$" ss.d/statement && ok "board ss: the statement names the poster's key $SP" ||
		bad "board ss: statement: $(cat ss.d/statement)"
	grep -q "^Signature status:         good\$" ss.d/statement && grep -q "^Poster (envelope sender): sp@example.net\$" ss.d/statement &&
		grep -q "^Signature created:        20" ss.d/statement &&
		grep -q "^ *$LIST (the list's key)\$" ss.d/statement &&
		ok "board ss: the statement: poster, good status, creation time, the list's key named" ||
		bad "board ss: statement: $(cat ss.d/statement)"
	sq packet dump ss.d/sig.asc > sig.dump 2>&1
	grep -q "Issuer Fingerprint: $LIST" sig.dump && ! grep -q "Intended Recipient" sig.dump &&
		ok "board ss: the list's detached signature (gpg) names no intended recipient" ||
		bad "board ss: the list's signature: $(grep -E 'Issuer|Intended' sig.dump)"
	grep -qF "$secret" ss.d/post && ok "board ss: the post is in the signed content" || bad "board ss: post part: $(head -5 ss.d/post)"
	# the original still names the list's key: sq verify does not enforce it outside an
	# encryption layer
	sq packet dump ss.d/original.asc 2>&1 | grep -q "Intended Recipient: $LIST" &&
		ok "board ss: the attached original is the poster's, naming the list's key" ||
		bad "board ss: the original: $(sq packet dump ss.d/original.asc 2>&1 | head -20 | tr '\n' '|')"
	sq verify --signer-cert sp.pub ss.d/original.asc > orig.out 2> orig.err && grep -q "1 good signature" orig.err &&
		grep -qF "$secret" orig.out && ok "board ss: sq verify: the attached original, good signature by the poster" ||
		bad "board ss: sq verify of the original: $(cat orig.err)"
else
	bad "board ss: the decrypted copy: $(cat ss.parts)"
fi
# the gpg subscriber: gpg decrypts; list signature and original good for gpg
if g gs --decrypt --output gs.out b-gs.asc 2> gs.err && parts gs.out gs.d 2> gs.parts; then
	ok "board gs: gpg decrypts the copy to the multipart/signed"
	g gs --status-fd 1 --verify gs.d/sig.asc gs.d/content 2>/dev/null | grep -q "GOODSIG ${LIST:24}" &&
		ok "board gs: gpg: good signature by the list key" || bad "board gs: gpg verify of the list's signature"
	g gs --status-fd 1 --verify gs.d/original.asc 2>/dev/null | grep -q "GOODSIG" &&
		ok "board gs: gpg --verify: the attached original, good signature" || bad "board gs: gpg --verify of the original"
	cmp -s gs.d/original.asc ss.d/original.asc && ok "board: gs and ss get the same original" ||
		bad "board: the originals differ"
else
	bad "board gs: gpg decrypt: $(cat gs.err gs.parts 2>/dev/null | tail -3)"
fi
# the ElGamal subscriber: gpg encrypted the same attestation for its key
if g sa --decrypt --output sa.out b-sa.asc 2> sa.err && parts sa.out sa.d 2> sa.parts; then
	g sa --status-fd 1 --verify sa.d/sig.asc sa.d/content 2>/dev/null | grep -q "GOODSIG ${LIST:24}" &&
		ok "board sa (ElGamal, encrypted by gpg): the attestation, good signature by the list key" ||
		bad "board sa: gpg verify of the list's signature"
	g sa --list-packets b-sa.asc 2>/dev/null | grep -q ":pubkey enc packet: version 3, algo 16," &&
		ok "board sa: the PKESK is for the ElGamal subkey" || bad "board sa: PKESK"
else
	bad "board sa: $(cat sa.err sa.parts 2>/dev/null | tail -3)"
fi
grep -q "list board@lists.test: copy for <sa@example.net> encrypted by gpg" pw.log &&
	ok "log: sa's attestation copy encrypted by gpg" || bad "log: no gpg line for sa"
# one encryption for the whole post: every copy's data after the PKESK is the same
d1=$(data_after_pkesk b-gs.asc)
d2=$(data_after_pkesk b-ss.asc)
[ -n "$d1" ] && [ "$d1" = "$d2" ] && ok "board: one encrypted body for every subscriber" || bad "board: the encrypted bodies differ"

# ---- the sq post on the never list: the problem the attestation solves --------------------
f=$(copy sq-plain ss@example.net)
armor_of "$f" > p-ss.asc
sq decrypt --recipient-key ss.sec --signer-cert sp.pub --output p-ss.out p-ss.asc > /dev/null 2> p-ss.err
grep -qi "not an intended recipient" p-ss.err && ok "attest never: sq refuses the re-wrapped poster's signature (not an intended recipient)" ||
	bad "attest never: sq said: $(cat p-ss.err)"
grep -q "list plain@lists.test.*attestation" pw.log && bad "attest never: the plain list attested" || ok "attest never: no attestation"

# ---- the gpg post on the auto list: the plain re-wrap, byte for byte --------------------------
post_data=$(data_after_pkesk gpg.asc)
for s in gs ss; do
	f=$(copy gpg-board "$s@example.net")
	[ -n "$f" ] || { bad "gpg post: no copy for $s"; continue; }
	armor_of "$f" > "g-$s.asc"
	[ "$(data_after_pkesk "g-$s.asc")" = "$post_data" ] && ok "gpg post, $s: plain re-wrap, the encrypted data byte for byte the post's" ||
		bad "gpg post, $s: the encrypted data differs from the post's"
done
g gs --status-fd 1 --decrypt g-gs.asc 2>/dev/null | grep -q "GOODSIG" && ok "gpg post, gs: the poster's signature is good" || bad "gpg post, gs: no GOODSIG"
sq decrypt --recipient-key ss.sec --signer-cert gp.pub --output g-ss.out g-ss.asc 2> g-ss.err &&
	grep -q "1 good signature" g-ss.err && grep -qF "$secret" g-ss.out &&
	ok "gpg post, ss: sq decrypts, the poster's signature is good" || bad "gpg post, ss: $(cat g-ss.err)"

# ---- attest always: the gpg post is attested ----------------------------------------------
grep -q "list all@lists.test: attest always: the 5 subscriber(s) get the list's attestation" pw.log &&
	ok "attest always: logged" || bad "attest always: no log line"
f=$(copy gpg-all ss@example.net)
armor_of "$f" > a-ss.asc
if sq decrypt --recipient-key ss.sec --output a-ss.out a-ss.asc 2> a-ss.err && parts a-ss.out a.d 2> a.parts &&
   sq verify --signer-cert list.pub --detached a.d/sig.asc a.d/content > /dev/null 2>&1 &&
   grep -q "^Signing key fingerprint:  $GP\$" a.d/statement; then
	ok "attest always: the gpg post attested, good list signature, the poster $GP named"
else
	bad "attest always: $(cat a-ss.err a.parts 2>/dev/null | tail -3)"
fi

# postward stops cleanly: no sanitizer report (leaks are reported at exit)
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=""
for _ in $(seq 600); do pgrep -f -- "unix:$tmp/pw.sock" > /dev/null || break; sleep 0.05; done
grep -Eq "Sanitizer|runtime error" pw.log && bad "sanitizer report: $(grep -E -m3 'Sanitizer|runtime error' pw.log)" ||
	ok "postward stopped without a sanitizer report"
finish
