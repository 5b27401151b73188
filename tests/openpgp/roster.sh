#!/bin/bash
# tests/openpgp/roster.sh - the list's roster (milter/lists/roster.c, roster-build.c) against
# GnuPG, Sequoia (sq) and RNP: the roster is made, verified, imported and encrypted to, and
# the posts made to it are judged and split without any decryption.
#
# Usage: tests/openpgp/roster.sh [PW-ROSTER]
#
# Parties, each in its own home: the list (gpg: ed25519 + cv25519), alice (gpg: ed25519 with
# a cv25519 and an RSA 2048 encryption subkey, and a second user ID with another address),
# bob (sq key generate: Curve25519, with a direct-key signature), carol (rnpkeys' default
# RSA 2048 key), a gpg poster, an sq poster, and eve, an outsider (gpg).  The subscribers'
# public keys are in the list's home, as postward keeps them.
#   - pw-roster build makes board.roster.asc and .sig: the keyring holds the list's
#     certificate and the three subscribers' (alice's other address is not in it), the
#     signature is the list key's, with the notations naming the list and the format
#     version; gpg, sq and rnp each verify it with the list's certificate (a roster changed
#     by one character does not verify), gpg dates it (VALIDSIG time >= the test's start),
#     and gpg, rnp and sq read all four certificates from it; a key none of whose user IDs
#     carries the subscription address keeps them all, a subscriber whose key the home
#     lacks is counted missing, a list key the home lacks is refused; with 101 subscribers
#     (98 without a key) gpg exports the whole keyring and the roster still holds only the
#     list's and the 3 subscribers' certificates, not a poster's key the home holds;
#   - a gpg post (gpg -e -s -r every roster key) and an sq post (sq encrypt --recipient-cert
#     ROSTER --signer-key) are judged "deliver" (3 members covered, none missing, the list
#     addressed, no outsider); pw-roster check writes one copy per subscriber, each with only
#     that subscriber's PKESK(s) (alice's sq copy: two, one per subkey) before the post's
#     encrypted data, byte for byte; each copy opens in its subscriber's own home with the
#     poster's signature good (gpg GOODSIG, rnp, sq "1 good signature": for the sq post the
#     Sequoia subscriber verifies the poster's signature, whose intended recipients name every
#     roster key) and in no other subscriber's home;
#   - pw-roster check needs no gpg (PATH without it); a PGP/MIME post through the fan-out
#     (roster_copies_ops, pw-roster mail) gives each subscriber a PGP/MIME copy with
#     List-Id that opens for that subscriber alone;
#   - a post that misses carol is "rewrap" missing 1 when the list key has a PKESK, "missing"
#     missing 1 when it has not (through the fan-out carol is skipped, with a reason); a
#     post also encrypted to eve is "outsider" (outsider=1); a post with hidden recipients
#     (gpg --throw-keyids) is "outsider" (anonymous=4); a post with a passphrase too
#     (gpg -c -e) is "outsider" (skesk=1); rubbish and a post cut short are refused cleanly;
#   - an rnp --aead=ocb post (GnuPG's AEAD packet, tag 20) to the roster is "deliver" and its
#     copies open with gpg and rnp; two subscribers whose keys OpenPGP.js made get a roster of
#     their own, OpenPGP.js encrypts a signed SEIPD version 2 post to it (v6 PKESKs): "deliver",
#     each copy one v6 PKESK that OpenPGP.js opens with that subscriber's key alone;
#   - a roster with hidden addresses (pw-roster build -h) carries no subscriber address, in
#     its armor nor in its binary (the list's own address is there, so the grep can see);
#     rnp imports all four certificates, gpg only the list's (GnuPG 2.2 skips certificates
#     without a user ID), and the build reports the two keys (gpg's, rnp's) without a
#     direct-key signature, which Sequoia cannot use without a user ID.
# PW-ROSTER defaults to $PW_ROSTER, then tests/openpgp/pw-roster under the top directory (made
# by "make check").  Needs gpg 2.2+, gpgconf, sq 0.27+, rnp/rnpkeys 0.16+, node and npm
# (OpenPGP.js 6, installed once into a cache directory as formats.sh does).  Sanitizer reports
# count as failures.  Prints PASS/FAIL lines and ends with "N passed, M failed"; exit 1 on
# any failure.
# shellcheck source=tests/openpgp/lib.sh
. "$(dirname "$0")/lib.sh"
opgp_tmp pw-roster

PWR=${1:-${PW_ROSTER:-$top/tests/openpgp/pw-roster}}
[ -x "$PWR" ] || { ko "pw-roster not built: $PWR (make check builds it)"; finish; }
export ASAN_OPTIONS="exitcode=86${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:exitcode=87:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
for t in gpg gpgconf sq rnp rnpkeys node npm; do
	command -v "$t" >/dev/null || { ko "$t not installed"; finish; }
done
cd "$tmp" || exit 1
start=$(date +%s)

# ---- homes and keys -----------------------------------------------------------------------
keys_ok=0
newkey list 'Board <board@lists.example.org>' ed25519 sign cv25519 &&
newkey alice 'Alice <alice@example.net>' ed25519 sign cv25519 rsa2048 &&
g alice --quick-add-uid "$(prim_fpr alice)" 'Alice <alice@private.example>' &&
newkey poster 'Poster <poster@example.net>' ed25519 sign &&
newkey eve 'Eve <eve@example.com>' ed25519 sign cv25519 || keys_ok=1
mkdir -m 700 bob && sq key generate --userid 'Bob <bob@example.org>' --export bob/key.pgp \
	2>/dev/null && sq key extract-cert -o bob.pub bob/key.pgp 2>/dev/null || keys_ok=1
mkdir -m 700 carol && rnpkeys --homedir carol --generate-key --userid 'Carol <carol@example.com>' \
	--password '' --notty >/dev/null 2>&1 &&
	rnpkeys --homedir carol --export-key carol@example.com > carol.pub 2>/dev/null || keys_ok=1
mkdir -m 700 sqp && sq key generate --userid '<sqposter@example.net>' --export sqp/key.pgp \
	2>/dev/null && sq key extract-cert -o sqp.pub sqp/key.pgp 2>/dev/null || keys_ok=1
check $keys_ok "keys made: list, alice, poster, eve (gpg), bob (sq), carol (rnp), an sq poster"
[ $keys_ok -eq 0 ] || finish
LIST=$(prim_fpr list)
ALICE=$(prim_fpr alice)
BOB=$(sq inspect bob.pub 2>/dev/null | awk '/Fingerprint:/ { print $2; exit }')
CAROL=$(g list --with-colons --show-keys carol.pub | awk -F: '$1 == "fpr" { print $10; exit }')
EVE=$(prim_fpr eve)
g list --import bob.pub carol.pub 2>/dev/null
g alice --export "$ALICE" | g list --import 2>/dev/null
g list --export "$LIST" > list.pub
g poster --export "$(prim_fpr poster)" > poster.pub
for f in poster.pub sqp.pub; do
	g alice --import "$f" 2>/dev/null
	rnpkeys --homedir carol --import "$f" >/dev/null 2>&1
done
members="$ALICE $BOB $CAROL"
subs="$ALICE=alice@example.net $BOB=bob@example.org $CAROL=carol@example.com"

# ---- the roster --------------------------------------------------------------------------------
mkdir pub
# shellcheck disable=SC2086
"$PWR" build "$tmp/list" board@lists.example.org "$LIST" pub board $subs > build.out 2> pw.err
rc=$?
if [ $rc -eq 0 ] && grep -q '^certs=3 missing=0 all_uids=0 ' build.out &&
	[ -s pub/board.roster.asc ] && [ -s pub/board.roster.asc.sig ]; then
	ok "pw-roster build: board.roster.asc and .sig for 3 subscribers ($(cat build.out))"
else
	ko "pw-roster build (rc=$rc): $(cat build.out pw.err | head -3)"
	finish
fi
R=pub/board.roster.asc
head -1 $R | grep -q '^-----BEGIN PGP PUBLIC KEY BLOCK-----$'
check $? "the roster is an armored public key block"
g list --with-colons --show-keys $R > show.txt
[ "$(grep -c '^pub:' show.txt)" -eq 4 ] && grep -q "^fpr:.*:$LIST:" show.txt &&
	grep -q "^fpr:.*:$ALICE:" show.txt && grep -q "^fpr:.*:$BOB:" show.txt &&
	grep -q "^fpr:.*:$CAROL:" show.txt && ! grep -q "^fpr:.*:$EVE:" show.txt
check $? "it holds the list's and the 3 subscribers' certificates, no one else's"
grep -q 'alice@example.net' show.txt && ! grep -q 'alice@private.example' show.txt
check $? "alice's certificate carries her subscription address, not her other user ID"

if g list --status-fd 1 --verify --verify-options show-notations $R.sig $R > v.gpg 2>&1 &&
	grep -q "^\[GNUPG:\] VALIDSIG .* $LIST\$" v.gpg &&
	grep -q 'postward-roster-list@lists.example.org=board@lists.example.org' v.gpg &&
	grep -q 'postward-roster-version@lists.example.org=1' v.gpg &&
	grep -q 'postward-roster-keys@lists.example.org=3' v.gpg; then
	ok "gpg verifies the roster's signature by the list key, with its notations"
else
	ko "gpg verify: $(head -c 400 v.gpg)"
fi
created=$(awk '$2 == "VALIDSIG" { print $5; exit }' v.gpg)
[ -n "$created" ] && [ "$created" -ge "$start" ] && [ "$created" -le "$(date +%s)" ]
check $? "the signature dates the roster (created $created, the test began $start)"
sq verify --signer-cert list.pub --detached $R.sig $R > v.sq 2>&1 &&
	grep -q '^1 good signature' v.sq
check $? "sq verifies the roster's signature with the list's certificate"
mkdir -m 700 rv && rnpkeys --homedir rv --import list.pub >/dev/null 2>&1 &&
	rnp --homedir rv --verify $R.sig --source $R > v.rnp 2>&1 &&
	grep -q 'Signature(s) verified successfully' v.rnp
check $? "rnp verifies the roster's signature with the list's certificate"
sed 's/^\(mD\)M/\1N/' $R > tampered.asc
! g list --verify $R.sig tampered.asc 2>/dev/null &&
	! sq verify --signer-cert list.pub --detached $R.sig tampered.asc > /dev/null 2>&1
check $? "a roster changed by one character does not verify (gpg, sq)"
sed 's/$/\r/' $R > crlf.asc
g list --verify $R.sig crlf.asc 2>/dev/null
check $? "a text signature: the roster with CRLF line ends still verifies"

# a key under another address than its user IDs carry, and a subscriber without a key
mkdir odd
"$PWR" build "$tmp/list" board@lists.example.org "$LIST" odd board \
	"$BOB=robert@example.org" "0123456789ABCDEF0123456789ABCDEF01234567=dave@example.net" \
	> odd.out 2> pw.err
grep -q '^certs=1 missing=1 all_uids=1 no_direct=0$' odd.out &&
	g list --with-colons --show-keys odd/board.roster.asc | grep -q '^uid:.*bob@example.org'
check $? "a key without the subscription address keeps its user IDs, a missing key is counted ($(cat odd.out pw.err | head -c 200))"
"$PWR" build "$tmp/list" board@lists.example.org 0123456789ABCDEF0123456789ABCDEF01234567 \
	odd other "$BOB=bob@example.org" > /dev/null 2> pw.err
[ $? -eq 1 ] && grep -q 'not exported\|secret key' pw.err
check $? "a list key the home lacks is refused ($(head -c 120 pw.err))"

# past a hundred subscribers gpg exports the whole keyring (no argument list of fingerprints):
# the three keys and 98 that the home lacks give the same three certificates, no one else's
many=$subs
for i in $(seq 1 98); do many="$many $(printf '%040X' "$i")=nobody$i@example.net"; done
mkdir many
g eve --export "$EVE" | g list --import 2>/dev/null	# a poster's key the list holds
# shellcheck disable=SC2086
"$PWR" build "$tmp/list" board@lists.example.org "$LIST" many board $many > many.out 2> pw.err
g list --with-colons --show-keys many/board.roster.asc > many.txt
grep -q '^certs=3 missing=98 all_uids=0 ' many.out && [ "$(grep -c '^pub:' many.txt)" -eq 4 ] &&
	! grep -q "^fpr:.*:$EVE:" many.txt
check $? "101 subscribers (98 without a key): the whole keyring exported, the 4 certificates, not the poster's key the home also holds ($(cat many.out pw.err | head -c 200))"

mkdir -m 700 imp && g imp --import $R 2>/dev/null &&
	[ "$(g imp --with-colons --list-keys | grep -c '^pub:')" -eq 4 ]
check $? "gpg imports the roster's 4 certificates"
mkdir -m 700 rimp && rnpkeys --homedir rimp --import $R >/dev/null 2>&1 &&
	[ "$(rnpkeys --homedir rimp --list-keys 2>/dev/null | grep -c '^pub')" -eq 4 ]
check $? "rnp imports the roster's 4 certificates"
[ "$(sq keyring list $R 2>/dev/null | grep -c .)" -eq 4 ]
check $? "sq reads the roster's 4 certificates"

# ---- posts -------------------------------------------------------------------------------------
g poster --import $R 2>/dev/null
g poster --import "$tmp/eve.pub" 2>/dev/null
g eve --export "$EVE" > eve.pub && g poster --import eve.pub 2>/dev/null
rcpts=""
for f in $LIST $ALICE $BOB $CAROL; do rcpts="$rcpts -r $f"; done
# post NAME ARGS...: the gpg poster encrypts and signs "hello NAME" with ARGS
post() {
	local n=$1
	shift
	echo "hello $n" | g poster -e -s -a "$@" > "$n.asc" 2>/dev/null
}
# judge NAME: pw-roster check of NAME.asc into NAME.d/; the verdict line in $verdict
judge() {
	rm -rf "$1.d" && mkdir "$1.d"
	# shellcheck disable=SC2086
	"$PWR" check $R "$LIST" "$1.d" $members < "$1.asc" > "$1.v" 2> pw.err
	rc=$?
	verdict=$(cat "$1.v")
	if grep -q 'Sanitizer\|runtime error' pw.err; then rc=99; fi
}
# opens COPY HOME LABEL: does COPY open in HOME (a, b, c) with the poster's signature good
opens() {
	case $2 in
	a) g alice --status-fd 1 -d "$1" 2>/dev/null > "$1.a" &&
		grep -q '^\[GNUPG:\] GOODSIG' "$1.a" && grep -q '^hello' "$1.a" ;;
	b) sq decrypt --recipient-key bob/key.pgp --signer-cert "$3" -o "$1.b" "$1" \
		< /dev/null > "$1.bst" 2>&1 && grep -q '^1 good signature' "$1.bst" &&
		grep -q '^hello' "$1.b" ;;
	c) rnp --homedir carol --password '' -d "$1" --output "$1.c" > "$1.cst" 2>&1 &&
		grep -q 'Signature(s) verified successfully' "$1.cst" && grep -q '^hello' "$1.c" ;;
	esac
}
# data_same POST COPY: the copy's data packet is the post's, byte for byte
data_same() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import base64, sys
def dearmor(p):
    body, inb = [], False
    for l in open(p).read().splitlines():
        if l.startswith('-----BEGIN'): inb = 'hdr'; continue
        if l.startswith('-----END'): break
        if inb == 'hdr':
            if l.strip() == '': inb = True
            continue
        if inb and not l.startswith('='): body.append(l.strip())
    return base64.b64decode(''.join(body))
def split(b):
    i, pk = 0, []
    while i < len(b):
        t = b[i]
        tag = t & 0x3f if t & 0x40 else (t >> 2) & 15
        if tag != 1: return pk, b[i:]
        if t & 0x40:
            l = b[i+1]; h = 2
            if 192 <= l < 224: l = ((l - 192) << 8) + b[i+2] + 192; h = 3
            elif l == 255: l = int.from_bytes(b[i+2:i+6], 'big'); h = 6
        else:
            n = [1, 2, 4][t & 3]; l = int.from_bytes(b[i+1:i+1+n], 'big'); h = 1 + n
        pk.append(b[i:i+h+l]); i += h + l
    return pk, b''
pp, pd = split(dearmor(sys.argv[1]))
cp, cd = split(dearmor(sys.argv[2]))
sys.exit(0 if cd == pd and len(cd) > 0 and all(p in pp for p in cp) else 1)
EOF
}
# pkesks COPY: how many PKESKs the copy has
pkesks() { g list --list-packets "$1" 2>/dev/null | grep -c '^:pubkey enc packet:'; }

for poster in gpg sq; do
	if [ $poster = gpg ]; then
		# shellcheck disable=SC2086
		post gpost $rcpts; p=gpost; signer=poster.pub
	else
		echo "hello sq" | sq encrypt --recipient-cert $R --signer-key sqp/key.pgp \
			-o sqpost.asc 2>/dev/null; p=sqpost; signer=sqp.pub
	fi
	[ -s $p.asc ] || { ko "the $poster poster could not encrypt to the roster"; continue; }
	judge $p
	case $verdict in
	"verdict=deliver members=3 covered=3 missing=0 "*" list=1 outsider=0 anonymous=0 skesk=0 "*)
		ok "$poster post to the roster: $verdict" ;;
	*) ko "$poster post to the roster (rc=$rc): $verdict $(head -c 200 pw.err)" ;;
	esac
	homes=(a b c)
	for i in 1 2 3; do
		c=$p.d/$i.asc
		h=${homes[$((i - 1))]}
		[ -s "$c" ] || { ko "$poster post: no copy for subscriber $i"; continue; }
		data_same $p.asc "$c"
		check $? "$poster post, copy $i: the post's own PKESK(s), then its data byte for byte"
		opens "$c" "$h" "$signer"
		check $? "$poster post, copy $i opens in subscriber $h's home, the poster's signature good"
		for o in a b c; do
			[ "$o" = "$h" ] && continue
			! opens "$c" "$o" "$signer"
			check $? "$poster post, copy $i does not open in subscriber $o's home"
		done
	done
	n=$(pkesks $p.d/1.asc)
	if [ $poster = gpg ]; then want=1; else want=2; fi
	[ "$n" -eq $want ]
	check $? "$poster post: alice's copy has $want PKESK(s) for her subkeys (got $n)"
	[ "$(pkesks $p.d/2.asc)" -eq 1 ] && [ "$(pkesks $p.d/3.asc)" -eq 1 ]
	check $? "$poster post: bob's and carol's copies have one PKESK each"
done
sq decrypt --dump --recipient-key bob/key.pgp -o sqdump.out sqpost.d/2.asc < /dev/null \
	> sqdump.txt 2>&1
irs=$(grep -o 'Intended Recipient: [0-9A-F]*' sqdump.txt | awk '{ print $3 }' | sort | tr '\n' ' ')
want=$(printf '%s\n' "$LIST" "$ALICE" "$BOB" "$CAROL" | sort | tr '\n' ' ')
grep -q '^hello sq' sqpost.d/2.asc.b && grep -q '^1 good signature' sqpost.d/2.asc.bst &&
	[ "$irs" = "$want" ]
check $? "the Sequoia subscriber verifies the sq poster's signature, whose intended recipients are the list and all 3 subscribers ($irs)"

# no gpg at all: the judgement and the copies are in-process
# shellcheck disable=SC2086
env PATH=/nonexistent "$PWR" check $R "$LIST" gpost.d $members < gpost.asc > nogpg.v 2> pw.err &&
	grep -q '^verdict=deliver ' nogpg.v
check $? "pw-roster check runs without gpg on the PATH ($(head -c 100 pw.err))"
# mime NAME: NAME.asc as a PGP/MIME post (RFC 3156) in NAME.eml
mime() {
	{
		printf 'From: poster@example.net\r\nTo: board@lists.example.org\r\n'
		printf 'Subject: roster post\r\nMIME-Version: 1.0\r\n'
		printf 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; '
		printf 'boundary="b1"\r\n\r\n--b1\r\nContent-Type: application/pgp-encrypted\r\n'
		printf '\r\nVersion: 1\r\n\r\n--b1\r\n'
		printf 'Content-Type: application/octet-stream\r\n\r\n'
		sed 's/$/\r/' "$1.asc"
		printf '\r\n--b1--\r\n'
	} > "$1.eml"
}
# eml_part EML OUT: the armored part of a copy
eml_part() {
	/usr/bin/python3 -c '
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
ok = m.get("List-Id") == "<board.lists.example.org>" and m.get_content_type() == "multipart/encrypted"
parts = [p for p in m.walk() if p.get_content_type() == "application/octet-stream"]
if not ok or len(parts) != 1: sys.exit(1)
open(sys.argv[2], "wb").write(parts[0].get_payload(decode=True))
' "$1" "$2"
}
mime gpost
rm -rf mail.d && mkdir mail.d
# shellcheck disable=SC2086
"$PWR" mail $R "$LIST" mail.d $members < gpost.eml > mail.v 2> pw.err
if grep -q '^verdict=deliver covered=3 missing=0$' mail.v && [ -s mail.d/1.eml ] &&
	[ -s mail.d/2.eml ] && [ -s mail.d/3.eml ] && eml_part mail.d/1.eml mail1.asc &&
	eml_part mail.d/3.eml mail3.asc && opens mail1.asc a && opens mail3.asc c &&
	! opens mail1.asc c; then
	ok "a PGP/MIME post through the fan-out (roster_copies_ops): each copy a PGP/MIME mail with List-Id that opens for its subscriber alone"
else
	ko "PGP/MIME post through the fan-out: $(cat mail.v) $(head -c 200 pw.err)"
fi

rcpts_nocarol=""
for f in $ALICE $BOB; do rcpts_nocarol="$rcpts_nocarol -r $f"; done
# shellcheck disable=SC2086
post miss-list -r "$LIST" $rcpts_nocarol && judge miss-list
case $verdict in
"verdict=rewrap members=3 covered=2 missing=1 "*" list=1 "*) ok "a post without carol but to the list key: $verdict" ;;
*) ko "post without carol, to the list (rc=$rc): $verdict $(head -c 200 pw.err)" ;;
esac
# shellcheck disable=SC2086
post miss $rcpts_nocarol && judge miss
mime miss
rm -rf missmail.d && mkdir missmail.d
# shellcheck disable=SC2086
"$PWR" mail $R "$LIST" missmail.d $members < miss.eml > missmail.v 2> pw.err
grep -q '^skip 3: the post names none of this subscriber' missmail.v && [ -s missmail.d/1.eml ] &&
	[ ! -e missmail.d/3.eml ]
check $? "through the fan-out, the subscriber the post misses is skipped with a reason"
case $verdict in
"verdict=missing members=3 covered=2 missing=1 "*" list=0 outsider=0 "*) ok "a post without carol nor the list key: $verdict" ;;
*) ko "post without carol (rc=$rc): $verdict $(head -c 200 pw.err)" ;;
esac
# shellcheck disable=SC2086
post outsider $rcpts -r "$EVE" && judge outsider
case $verdict in
"verdict=outsider members=3 covered=3 missing=0 "*" outsider=1 anonymous=0 skesk=0 "*)
	ok "a post also to eve: $verdict" ;;
*) ko "post to eve too (rc=$rc): $verdict $(head -c 200 pw.err)" ;;
esac
# shellcheck disable=SC2086
post hidden --throw-keyids $rcpts && judge hidden
case $verdict in
"verdict=outsider "*" covered=0 missing=3 pkesk=4 "*" anonymous=4 "*) ok "a post with hidden recipients: $verdict" ;;
*) ko "post with hidden recipients (rc=$rc): $verdict $(head -c 200 pw.err)" ;;
esac
# shellcheck disable=SC2086
echo "hello sym" | g poster -e -c -a --passphrase secret $rcpts > skesk.asc 2>/dev/null && judge skesk
case $verdict in
"verdict=outsider members=3 covered=3 "*" skesk=1 "*) ok "a post with a passphrase too: $verdict" ;;
*) ko "post with a passphrase (rc=$rc): $verdict $(head -c 200 pw.err)" ;;
esac
head -c 3000 /dev/urandom | base64 > rubbish.asc
judge rubbish
[ $rc -eq 1 ] && grep -q '^pw-roster: post: ' pw.err
check $? "rubbish is refused with a reason ($(head -c 100 pw.err))"
{ echo '-----BEGIN PGP MESSAGE-----'; echo; head -c 30 gpost.asc | tail -c 10; echo '-----END PGP MESSAGE-----'; } > cut.asc
judge cut
[ $rc -eq 1 ]
check $? "a post cut short is refused"

# ---- other encrypted data formats: rnp's AEAD packet, OpenPGP.js's SEIPDv2 with v6 PKESKs --
mkdir -m 700 rpost && rnpkeys --homedir rpost --import $R >/dev/null 2>&1
echo "hello aead" > aead.txt
# shellcheck disable=SC2086
rnp --homedir rpost -e --aead=ocb $rcpts aead.txt --output aead.asc > rnp.log 2>&1 && judge aead
case $verdict in
"verdict=deliver members=3 covered=3 missing=0 "*"format=AEAD encrypted data (tag 20"*)
	ok "an rnp --aead=ocb post (tag 20) to the roster: $verdict" ;;
*) ko "rnp AEAD post (rc=$rc): $verdict $(cat pw.err rnp.log | head -c 200)" ;;
esac
g alice -d aead.d/1.asc 2>/dev/null | grep -q '^hello aead' &&
	rnp --homedir carol --password '' -d aead.d/3.asc --output aead3.out >/dev/null 2>&1 &&
	grep -q '^hello aead' aead3.out && ! g alice -d aead.d/3.asc >/dev/null 2>&1
check $? "its copies open with gpg (alice) and rnp (carol), each for its own subscriber"

opgpjs_setup
# two subscribers whose keys OpenPGP.js made (they announce SEIPDv2), a roster of their own
js_ok=0
for j in js1 js2; do
	$JS genkey-aead "$j@example.net" > $j.sec 2> js.err && mkhome "$j" &&
		g "$j" --import $j.sec 2>/dev/null || js_ok=1
	g "$j" --export > $j.pub && g list --import $j.pub 2>/dev/null || js_ok=1
done
JS1=$(g js1 --with-colons --list-keys | awk -F: '$1 == "fpr" { print $10; exit }')
JS2=$(g js2 --with-colons --list-keys | awk -F: '$1 == "fpr" { print $10; exit }')
mkdir jsr
"$PWR" build "$tmp/list" board@lists.example.org "$LIST" jsr board "$JS1=js1@example.net" \
	"$JS2=js2@example.net" > /dev/null 2> pw.err || js_ok=1
echo "hello seipd2" | $JS encrypt ocb aes256 v2.sk jsr/board.roster.asc js1.sec > v2.bin 2> js.err ||
	js_ok=1
check $js_ok "OpenPGP.js keys for two subscribers, their roster, a SEIPDv2 post to it ($(cat js.err pw.err | head -c 200))"
rm -rf v2.d && mkdir v2.d
"$PWR" check jsr/board.roster.asc "$LIST" v2.d "$JS1" "$JS2" < v2.bin > v2.v 2> pw.err
grep -q '^verdict=deliver members=2 covered=2 missing=0 pkesk=3 list=1 .*format=SEIPD version 2' v2.v
check $? "the SEIPDv2 post with v6 PKESKs: $(cat v2.v) $(head -c 200 pw.err)"
$JS decrypt js1.sec js1.sec < v2.d/1.asc 2> js1.err > v2.1 && grep -q '^hello seipd2' v2.1 &&
	grep -q '^pkesk_version 6' js1.err && [ "$(grep -c '^pkesk_version' js1.err)" -eq 1 ] &&
	$JS decrypt js2.sec js1.sec < v2.d/2.asc > v2.2 2> /dev/null && grep -q '^hello seipd2' v2.2
check $? "each SEIPDv2 copy carries one v6 PKESK and opens with OpenPGP.js, signature good"
! $JS decrypt js2.sec < v2.d/1.asc > /dev/null 2>&1 && ! $JS decrypt js1.sec < v2.d/2.asc > /dev/null 2>&1
check $? "a SEIPDv2 copy does not open with the other subscriber's key"

# ---- hidden addresses -------------------------------------------------------------------------
mkdir hid
# shellcheck disable=SC2086
"$PWR" build "$tmp/list" board@lists.example.org "$LIST" hid board -h $subs > hbuild.out 2> pw.err
grep -q '^certs=3 missing=0 all_uids=0 no_direct=2$' hbuild.out
check $? "pw-roster build -h: 3 certificates, 2 without a direct-key signature ($(cat hbuild.out) $(head -c 200 pw.err))"
H=hid/board.roster.asc
g list --dearmor < $H > hid.bin
g list --dearmor < $R > full.bin
hidden_ok=0
for a in alice@example.net bob@example.org carol@example.com Alice Bob Carol; do
	grep -q -a "$a" $H hid.bin && hidden_ok=1
	grep -q -a "$a" full.bin || hidden_ok=1
done
grep -q -a 'board@lists.example.org' hid.bin || hidden_ok=1
check $hidden_ok "the hidden roster carries no subscriber address or name (armor and binary; the full one does)"
g list --verify $H.sig $H 2>/dev/null && sq verify --signer-cert list.pub --detached $H.sig $H > /dev/null 2>&1
check $? "the hidden roster's signature verifies (gpg, sq)"
g list --status-fd 1 --verify --verify-options show-notations $H.sig $H 2>&1 |
	grep -q 'postward-roster-hidden@lists.example.org=yes'
check $? "its notation says the addresses are hidden"
mkdir -m 700 rhid && rnpkeys --homedir rhid --import $H >/dev/null 2>&1 &&
	[ "$(rnpkeys --homedir rhid --list-keys 2>/dev/null | grep -c '^pub')" -eq 4 ]
check $? "rnp imports the hidden roster's 4 certificates"
mkdir -m 700 ghid && g ghid --import $H 2>/dev/null
[ "$(g ghid --with-colons --list-keys | grep -c '^pub:')" -eq 1 ]
check $? "gpg 2.2 imports only the list's certificate from it (no user ID: skipped), as documented"
# shellcheck disable=SC2086
"$PWR" check $H "$LIST" hid $members < gpost.asc > hid.v 2> pw.err
grep -q '^verdict=deliver members=3 covered=3 missing=0 ' hid.v
check $? "posts are judged the same against the hidden roster ($(cat hid.v))"
finish
