#!/bin/bash
# tests/lists/milter.sh - encrypted lists end to end without an MTA: real gpg keys, postward
# driven by miltertest (tests/lists/post.lua), copies re-injected into a real SMTP server
# (tests/e2e/smtpsink.py), each copy decrypted by real gpg in its subscriber's own home.
#
#  - a signed PGP/MIME post to the list only: the milter discards the message (the pool
#    sends the copies); every subscriber gets one copy that decrypts with their key alone to
#    the post, carries exactly one PKESK (theirs), and keeps the poster's good signature
#    (s1's encryption subkey is Curve25519, s2's NIST P-256 ECDH, s3's RSA);
#    copies come from the bounce address with List-Id and List-Post;
#  - a subscriber with a DSA/ElGamal key (sa: encryption subkey algorithm 16, which the
#    re-wrap cannot serve) gets the same copies, encrypted by gpg, with the same checks and
#    a PKESK of algorithm 16;
#  - a subscriber whose key has expired gets a short notice naming the expiry, without the
#    post, once for the two posts (the notice ledger in the spool), and the owner a report
#    naming them for each post; once the key is renewed the subscriber gets the post; once
#    it is revoked, a second notice, naming the revocation;
#  - the same post with another recipient besides the list: the list recipient is removed,
#    the message goes on;
#  - refused in the session: a plain post, an unsigned post, a post signed by a stranger, a
#    post encrypted to another key, broken OpenPGP armor (550 5.7.1 / 5.6.0);
#  - a second list in one message is deferred (452 4.5.3);
#  - the key cache: the second post takes every key from it; when a subscriber renews an
#    expired key (the keyring changes) the next post fetches again and reaches them;
#  - a copy the SMTP server keeps deferring (451) is retried, then given up after
#    list_max_queue_time and named in the owner's report, as is a refused one (550);
#  - kill -9 of postward during a fan-out to 200 subscribers at a known point (the SMTP
#    server, tests/lists/holdsink.py, stops answering after 20 copies and says so), then a
#    restart: every subscriber has the post, duplicates only for copies in flight (at most
#    list_workers).
# Env: POSTWARD.  Ends with "N passed, M failed".
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
POSTWARD=${POSTWARD:-$here/../../milter/postward}
PY=/usr/bin/python3
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "PASS: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw-lists.XXXXXX") || exit 1
chmod 755 "$tmp"
pid=""
sink=""
HOMES="pw poster s1 s2 s3 s4 sa mallory"
export HOMES
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$sink" ] && kill "$sink" 2>/dev/null && wait "$sink" 2>/dev/null
	for h in $HOMES; do GNUPGHOME="$tmp/$h" gpgconf --kill all >/dev/null 2>&1; done
	rm -rf "$tmp"
}
trap cleanup EXIT
finish() {
	[ "$failed" -eq 0 ] || { echo "--- postward log"; tail -40 "$tmp/pw.log" 2>/dev/null; }
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}
cd "$tmp" || exit 1

# ---- keys: the list's in postward's home; each subscriber in a home of their own ----------
g() { local h=$1; shift; gpg --homedir "$tmp/$h" --batch --no-tty --pinentry-mode loopback --passphrase '' "$@"; }
fpr_of() { g "$1" --with-colons --list-keys "$2" | awk -F: '/^fpr/ { print $10; exit }'; }
for h in $HOMES; do
	mkdir -m 700 "$tmp/$h"
	echo "debug-quick-random" > "$tmp/$h/gpg-agent.conf"	# test keys only
done
mkkey() {	# mkkey HOME "Name <addr>" [rsa|nistp256]
	if [ "${3:-}" = rsa ]; then
		g "$1" --quick-gen-key "$2" rsa2048 sign 0 &&
			g "$1" --quick-add-key "$(fpr_of "$1" "$2")" rsa2048 encr 0
	elif [ "${3:-}" = nistp256 ]; then
		g "$1" --quick-gen-key "$2" nistp256 sign 0 &&
			g "$1" --quick-add-key "$(fpr_of "$1" "$2")" nistp256 encr 0
	else
		g "$1" --quick-gen-key "$2" ed25519 sign 0 &&
			g "$1" --quick-add-key "$(fpr_of "$1" "$2")" cv25519 encr 0
	fi
}
{
	mkkey pw "Board <board@lists.test>" &&
	mkkey pw "Other <other@lists.test>" &&
	mkkey poster "Poster <s1@example.net>" &&
	mkkey s2 "Two <s2@example.net>" nistp256 &&
	mkkey s3 "Three <s3@example.net>" rsa &&
	mkkey mallory "Mallory <mallory@evil.test>" &&
	# DSA with an ElGamal encryption subkey: gpg can use it, OpenSSL cannot
	g sa --quick-gen-key "A <sa@example.net>" dsa2048 sign 0 &&
	g sa --quick-add-key "$(fpr_of sa sa@example.net)" elg2048 encr 0 &&
	# an expired key: made in 2020, valid for one day
	g s4 --faked-system-time 20200101T000000 --quick-gen-key "Four <s4@example.net>" ed25519 sign 1d &&
	g s4 --faked-system-time 20200101T000000 --quick-add-key "$(fpr_of s4 s4@example.net)" cv25519 encr 1d
} > keys.log 2>&1 || { bad "gpg key generation: $(tail -3 keys.log)"; finish; }
# s1 is the poster: same key in the s1 home
cp -a "$tmp/poster/." "$tmp/s1/"
LIST=$(fpr_of pw board@lists.test)
OTHER=$(fpr_of pw other@lists.test)
S1=$(fpr_of poster s1@example.net)
S2=$(fpr_of s2 s2@example.net)
S3=$(fpr_of s3 s3@example.net)
S4=$(fpr_of s4 s4@example.net)
SA=$(fpr_of sa sa@example.net)
M=$(fpr_of mallory mallory@evil.test)
for h in poster s2 s3 s4 sa mallory; do g "$h" --export > "$h.pub"; done
g pw --export "$LIST" "$OTHER" > list.pub
for h in poster s2 s3 s4 sa mallory; do g pw --import "$h.pub" 2>/dev/null; done
for h in poster mallory; do g "$h" --import list.pub 2>/dev/null; done
for h in s2 s3 sa; do g "$h" --import poster.pub 2>/dev/null; done
[ -n "$LIST" ] && [ -n "$S1" ] && [ -n "$S4" ] && ok "keys made (list $LIST)" || { bad "keys"; finish; }

# ---- the list, postward, the SMTP server ---------------------------------------------------
mkdir lists box spool
cat > lists/board.list <<EOF
list board@lists.test
from_rewrite never
owner owner@example.org
bounce board-bounces@lists.test
openpgp_key $LIST
list_id Board of the test association
subscriber s1@example.net openpgp=$S1
subscriber s2@example.net openpgp=$S2
subscriber s3@example.net openpgp=$S3
subscriber s4@example.net openpgp=$S4
subscriber sa@example.net openpgp=$SA
EOF
# a list whose subscribers the SMTP server defers (defer*) or refuses (reject*)
cat > lists/slow.list <<EOF
list slow@lists.test
from_rewrite never
owner owner@example.org
bounce slow-bounces@lists.test
openpgp_key $LIST
posters anyone
require_signature no
subscriber ok1@example.net openpgp=$S2
subscriber defer1@example.net openpgp=$S2
subscriber reject1@example.net openpgp=$S2
EOF
cat > lists/other.list <<EOF
list other@lists.test
from_rewrite never
owner owner@example.org
openpgp_key $OTHER
subscriber s2@example.net openpgp=$S2
EOF
# an S/MIME list: the list's certificate and key, two subscribers (RSA and EC P-256)
mkdir smime
mkcert() {	# mkcert NAME EMAIL rsa|ec
	local alg=(-newkey rsa:2048)
	[ "$3" = ec ] && alg=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
	openssl req -x509 "${alg[@]}" -nodes -keyout "smime/$1.key" -out "smime/$1.crt" \
		-subj "/CN=$1" -days 2 -addext "subjectAltName=email:$2" 2>/dev/null
}
mkcert slist sec@lists.test rsa && mkcert s5 s5@example.net rsa && mkcert s6 s6@example.net ec &&
	mkcert eve eve@evil.test rsa || bad "openssl certificates"
printf 'list sec@lists.test\nfrom_rewrite never\nowner owner@example.org\nsmime_cert %s\nsmime_key %s\n' \
	"$tmp/smime/slist.crt" "$tmp/smime/slist.key" > lists/sec.list
printf 'subscriber %s@example.net smime=%s\n' s5 "$tmp/smime/s5.crt" s6 "$tmp/smime/s6.crt" >> lists/sec.list
# s7's certificate file is missing: told once that posts cannot reach them
echo "subscriber s7@example.net smime=$tmp/smime/s7-missing.crt" >> lists/sec.list
# the SMTP server: tests/e2e/smtpsink.py with a second listener (bigbox) that stops answering
# after HOLD messages, for the kill -9 test below (tests/lists/holdsink.py)
HOLD=20
"$PY" "$here/holdsink.py" "$tmp/ready" "box=$tmp/box" \
	"bigbox=$tmp/bigbox,hold=$HOLD,holdfile=$tmp/holding,release=$tmp/release" > sink.log 2>&1 &
sink=$!
for _ in $(seq 600); do [ -s ready ] && break; kill -0 "$sink" 2>/dev/null || break; sleep 0.05; done
port=$(awk '$1 == "box" { print $2 }' ready 2>/dev/null)
bigport=$(awk '$1 == "bigbox" { print $2 }' ready 2>/dev/null)
[ -n "$port" ] && [ -n "$bigport" ] || { bad "SMTP sink started: $(tail -3 sink.log)"; finish; }
cat > pw.conf <<EOF
sender_practices =
list_directory = $tmp/lists
gnupg_home = $tmp/pw
list_spool_directory = $tmp/spool
list_reinject = 127.0.0.1:$port
list_workers = 2
list_max_queue_time = 2
EOF
starts=0
start_postward() {	# each run logs to its own file, pw.log holds them all
	starts=$((starts + 1))
	"$POSTWARD" -f -c pw.conf -p "unix:$tmp/pw.sock" 2> "pw.$starts.log" &
	pid=$!
	for _ in $(seq 200); do grep -q "listening on" "pw.$starts.log" && break; sleep 0.05; done
	cat pw.*.log > pw.log
	grep -q "listening on" "pw.$starts.log" || { bad "postward started: $(tail -5 "pw.$starts.log")"; finish; }
}
stop_postward() {	# TERM, then wait until no process of it is left (the worker too)
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=""
	for _ in $(seq 200); do pgrep -f -- "unix:$tmp/pw.sock" > /dev/null || break; sleep 0.05; done
	cat pw.*.log > pw.log
}
"$POSTWARD" -n -c pw.conf > n.out 2>&1 && ok "postward -n accepts the lists" || bad "postward -n: $(cat n.out)"
start_postward

send() {	# send NAME MSGFILE "RCPTS" [CODE XCODE TEXT] -> out-NAME
	local name=$1 file=$2 rcpts=$3 extra=()
	[ $# -ge 6 ] && extra=(-D code="$4" -D xcode="$5" -D text="$6")
	[ -n "${DELRCPT:-}" ] && extra+=(-D delrcpt="$DELRCPT")
	timeout 120 miltertest -D sock="unix:$tmp/pw.sock" -D msgfile="$tmp/$file" -D qid="Q$name" \
		-D sender="<s1@example.net>" -D rcpts="$rcpts" "${extra[@]}" -s "$here/post.lua" \
		> "out-$name" 2>&1
}
field() { sed -n "s/^$2 //p" "out-$1"; }
# copies_for ADDR: the stored messages whose RCPT is ADDR
copies_for() { grep -l "^rcpt: .*<$1>" box/*.meta 2>/dev/null | sed 's/\.meta$/.eml/'; }
# wait_for N: bounded wait until the sink holds N messages (the pool works in the background)
wait_for() {
	local i
	for i in $(seq 600); do
		[ "$(ls box/*.eml 2>/dev/null | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# ---- posts ---------------------------------------------------------------------------------
secret="the plan is $RANDOM$RANDOM"
printf 'Content-Type: text/plain; charset=us-ascii\n\n%s\n' "$secret" > inner.txt
pgpmime() {	# pgpmime ARMORFILE SUBJECT > message
	printf 'From: One <s1@example.net>\nTo: board@lists.test\nSubject: %s\nMessage-ID: <%s@example.net>\nMIME-Version: 1.0\n' "$2" "$RANDOM"
	printf 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\n boundary="=-=b1=-="\n\n'
	printf 'This is an OpenPGP/MIME encrypted message (RFC 3156).\n--=-=b1=-=\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n'
	printf -- '--=-=b1=-=\nContent-Type: application/octet-stream; name="encrypted.asc"\n\n'
	cat "$1"
	printf -- '--=-=b1=-=--\n'
}
g poster --trust-model always --armor -s -e -r "$LIST" -u "$S1" -o signed.asc inner.txt
g poster --trust-model always --armor -e -r "$LIST" -o unsigned.asc inner.txt
g mallory --trust-model always --armor -s -e -r "$LIST" -u "$M" -o stranger.asc inner.txt
g poster --trust-model always --armor -s -e -r "$S2" -u "$S1" -o tos2.asc inner.txt 2>/dev/null ||
	{ g poster --import s2.pub 2>/dev/null; g poster --trust-model always --armor -s -e -r "$S2" -u "$S1" -o tos2.asc inner.txt; }
g poster --trust-model always --armor -s -e -r "$OTHER" -u "$S1" -o otherlist.asc inner.txt
pgpmime signed.asc "signed" > post.eml
pgpmime otherlist.asc "for the other list" > otherlist.eml
pgpmime unsigned.asc "unsigned" > unsigned.eml
pgpmime stranger.asc "stranger" > stranger.eml
pgpmime tos2.asc "wrong key" > wrongkey.eml
sed 's/^\(-----BEGIN PGP MESSAGE-----\)$/\1\n\nnot base64 at all!/' signed.asc > broken.asc
pgpmime broken.asc "broken" > broken.eml
printf 'From: s1@example.net\nTo: board@lists.test\nSubject: plain\n\n%s\n' "$secret" > plain.eml

# refused in the session
send plain plain.eml "<board@lists.test>" 550 5.7.1 "Posts to this list must be encrypted to the list's key"
[ "$(field plain REPLY)" = true ] && ok "plain post refused: 550 5.7.1" || bad "plain post: $(tr '\n' '|' < out-plain)"
send unsigned unsigned.eml "<board@lists.test>" 550 5.7.1 "Posts to this list must be signed by an allowed poster"
[ "$(field unsigned REPLY)" = true ] && ok "unsigned post refused: 550 5.7.1" || bad "unsigned post: $(tr '\n' '|' < out-unsigned)"
send stranger stranger.eml "<board@lists.test>" 550 5.7.1 "Posts to this list must be signed by an allowed poster"
[ "$(field stranger REPLY)" = true ] && ok "post signed by a stranger refused: 550 5.7.1" || bad "stranger: $(tr '\n' '|' < out-stranger)"
send wrongkey wrongkey.eml "<board@lists.test>" 550 5.7.1 "The post is not encrypted to this list's key"
[ "$(field wrongkey REPLY)" = true ] && ok "post not encrypted to the list key refused: 550 5.7.1" || bad "wrong key: $(tr '\n' '|' < out-wrongkey)"
send otherlist otherlist.eml "<board@lists.test>" 550 5.7.1 "The post is not encrypted to this list's key"
[ "$(field otherlist REPLY)" = true ] && ok "post encrypted to another list's key (same GnuPG home) refused: 550 5.7.1" ||
	bad "other list's key: $(tr '\n' '|' < out-otherlist)"
send broken broken.eml "<board@lists.test>" 550 5.6.0 "Malformed OpenPGP data in the post"
[ "$(field broken REPLY)" = true ] && ok "broken armor refused: 550 5.6.0" || bad "broken: $(tr '\n' '|' < out-broken)"
send twolists post.eml "<board@lists.test> <other@lists.test>"
grep -Eq "^RCPT <other@lists.test> (tempfail|replycode)" out-twolists && ok "a second list in one message: 452 4.5.3 for it" ||
	bad "second list: $(tr '\n' '|' < out-twolists)"
[ "$(ls box/*.eml 2>/dev/null | wc -l)" -eq 0 ] || true

# the post: discarded in the session, delivered by the pool
before=$(ls box/*.eml 2>/dev/null | wc -l)
send post post.eml "<board@lists.test>"
[ "$(field post EOM)" = discard ] && ok "post to the list only: the milter discards it (the pool delivers)" ||
	bad "post: $(tr '\n' '|' < out-post)"
# twolists posted to board too (its other@ RCPT was deferred): 4 copies + 1 report each, for
# two posts, and one notice (s4) for both (once per key state)
wait_for $((before + 11)) || bad "copies arrived within 60 s ($(ls box/*.eml 2>/dev/null | wc -l) of $((before + 11)))"
# the worker took the session key of the SMTP session's check from memory (keyhand.h): no
# second gpg decryption of a post accepted by this process
cat pw.*.log > pw.log
grep -q "Qpost: list board@lists.test: session key from the SMTP session, no second decryption" pw.log &&
	! grep -q "Qpost: .*the post is decrypted again" pw.log &&
	ok "the worker used the session's session key: no second decryption (log)" ||
	bad "the worker decrypted the post again: $(grep "Qpost: .*decrypt" pw.log | head -3 | tr '\n' '|')"
for s in s1 s2 s3 sa; do
	home=$s
	[ $s = s1 ] && home=poster
	files=$(copies_for "$s@example.net")
	n=$(printf '%s\n' "$files" | grep -c .)
	[ "$n" -eq 2 ] && ok "$s: one copy per post (2)" || bad "$s: $n copies"
	f=$(printf '%s\n' "$files" | head -1)
	[ -n "$f" ] || continue
	sed -n '/^-----BEGIN PGP MESSAGE-----/,/^-----END PGP MESSAGE-----/p' "$f" | tr -d '\r' > "$s.asc"
	if g "$home" --status-fd 3 --decrypt "$s.asc" > "$s.out" 3> "$s.status" 2>/dev/null &&
	   grep -qF "$secret" "$s.out"; then
		ok "$s: the copy decrypts with $s's key alone to the post"
	else
		bad "$s: the copy does not decrypt to the post ($(tail -2 "$s.status" | tr '\n' ' '))"
	fi
	grep -q "GOODSIG" "$s.status" && ok "$s: the poster's signature is good" || bad "$s: no GOODSIG"
	# the post's own fields reach the copy as the poster wrote them: one space after the
	# colon, no more (a driver or milter that doubles or eats the space fails here)
	hf='^(From|To|Subject|Message-ID):'
	if [ "$(tr -d '\r' < "$f" | sed '/^$/q' | grep -E "$hf")" = "$(sed '/^$/q' post.eml | grep -E "$hf")" ]; then
		ok "$s: From, To, Subject and Message-ID as in the post, spacing and all"
	else
		bad "$s: header fields differ from the post's: $(tr -d '\r' < "$f" | grep -E "$hf" | tr '\n' '|')"
	fi
	k=$(g "$home" --list-packets "$s.asc" 2>/dev/null | grep -c ":pubkey enc packet:")
	[ "$k" -eq 1 ] && ok "$s: exactly one PKESK" || bad "$s: $k PKESKs"
	other=s2; [ $s = s2 ] && other=s3
	g "$other" --decrypt "$s.asc" > /dev/null 2>&1 && bad "$s: $other can decrypt $s's copy" ||
		ok "$s: $other cannot decrypt $s's copy"
	grep -q "^mail_from: .*<board-bounces@lists.test>" "${f%.eml}.meta" && ok "$s: from the bounce address" ||
		bad "$s: envelope sender $(grep mail_from "${f%.eml}.meta")"
	tr -d '\r' < "$f" | grep -q '^List-Id: Board of the test association <board.lists.test>$' &&
		ok "$s: List-Id" || bad "$s: List-Id: $(tr -d '\r' < "$f" | grep -i '^list-id')"
	tr -d '\r' < "$f" | grep -q '^List-Post: <mailto:board@lists.test>$' && ok "$s: List-Post" || bad "$s: List-Post"
	grep -qF "$secret" "$f" && bad "$s: plaintext in the copy" || ok "$s: no plaintext in the copy"
done
g sa --list-packets sa.asc 2>/dev/null | grep -q ":pubkey enc packet: version 3, algo 16," &&
	ok "sa: the PKESK is for sa's ElGamal subkey (algorithm 16)" ||
	bad "sa: PKESK $(g sa --list-packets sa.asc 2>&1 | grep 'pubkey enc')"
[ "$(grep PLAINTEXT sa.status | head -1 | cut -d' ' -f3-)" = "$(grep PLAINTEXT s2.status | head -1 | cut -d' ' -f3-)" ] &&
	grep -q PLAINTEXT sa.status && ok "sa: the literal data (date, file name) is the poster's, as in the re-wrapped copies" ||
	bad "sa: literal data $(grep PLAINTEXT sa.status) vs $(grep PLAINTEXT s2.status)"
[ "$(cat pw.*.log | grep -c "list board@lists.test: copy for <sa@example.net> encrypted by gpg")" -eq 2 ] &&
	ok "log: sa's copy was encrypted by gpg, once per post" ||
	bad "log: $(cat pw.*.log | grep -c 'encrypted by gpg') gpg fallback lines"
# the post's session key (gpg tells s2 what it is) is nowhere in postward's log
sk=$(g s2 --show-session-key --decrypt s2.asc 2>&1 >/dev/null |
	sed -n "s/.*session key: '[0-9]*:\([0-9A-Fa-f]*\)'.*/\1/p" | head -1)
if [ -n "$sk" ] && ! cat pw.*.log | grep -qi "$sk"; then
	ok "the post's session key (${#sk} hex digits) is not in postward's log"
else
	bad "session key check: key '${sk}' $(cat pw.*.log | grep -ci "${sk:-none}") log line(s)"
fi
n4=$(copies_for s4@example.net)
f4=$(printf '%s\n' "$n4" | head -1)
if [ -n "$f4" ] && grep -q "^mail_from: .*<>" "${f4%.eml}.meta" && grep -q "could not be encrypted for you" "$f4" &&
   ! grep -qF "$secret" "$f4" && ! grep -q "BEGIN PGP" "$f4"; then
	ok "s4 (expired key): a notice from the null sender, without the post"
else
	bad "s4: notice ($f4)"
fi
[ "$(printf '%s\n' "$n4" | grep -c .)" -eq 1 ] && ok "s4: one notice for the two posts" ||
	bad "s4: $(printf '%s\n' "$n4" | grep -c .) notices for two posts"
[ -n "$f4" ] && tr -d '\r' < "$f4" | grep -q "your key $S4 expired on 2020-01-0" &&
	ok "s4: the notice names the expired key and its expiry" ||
	bad "s4: the notice's reason: $(tr -d '\r' < "${f4:-/dev/null}" | grep -i 'key' | head -2 | tr '\n' '|')"
[ "$(cat pw.*.log | grep -c "list board@lists.test: no copy for <s4@example.net>: your key $S4 expired")" -eq 2 ] &&
	cat pw.*.log | grep -q "list board@lists.test: <s4@example.net> was told before about this key state" &&
	ok "log: s4's missing copy logged for each post, the second without a notice" ||
	bad "log for s4: $(cat pw.*.log | grep -h 's4@example.net' | tr '\n' '|')"
grep -q "^s4@example.net$(printf '\t')openpgp expired $S4 " spool/notices/board@lists.test 2>/dev/null &&
	ok "the notice ledger (spool/notices/board@lists.test) records s4's key state" ||
	bad "ledger: $(cat spool/notices/* 2>&1)"
fo=$(copies_for owner@example.org | head -1)
if [ -n "$fo" ] && grep -q "s4@example.net" "$fo" && grep -qi "expired" "$fo"; then
	ok "the owner's report names s4 and the expired key"
else
	bad "owner report ($fo)"
fi
ls spool/*.job > /dev/null 2>&1 && bad "jobs left in the spool" || ok "the spool is empty once every copy is out"
cat pw.*.log | grep -q "Qpost: list board@lists.test: post from <s1@example.net> accepted as" &&
	ok "log: the post was accepted" || bad "log: no accepted line"

# with another recipient besides the list: the list recipient is removed, the rest goes on
DELRCPT="<board@lists.test>" send mixed post.eml "<board@lists.test> <friend@example.com>"
[ "$(field mixed EOM)" = continue ] && [ "$(field mixed DELRCPT)" = true ] &&
	ok "list plus another recipient: the list recipient is removed, the message goes on" ||
	bad "mixed: $(tr '\n' '|' < out-mixed)"

wait_for $((before + 16)) || true	# let the mixed post finish first

# ---- the key cache: later posts take keys from it; a keyring change is seen at once ----------
grep -q "Qtwolists: list board@lists.test: 5 subscriber key(s), 0 from the cache" pw.*.log &&
	grep -q "Qpost: list board@lists.test: 5 subscriber key(s), 5 from the cache" pw.*.log &&
	ok "key cache: the first post fetches 5 keys from gpg, the next takes all 5 from the cache" ||
	bad "key cache: $(grep -h 'subscriber key(s)' pw.*.log | tr '\n' '|')"
# s4 renews the expired key; once postward's keyring has the renewal, s4 gets the post
S4SUB=$(g s4 --with-colons --list-keys "$S4" 2>/dev/null | awk -F: '/^sub/ { s = 1 } s && /^fpr/ { print $10; exit }')
g s4 --quick-set-expire "$S4" 1y > /dev/null 2>&1 && g s4 --quick-set-expire "$S4" 1y "$S4SUB" > /dev/null 2>&1 &&
	g s4 --export > s4new.pub && g pw --import s4new.pub > /dev/null 2>&1 || bad "renewing s4's key"
b4=$(ls box/*.eml 2>/dev/null | wc -l)
send renewed post.eml "<board@lists.test>"
wait_for $((b4 + 5)) || bad "copies of the post after the renewal"
f=$(copies_for s4@example.net | xargs -r grep -l "BEGIN PGP MESSAGE" | head -1)
if [ -n "$f" ]; then
	sed -n '/^-----BEGIN PGP MESSAGE-----/,/^-----END PGP MESSAGE-----/p' "$f" | tr -d '\r' > s4.asc
	g s4 --decrypt s4.asc 2>/dev/null | grep -qF "$secret" &&
		ok "s4 renewed the key: the next post reaches s4 and decrypts (the keyring change emptied the key cache)" ||
		bad "s4's copy after the renewal does not decrypt"
else
	bad "no copy for s4 after the renewal ($(grep -h 'Qrenewed' pw.*.log | tail -3 | tr '\n' '|'))"
fi
grep -q "Qrenewed: list board@lists.test: 5 subscriber key(s), 0 from the cache, 5 usable (1 through gpg)" pw.*.log &&
	ok "log: after the keyring changed every key came from gpg again, all 5 usable, 1 through gpg" ||
	bad "log after the renewal: $(grep -h 'Qrenewed.*subscriber key' pw.*.log)"
for _ in $(seq 200); do ls spool/*.job > /dev/null 2>&1 || break; sleep 0.1; done
[ ! -s spool/notices/board@lists.test ] && ok "s4 got a copy: the notice ledger forgot s4" ||
	bad "ledger after the renewal: $(cat spool/notices/board@lists.test)"
# s4's key is revoked: a new state, so a second notice, naming it
sed 's/^:-----BEGIN/-----BEGIN/' "s4/openpgp-revocs.d/$S4.rev" > s4rev.asc &&
	g pw --import s4rev.asc > /dev/null 2>&1 || bad "revoking s4's key"
b6=$(ls box/*.eml 2>/dev/null | wc -l)
send revoked post.eml "<board@lists.test>"
wait_for $((b6 + 6)) || bad "copies, notice and report of the post after the revocation"
n4=$(copies_for s4@example.net | xargs -r grep -L "BEGIN PGP MESSAGE")
[ "$(printf '%s\n' "$n4" | grep -c .)" -eq 2 ] &&
	printf '%s\n' "$n4" | xargs -r cat | tr -d '\r' | grep -q "your key $S4 has been revoked" &&
	ok "s4's key revoked: a second notice, naming the revocation" ||
	bad "s4 after the revocation: $(printf '%s\n' "$n4" | grep -c .) notices"

# ---- S/MIME: a post signed by a subscriber, encrypted to the list's certificate -----------
smime_post() {	# smime_post SIGNER OUT [CIPHER]
	{ if [ "$1" = none ]; then cat inner.txt; else
		openssl cms -sign -in inner.txt -signer "smime/$1.crt" -inkey "smime/$1.key"; fi; } |
	openssl cms -encrypt "-${3:-aes256}" -recip smime/slist.crt > "$2.mime" &&
	{ printf 'From: s5@example.net\nTo: sec@lists.test\nSubject: smime\n'; cat "$2.mime"; } > "$2"
}
smime_post s5 smime.eml && smime_post eve smime-eve.eml && smime_post none smime-unsigned.eml ||
	bad "openssl cms posts"
send smime-eve smime-eve.eml "<sec@lists.test>" 550 5.7.1 "Posts to this list must be signed by an allowed poster"
[ "$(field smime-eve REPLY)" = true ] && ok "S/MIME post signed by a stranger refused: 550 5.7.1" ||
	bad "S/MIME stranger: $(tr '\n' '|' < out-smime-eve)"
send smime-unsigned smime-unsigned.eml "<sec@lists.test>" 550 5.7.1 "Posts to this list must be signed by an allowed poster"
[ "$(field smime-unsigned REPLY)" = true ] && ok "unsigned S/MIME post refused: 550 5.7.1" ||
	bad "S/MIME unsigned: $(tr '\n' '|' < out-smime-unsigned)"
b2=$(ls box/*.eml 2>/dev/null | wc -l)
send smime smime.eml "<sec@lists.test>"
[ "$(field smime EOM)" = discard ] && ok "signed S/MIME post accepted" || bad "S/MIME post: $(tr '\n' '|' < out-smime)"
wait_for $((b2 + 4)) || bad "S/MIME copies, s7's notice and the owner's report arrived"
for _ in $(seq 200); do ls spool/*.job > /dev/null 2>&1 || break; sleep 0.1; done
send smime2 smime.eml "<sec@lists.test>"
wait_for $((b2 + 7)) || bad "the second S/MIME post's copies and report arrived"
for _ in $(seq 200); do ls spool/*.job > /dev/null 2>&1 || break; sleep 0.1; done
n7=$(copies_for s7@example.net)
[ "$(printf '%s\n' "$n7" | grep -c .)" -eq 1 ] &&
	tr -d '\r' < "$(printf '%s\n' "$n7" | head -1)" | grep -q "the S/MIME certificate file cannot be read" &&
	ok "s7 (certificate file missing): one notice for two S/MIME posts, naming the reason" ||
	bad "s7: $(printf '%s\n' "$n7" | grep -c .) notices for two S/MIME posts"
for sub in s5 s6; do
	f=$(copies_for "$sub@example.net" | head -1)
	if [ -n "$f" ] && openssl cms -decrypt -in "$f" -recip "smime/$sub.crt" -inkey "smime/$sub.key" \
		-out "$sub.dec" 2>/dev/null && openssl cms -verify -noverify -in "$sub.dec" -out "$sub.ver" \
		2>/dev/null && grep -qF "$secret" "$sub.ver"; then
		ok "$sub: the S/MIME copy decrypts with $sub's key and the poster's signature verifies"
	else
		bad "$sub: S/MIME copy ($f)"
	fi
	[ -n "$f" ] && openssl cms -decrypt -in "$f" -recip smime/slist.crt -inkey smime/slist.key \
		-out /dev/null 2>/dev/null && bad "$sub: the list's own key opens the copy" ||
		ok "$sub: the list's key does not open the copy"
done

# an AES-GCM post (AuthEnvelopedData, RFC 5083/5084): re-addressed like the others, each copy
# authEnveloped-data with the post's MAC, opened by the subscriber's key alone
smime_post s5 smime-gcm.eml aes-256-gcm || bad "openssl cms AES-GCM post"
b4=$(ls box/*.eml 2>/dev/null | wc -l)
send smime-gcm smime-gcm.eml "<sec@lists.test>"
[ "$(field smime-gcm EOM)" = discard ] && ok "AES-GCM S/MIME post accepted" || bad "AES-GCM post: $(tr '\n' '|' < out-smime-gcm)"
wait_for $((b4 + 2)) || bad "AES-GCM S/MIME copies arrived"
for sub in s5 s6; do
	f=$(copies_for "$sub@example.net" | xargs -r grep -il 'smime-type=authEnveloped-data' | head -1)
	if [ -n "$f" ] && openssl cms -decrypt -in "$f" -recip "smime/$sub.crt" -inkey "smime/$sub.key" \
		-out "$sub.gcm.dec" 2>/dev/null && openssl cms -verify -noverify -in "$sub.gcm.dec" \
		-out "$sub.gcm.ver" 2>/dev/null && grep -qF "$secret" "$sub.gcm.ver" &&
		openssl cms -cmsout -print -in "$f" | grep -q 'contentType: id-smime-ct-authEnvelopedData'; then
		ok "$sub: the AES-GCM copy is authEnvelopedData, decrypts with $sub's key, the signature verifies"
	else
		bad "$sub: AES-GCM copy ($f)"
	fi
done

# enveloped-x400 (RFC 3854): the encrypted content is X.400, not MIME, so a list that checks
# the poster's signature has none to check: refused with that reason
if [ -n "${PW_SMIME:-}" ] && [ -x "$PW_SMIME" ] &&
	"$PW_SMIME" mkpost 1.3.26.0.4406.0.4.1 smime/slist.crt < inner.txt > x400.der &&
	{ printf 'From: s5@example.net\nTo: sec@lists.test\nSubject: x400\n'
	  openssl cms -cmsout -inform DER -in x400.der -outform SMIME | sed 's/smime-type=enveloped-data/smime-type=enveloped-x400/'; } > smime-x400.eml; then
	send smime-x400 smime-x400.eml "<sec@lists.test>" 550 5.7.1 \
		"This list checks the poster's signature and takes S/MIME posts with MIME content only, not enveloped-x400"
	[ "$(field smime-x400 REPLY)" = true ] && ok "enveloped-x400 post refused on a list that checks signatures: 550 5.7.1" ||
		bad "enveloped-x400 post: $(tr '\n' '|' < out-smime-x400)"
	cat pw.*.log | grep -q "Qsmime-x400: list sec@lists.test: encrypted content type 1.3.26.0.4406.0.4.1 is not MIME" &&
		ok "log: the enveloped-x400 post's content type is named" ||
		bad "log for the enveloped-x400 post: $(cat pw.*.log | grep -h 'Qsmime-x400' | tail -2 | tr '\n' '|')"
else
	bad "cannot make the enveloped-x400 post (PW_SMIME=${PW_SMIME:-unset})"
fi

# a post whose content cipher is a key-wrap algorithm (id-aes256-wrap in place of aes-256-cbc;
# regression test: postward passed a NULL buffer to memcpy and the sanitizer build aborted)
# is refused in the session with the ciphers the list takes, and nothing is sent
openssl cms -sign -in inner.txt -signer smime/s5.crt -inkey smime/s5.key |
	openssl cms -encrypt -aes256 -binary -outform DER -recip smime/slist.crt > kw.der &&
	perl -e 'local $/; my $d = <STDIN>; my $p = "\x06\x09\x60\x86\x48\x01\x65\x03\x04\x01";
		my $i = index($d, "$p\x2a"); die if $i < 0; substr($d, $i + 10, 1) = "\x2d";
		binmode STDOUT; print $d' < kw.der > kw-wrap.der &&
	{ printf 'From: s5@example.net\nTo: sec@lists.test\nSubject: smime\n'
	  openssl cms -cmsout -inform DER -in kw-wrap.der -outform SMIME; } > smime-keywrap.eml ||
	bad "making the key-wrap S/MIME post"
b3=$(ls box/*.eml 2>/dev/null | wc -l)
send smime-keywrap smime-keywrap.eml "<sec@lists.test>" 550 5.7.1 \
	"S/MIME posts to this list must be enveloped-data with AES-128-CBC, AES-192-CBC, AES-256-CBC or DES-EDE3-CBC or authEnveloped-data with AES-128-GCM, AES-192-GCM or AES-256-GCM"
[ "$(field smime-keywrap REPLY)" = true ] &&
	ok "S/MIME post with a key-wrap content cipher refused: 550 5.7.1 naming the ciphers the list takes" ||
	bad "S/MIME key-wrap post: $(tr '\n' '|' < out-smime-keywrap)"
cat pw.*.log | grep -q "Qsmime-keywrap: list sec@lists.test: content cipher id-aes256-wrap is not one the list accepts" &&
	ok "log: the key-wrap post's cipher is named" ||
	bad "log for the key-wrap post: $(cat pw.*.log | grep -h 'Qsmime-keywrap' | tail -2 | tr '\n' '|')"
kill -0 "$pid" 2>/dev/null && [ "$(ls box/*.eml 2>/dev/null | wc -l)" -eq "$b3" ] &&
	ok "postward still running after the key-wrap post, nothing sent" ||
	bad "after the key-wrap post: postward gone or copies sent"

# ---- a copy the MTA keeps deferring is given up after list_max_queue_time (2 s here) --------
b5=$(ls box/*.eml 2>/dev/null | wc -l)
sed 's/^To: board@lists.test/To: slow@lists.test/' post.eml > slow.eml
send slow slow.eml "<slow@lists.test>"
[ "$(field slow EOM)" = discard ] && ok "post to the slow list accepted" || bad "slow post: $(tr '\n' '|' < out-slow)"
wait_for $((b5 + 2)) || bad "slow list: the copy and the owner's report arrived"
for _ in $(seq 200); do ls spool/*.job > /dev/null 2>&1 || break; sleep 0.1; done
[ "$(copies_for ok1@example.net | wc -l)" -eq 1 ] && ok "slow list: ok1 has its copy" || bad "slow list: ok1"
[ -z "$(copies_for defer1@example.net)$(copies_for reject1@example.net)" ] &&
	ok "slow list: nothing was accepted for defer1 and reject1" || bad "slow list: defer1/reject1 got mail"
fo=$(grep -l "slow@lists.test" $(copies_for owner@example.org) 2>/dev/null | head -1)
if [ -n "$fo" ] && tr -d '\r' < "$fo" | grep -q "<defer1@example.net>: deferred for longer than list_max_queue_time (2 s), last reply: 451 4.2.0" &&
   tr -d '\r' < "$fo" | grep -q "<reject1@example.net>: refused by the MTA: 550 5.1.1" &&
   tr -d '\r' < "$fo" | grep -q "(queue id Qslow) was sent to 1 of its 3\$"; then
	ok "slow list: the owner's report gives defer1 up after list_max_queue_time, names reject1's 550, and counts ok1's copy sent in the first attempt"
else
	bad "slow list: owner report ($fo): $(tr -d '\r' < "${fo:-/dev/null}" | tail -5 | tr '\n' '|')"
fi
# deferred, then given up once list_max_queue_time (counted from the post's acceptance) has
# passed: after the retry 5 s later, or at the first attempt when a loaded machine started it
# more than 2 s after the acceptance; either way never a copy, and each attempt logged
[ "$(grep -c "Qslow: list slow@lists.test: copy for <defer1@example.net> deferred" pw.*.log | awk -F: '{ n += $NF } END { print n }')" -ge 1 ] &&
	grep -q "Qslow: list slow@lists.test: no copy for <defer1@example.net>: deferred for longer than list_max_queue_time (2 s)" pw.*.log &&
	{ [ "$(grep -c "Qslow: list slow@lists.test: copy for <defer1@example.net> deferred" pw.*.log | awk -F: '{ n += $NF } END { print n }')" -eq 1 ] ||
	  grep -q "list: job .*: trying again in 5 s" pw.*.log; } &&
	ok "log: defer1 was deferred (each attempt logged, retries 5 s apart), then given up" ||
	bad "log for the slow list: $(grep -h 'Qslow\|trying again' pw.*.log | tail -6 | tr '\n' '|')"
ls spool/*.job > /dev/null 2>&1 && bad "the slow list's job is still in the spool" ||
	ok "the slow list's job left the spool once every subscriber was marked"

# ---- kill -9 during a fan-out to 200 subscribers, then a restart ---------------------------
# The copies go to the sink's bigbox listener, which accepts $HOLD of them and then answers
# no more: postward's workers wait for a reply that does not come.  When the sink reports
# it is holding, postward is killed with -9: exactly $HOLD copies are out, whatever the
# machine's speed.  The sink is then released and postward restarted.
stop_postward
{
	echo "list big@lists.test"
	echo "from_rewrite never"
	echo "owner owner@example.org"
	echo "openpgp_key $LIST"
	echo "require_signature no"
	echo "posters anyone"
	for i in $(seq 200); do
		case $((i % 3)) in 0) k=$S1;; 1) k=$S2;; 2) k=$S3;; esac
		echo "subscriber big$i@example.net openpgp=$k"
	done
} > lists/big.list
sed -i "s/^list_reinject = .*/list_reinject = 127.0.0.1:$bigport/" pw.conf
start_postward
sed 's/^To: board@lists.test/To: big@lists.test/' post.eml > big.eml
send big big.eml "<big@lists.test>"
[ "$(field big EOM)" = discard ] && ok "200-subscriber post accepted" || bad "big post: $(tr '\n' '|' < out-big)"
# wait for the event (the sink holds), bounded only against a hang
for _ in $(seq 3000); do [ -s holding ] && break; sleep 0.1; done
[ -s holding ] && ok "the sink holds after $(cat holding) copies" || bad "the sink never held (copies: $(ls bigbox/*.eml 2>/dev/null | wc -l))"
kill -9 $(pgrep -f -- "unix:$tmp/pw.sock") 2>/dev/null
wait "$pid" 2>/dev/null
pid=""
for _ in $(seq 600); do pgrep -f -- "unix:$tmp/pw.sock" > /dev/null || break; sleep 0.05; done
pgrep -f -- "unix:$tmp/pw.sock" > /dev/null && bad "postward's processes still there after kill -9"
got=$(ls bigbox/*.eml 2>/dev/null | wc -l)
[ "$got" -eq "$HOLD" ] && ok "killed with -9 mid fan-out: exactly $HOLD of 200 copies out" ||
	bad "kill -9 mid fan-out: $got copies out when killed (want $HOLD)"
ls spool/*.job > /dev/null 2>&1 && ok "the post is still in the spool" || bad "the post left the spool"
: > release
start_postward
for _ in $(seq 3000); do ls spool/*.job > /dev/null 2>&1 || break; sleep 0.1; done
ls spool/*.job > /dev/null 2>&1 && bad "the post is still in the spool after the restart"
missing=0; dups=0
for i in $(seq 200); do
	n=$(grep -l "^rcpt: .*<big$i@example.net>" bigbox/*.meta 2>/dev/null | sed 's/\.meta$/.eml/' |
		xargs -r grep -l "BEGIN PGP MESSAGE" | wc -l)
	[ "$n" -eq 0 ] && missing=$((missing + 1))
	[ "$n" -gt 1 ] && dups=$((dups + n - 1))
done
[ "$missing" -eq 0 ] && ok "after the restart every one of the 200 subscribers has the post" ||
	bad "$missing subscribers without the post"
[ "$dups" -le 2 ] && ok "duplicates only for copies in flight ($dups, at most list_workers = 2)" ||
	bad "$dups duplicates"
cat pw.*.log | grep -q "resuming 1 post" && ok "log: the spool was resumed" || bad "no resume line in the log"
# before the kill the worker had the session key from memory; the resumed job has none (a
# restart loses it, nothing is on disk): its worker decrypts the post again
grep -q "Qbig: list big@lists.test: session key from the SMTP session" "pw.$((starts - 1)).log" &&
	ok "before the kill: the session key came from the SMTP session" ||
	bad "before the kill: no session key from the SMTP session in pw.$((starts - 1)).log"
grep -q "Qbig: list big@lists.test: no session key in memory (a resumed or retried job): the post is decrypted again" "pw.$starts.log" &&
	! grep -q "Qbig: .*session key from the SMTP session" "pw.$starts.log" &&
	ok "after the restart: the resumed job's worker decrypted the post itself" ||
	bad "after the restart: no second decryption logged for the resumed job"

kill "$pid"; wait "$pid"; st=$?; pid=""
cat pw.*.log > pw.log
[ "$st" -eq 0 ] && ok "postward stopped cleanly (sanitizers quiet)" || bad "postward exit status $st"
finish
