#!/bin/bash
# tests/lists/postfix.sh - encrypted lists end to end through a real, private Postfix: posts
# sent over SMTP (swaks) to a Postfix smtpd with postward as its milter; the copies
# re-injected by postward's worker pool into the re-injection smtpd of
# contrib/postfix/master.cf.snippet and delivered by virtual(8) into Maildirs; each copy read
# from its subscriber's Maildir and opened by real gpg / openssl with that subscriber's key.
#
#  1 a signed PGP/MIME post to an OpenPGP list (Curve25519 and RSA subscribers): 250, the
#    message discarded by the milter (milter-discard); every subscriber's Maildir gets
#    exactly one copy that decrypts in that subscriber's own GnuPG home (their secret key
#    and the poster's public key only) to the posted plaintext byte for byte, carries
#    exactly one PKESK, has the poster's good signature, and no other subscriber can open
#    it; Return-Path is the list's bounce address, Delivered-To / X-Original-To that
#    subscriber only, no other subscriber address in the copy (the poster's only in From),
#    List-Id and List-Post; the list address's own mailbox never gets anything;
#  2 an inline OpenPGP post (text/plain, armored): fans out the same way, the clear text
#    around the block left out;
#  3 an S/MIME list (openssl certificates, RSA and EC P-256 subscribers): an enveloped and
#    signed post fans out; each copy has one RecipientInfo, decrypts with that subscriber's
#    key alone (not with the other's, not with the list's) to the encrypted content byte for
#    byte, and the poster's signature verifies;
#  4 refused in the SMTP session, the client sees the 5xx and nothing is delivered or
#    queued: a plain post, an unsigned post, a post signed by a stranger, a post encrypted
#    to another key (a subscriber's; a key whose secret half is in postward's GnuPG home
#    but is no list's), broken armor (550 5.7.1 / 550 5.6.0), an unsigned and a
#    stranger-signed S/MIME post;
#  5 a subscriber with an expired key gets a short notice from <> without the post, the
#    owner a report naming that subscriber and the post's Postfix queue ID; the later posts
#    (2, 6) bring that subscriber no second notice (once per key state), the owner a report
#    each;
#  6 a post to the list and an ordinary mailbox: the mailbox gets the post as sent (still
#    encrypted to the list key only), exactly once; the subscribers get their copies;
#  7 kill -9 of postward during a fan-out to 200 Curve25519 subscribers at a known point
#    (tests/lists/holdproxy.py hands 10 copies to Postfix, then holds; 200 distinct
#    keys): Postfix delivers what it was handed, keeps nothing of the post, and defers new
#    mail while the milter is down (451 4.7.1); after a restart the spool is resumed and
#    every subscriber has a copy that opens with their key; duplicates (copies in flight,
#    at most list_workers) are counted and printed.
#
# usage: [POSTWARD=/abs/path/postward] tests/lists/postfix.sh [--keep]
#   --keep: do not remove the temporary directory (processes are still stopped).
# Needs root, Postfix (postfix, postconf, postqueue), swaks, gpg, openssl, /usr/bin/python3.
# The private instance lives under one mktemp -d directory (own config, queue and data
# directories, maillog_file; smtpd and the re-injection smtpd on free 127.0.0.1 ports; no
# DNS); the system Postfix instance (/etc/postfix, /var/spool/postfix) is not touched.
# Prints PASS:/FAIL: lines and one final "N passed, M failed" line; on failure also the tails
# of the maillog and of postward's log.  Exit 0 all passed, 1 something failed, 77 skipped
# (a missing prerequisite is a FAIL when CI is set).

set -u
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
WORKERS=2
HOMES="pw poster s1 s2 s3 s4 mallory big"
PFNAME=pw-lists-postfix
. "$HERE/pfenv.sh"

# ------------------------------------------------------------------------------- keys
# The lists' keys in postward's home (pw); each subscriber in a home of their own; the
# poster (s1) makes the posts in "poster", and reads copies in "s1" (their key alone).
# 200 Curve25519 keys for the big list, one gpg run
for i in $(seq 200); do
	printf '%%no-protection\nKey-Type: eddsa\nKey-Curve: ed25519\nKey-Usage: sign\nSubkey-Type: ecdh\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\nName-Real: Big %s\nName-Email: big%s@big.test\nExpire-Date: 0\n%%commit\n' "$i" "$i"
done >"$T/big.params"
{
	mkkey pw "Board <board@lists.test>" &&
	mkkey pw "Spare <spare@lists.test>" &&   # a secret key in postward's home, no list's
	mkkey poster "One <s1@example.net>" &&
	mkkey s2 "Two <s2@example.net>" &&
	mkkey s3 "Three <s3@example.net>" rsa &&
	mkkey mallory "Mallory <mallory@evil.test>" &&
	# an expired key: made in 2020, valid for one day
	g s4 --faked-system-time 20200101T000000 --quick-gen-key "Four <s4@example.net>" ed25519 sign 1d &&
	g s4 --faked-system-time 20200101T000000 --quick-add-key "$(fpr_of s4 s4@example.net)" cv25519 encr 1d &&
	g big --gen-key "$T/big.params"
} >"$T/keys.log" 2>&1 || abort "gpg key generation: $(tail -3 "$T/keys.log")"
LIST=$(fpr_of pw board@lists.test)
LISTENC=$(encid_of pw board@lists.test)
S1=$(fpr_of poster s1@example.net)
S2=$(fpr_of s2 s2@example.net)
S3=$(fpr_of s3 s3@example.net)
S4=$(fpr_of s4 s4@example.net)
M=$(fpr_of mallory mallory@evil.test)
# big.map: N FINGERPRINT ENCRYPTION-SUBKEY-ID
g big --with-colons --list-keys 2>/dev/null | awk -F: '
	/^pub/ { st = 1; next }
	/^fpr/ && st == 1 { f = $10; st = 2; next }
	/^uid/ && match($10, /<big[0-9]+@big\.test>/) { n = substr($10, RSTART + 4, RLENGTH - 14) }
	/^sub/ && $12 ~ /e/ { print n, f, $5 }' | sort -n >"$T/big.map"
(
	for h in poster s2 s3 s4 mallory big; do g "$h" --export >"$T/$h.pub" || exit 1; done
	g pw --export "$LIST" >"$T/list.pub" &&
	g pw --export "$(fpr_of pw spare@lists.test)" >"$T/spare.pub" &&
	for h in poster s2 s3 s4 mallory big; do g pw --import "$T/$h.pub" || exit 1; done &&
	g poster --import "$T/list.pub" "$T/s2.pub" "$T/spare.pub" &&
	g mallory --import "$T/list.pub" &&
	# s1 reads with the poster's key alone
	g poster --export-secret-keys "$S1" | g s1 --import &&
	for h in s2 s3; do g "$h" --import "$T/poster.pub" || exit 1; done &&
	g big --import "$T/poster.pub"
) >>"$T/keys.log" 2>&1 || abort "gpg key exchange: $(tail -3 "$T/keys.log")"
if [ -n "$LIST" ] && [ -n "$LISTENC" ] && [ -n "$S1" ] && [ -n "$S2" ] && [ -n "$S3" ] && [ -n "$S4" ] &&
   [ -n "$M" ] && [ "$(wc -l <"$T/big.map")" -eq 200 ] && [ "$(awk '{ print $2 }' "$T/big.map" | sort -u | wc -l)" -eq 200 ]; then
	ok "gpg keys made (list $LIST, s3 RSA, s4 expired, 200 distinct Curve25519 keys for the big list)"
else
	abort "gpg keys made ($(wc -l <"$T/big.map") big keys)"
fi
g s3 --with-colons --list-keys "$S3" | grep -q '^sub:[^:]*:2048:1:' &&
	ok "s3's encryption subkey is RSA 2048" || bad "s3's encryption subkey is RSA 2048"

# S/MIME: the list's certificate and key, two subscribers (RSA, EC P-256), a stranger
mkcert() { # mkcert NAME EMAIL rsa|ec
	local alg=(-newkey rsa:2048)
	[ "$3" = ec ] && alg=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
	openssl req -x509 "${alg[@]}" -nodes -keyout "$T/smime/$1.key" -out "$T/smime/$1.crt" \
		-subj "/CN=$1" -days 2 -addext "subjectAltName=email:$2" 2>>"$T/openssl.log"
}
mkcert slist sec@lists.test rsa && mkcert s5 s5@example.net rsa && mkcert s6 s6@example.net ec &&
	mkcert eve eve@evil.test rsa || abort "openssl certificates: $(tail -3 "$T/openssl.log")"

# ------------------------------------------------------------------------------ lists
cat >"$T/lists/board.list" <<EOF
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
EOF
{
	printf 'list sec@lists.test\nfrom_rewrite never\nowner owner@example.org\nsmime_cert %s\nsmime_key %s\n' \
		"$T/smime/slist.crt" "$T/smime/slist.key"
	printf 'subscriber %s@example.net smime=%s\n' s5 "$T/smime/s5.crt" s6 "$T/smime/s6.crt"
} >"$T/lists/sec.list"
{
	echo "list big@lists.test"
	echo "from_rewrite never"
	echo "owner owner@example.org"
	echo "bounce big-bounces@lists.test"
	echo "openpgp_key $LIST"
	echo "posters listed"
	echo "poster s1@example.net"
	while read -r n f _; do echo "subscriber big$n@big.test openpgp=$f"; done <"$T/big.map"
} >"$T/lists/big.list"
# -------------------------------------------------------------------------- postward
pf_postward

# ------------------------------------------------------------------- postfix instance
# virtual mailboxes: every subscriber, the owner, an ordinary recipient, and the list
# and bounce addresses themselves (the milter-facing smtpd must accept the list address)
{
	for a in s1 s2 s3 s4 s5 s6; do echo "$a@example.net example.net/$a/"; done
	echo "owner@example.org example.org/owner/"
	echo "friend@example.com example.com/friend/"
	for a in board board-bounces sec big big-bounces; do echo "$a@lists.test lists.test/$a/"; done
	for i in $(seq 200); do echo "big$i@big.test big.test/big$i/"; done
} >"$CONF/vmailbox"
pf_postfix "example.net example.org example.com lists.test big.test"


# check_copy LABEL ADDR HOME PLAINTEXT LIST BOUNCE OTHERHOME "OTHER ADDRESSES"
# the one delivered copy for ADDR: envelope, header fields, decryption in ADDR's own home
check_copy() {
	local l=$1 a=$2 h=$3 plain=$4 list=$5 bounce=$6 oh=$7 others=$8 f n o hits
	n=$(count_of "$a")
	[ "$n" -eq 1 ] && ok "$l: $a got exactly one copy" || bad "$l: $a got $n copies (want 1)"
	f=$(files_of "$a" | head -1)
	[ -n "$f" ] || return
	check "$l: $a: Return-Path is the bounce address <$bounce> (got: $(hfield "$f" Return-Path))" \
		test "$(hfield "$f" Return-Path)" = "<$bounce>"
	check "$l: $a: Delivered-To and X-Original-To name $a alone (got: $(hfield "$f" Delivered-To | tr '\n' ' ')/ $(hfield "$f" X-Original-To | tr '\n' ' '))" \
		test "$(hfield "$f" Delivered-To)" = "$a" -a "$(hfield "$f" X-Original-To)" = "$a"
	hits=
	for o in $others; do
		[ "$o" = "$a" ] && continue
		# the poster's address is in the post's own From field, and only there
		grep -inF -- "$o" "$f" | grep -viq "^[0-9]*:From: .*<$o>" && hits="$hits $o"
	done
	check "$l: $a: no other subscriber's address in the copy (the poster's only in From)${hits:+ (found:$hits)}" \
		test -z "$hits"
	check "$l: $a: List-Id: $(hfield "$f" List-Id)" \
		test "$(hfield "$f" List-Id)" = "Board of the test association <${list%@*}.${list#*@}>"
	check "$l: $a: List-Post: <mailto:$list>" test "$(hfield "$f" List-Post)" = "<mailto:$list>"
	check "$l: $a: came in through the re-injection smtpd (postward-reinject, queue ID $(pfqid "$f"))" reinjected "$f"
	check "$l: $a: did not pass through postward again (no Authentication-Results)" \
		eval "! header '$f' | grep -qi '^Authentication-Results:'"
	armor "$f" >"$W/$l.$a.asc"
	check "$l: $a: exactly one PKESK" test "$(npkesk "$h" "$W/$l.$a.asc")" -eq 1
	if g "$h" --status-fd 3 --decrypt "$W/$l.$a.asc" >"$W/$l.$a.out" 3>"$W/$l.$a.status" 2>/dev/null &&
	   cmp -s "$W/$l.$a.out" "$plain"; then
		ok "$l: $a: decrypts with $a's key alone to the posted plaintext, byte for byte"
	else
		bad "$l: $a: decrypts with $a's key alone to the posted plaintext ($(grep -v KEY_CONSIDERED "$W/$l.$a.status" | tail -2 | tr '\n' ' '))"
	fi
	check "$l: $a: good signature of the poster ($S1)" grep -q "^\[GNUPG:\] VALIDSIG $S1 " "$W/$l.$a.status"
	check "$l: $a: $oh cannot decrypt it" eval "! g $oh --decrypt '$W/$l.$a.asc' >/dev/null 2>&1"
	check "$l: $a: no plaintext in the copy" eval "! grep -qF -- '$secret' '$f'"
}
logged_reject() { grep -F "milter-reject: END-OF-MESSAGE from " "$MAILLOG" | grep -qF "[127.0.0.1]: $1; from=<"; }
# check_refused NAME REPLY: refused in the session with REPLY, the maillog agrees
check_refused() {
	local got
	got=$(reply_of "$1")
	check "4 $1: refused in the SMTP session: $2 (got: $got)" test "$got" = "$2"
	check "4 $1: Postfix logged milter-reject: END-OF-MESSAGE ... ${2#* }" logged_reject "${2#* }"
}

# ------------------------------------------------------------------------------ posts
cd "$W" || abort "cd $W"
secret="the plan is $RANDOM$RANDOM"
printf 'Content-Type: text/plain; charset=us-ascii\n\n%s\nsecond line\n' "$secret" >inner.txt
printf '%s (inline)\nline two\n\n-- \nOne\n' "$secret" >inline.txt
pgpmime() { # pgpmime ARMORFILE TO SUBJECT > message
	printf 'From: One <s1@example.net>\nTo: %s\nSubject: %s\nMessage-ID: <%s.%s@example.net>\nMIME-Version: 1.0\n' "$2" "$3" "$RANDOM" "$RANDOM"
	printf 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\n boundary="=-=b1=-="\n\n'
	printf 'This is an OpenPGP/MIME encrypted message (RFC 3156).\n--=-=b1=-=\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n'
	printf -- '--=-=b1=-=\nContent-Type: application/octet-stream; name="encrypted.asc"\n\n'
	cat "$1"
	printf -- '--=-=b1=-=--\n'
}
leftout="clear text around the block $RANDOM"
{
	g poster --trust-model always --armor -s -e -r "$LIST" -u "$S1" -o signed.asc inner.txt &&
	g poster --trust-model always --armor -s -e -r "$LIST" -u "$S1" -o mixed.asc inner.txt &&
	g poster --trust-model always --armor -s -e -r "$LIST" -u "$S1" -o big.asc inner.txt &&
	g poster --trust-model always --armor -s -e -r "$LIST" -u "$S1" -o inline.asc inline.txt &&
	g poster --trust-model always --armor -e -r "$LIST" -o unsigned.asc inner.txt &&
	g mallory --trust-model always --armor -s -e -r "$LIST" -u "$M" -o stranger.asc inner.txt &&
	g poster --trust-model always --armor -s -e -r "$S2" -u "$S1" -o wrongkey.asc inner.txt &&
	g poster --trust-model always --armor -s -e -r spare@lists.test -u "$S1" -o spare.asc inner.txt
} >gpg-posts.log 2>&1 || abort "posts encrypted with gpg: $(tail -3 gpg-posts.log)"
pgpmime signed.asc board@lists.test "signed" >post.eml
pgpmime mixed.asc "board@lists.test, friend@example.com" "with a friend" >mixed.eml
pgpmime big.asc big@lists.test "to 200" >big.eml
pgpmime unsigned.asc board@lists.test "unsigned" >unsigned.eml
pgpmime stranger.asc board@lists.test "stranger" >stranger.eml
pgpmime wrongkey.asc board@lists.test "wrong key" >wrongkey.eml
pgpmime spare.asc board@lists.test "another key of postward's" >spare.eml
sed 's/^\(-----BEGIN PGP MESSAGE-----\)$/\1\n\nnot base64 at all!/' signed.asc >broken.asc
pgpmime broken.asc board@lists.test "broken" >broken.eml
printf 'From: One <s1@example.net>\nTo: board@lists.test\nSubject: plain\n\n%s\n' "$secret" >plain.eml
{
	printf 'From: One <s1@example.net>\nTo: board@lists.test\nSubject: inline\nMessage-ID: <%s.inline@example.net>\n' "$RANDOM"
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n%s\n\n' "$leftout"
	cat inline.asc
	printf '\n%s\n' "$leftout"
} >inline.eml
# S/MIME: signed by SIGNER (or not), enveloped for the list's certificate
openssl cms -sign -in inner.txt -signer "$T/smime/s5.crt" -inkey "$T/smime/s5.key" >smime-signed.mime 2>>"$T/openssl.log"
smime_post() { # smime_post SIGNER OUT
	{ case $1 in
	  s5) cat smime-signed.mime ;;
	  none) cat inner.txt ;;
	  *) openssl cms -sign -in inner.txt -signer "$T/smime/$1.crt" -inkey "$T/smime/$1.key" ;;
	  esac; } >"$2.content" &&
	openssl cms -encrypt -binary -aes256 -in "$2.content" "$T/smime/slist.crt" >"$2.mime" &&
	{ printf 'From: Five <s5@example.net>\nTo: sec@lists.test\nSubject: smime %s\n' "$1"; cat "$2.mime"; } >"$2"
}
smime_post s5 smime.eml 2>>"$T/openssl.log" && smime_post eve smime-eve.eml 2>>"$T/openssl.log" &&
	smime_post none smime-unsigned.eml 2>>"$T/openssl.log" || abort "S/MIME posts made with openssl cms"

# ---- 4: refused in the session, nothing delivered ------------------------------------------
post plain s1@example.net board@lists.test plain.eml
check_refused plain "550 5.7.1 Posts to this list must be encrypted to the list's key"
post unsigned s1@example.net board@lists.test unsigned.eml
check_refused unsigned "550 5.7.1 Posts to this list must be signed by an allowed poster"
post stranger mallory@evil.test board@lists.test stranger.eml
check_refused stranger "550 5.7.1 Posts to this list must be signed by an allowed poster"
post wrongkey s1@example.net board@lists.test wrongkey.eml
check_refused wrongkey "550 5.7.1 The post is not encrypted to this list's key"
# opened by a secret key in postward's GnuPG home, but not the list's
post spare s1@example.net board@lists.test spare.eml
check_refused spare "550 5.7.1 The post is not encrypted to this list's key"
post broken s1@example.net board@lists.test broken.eml
check_refused broken "550 5.6.0 Malformed OpenPGP data in the post"
post smime-unsigned s5@example.net sec@lists.test smime-unsigned.eml
check_refused smime-unsigned "550 5.7.1 Posts to this list must be signed by an allowed poster"
post smime-eve eve@evil.test sec@lists.test smime-eve.eml
check_refused smime-eve "550 5.7.1 Posts to this list must be signed by an allowed poster"
check "4: no refused post reached the spool or Postfix's queue" eval 'spool_idle && queue_empty'
check "4: nothing delivered to any Maildir (got $(nfiles))" test "$(nfiles)" -eq 0
check "4: the maillog has 8 milter-reject lines and no delivery" \
	eval '[ "$(grep -c "milter-reject: END-OF-MESSAGE" "$MAILLOG")" -eq 8 ] && ! grep -q "status=sent" "$MAILLOG"'

# ---- 1 and 5: a signed PGP/MIME post to the list only ---------------------------------------
BOARD="s1@example.net s2@example.net s3@example.net s4@example.net"
post pgpmime s1@example.net board@lists.test post.eml
qid=$(qid_of pgpmime)
check "1: the PGP/MIME post is accepted: $(reply_of pgpmime)" accepted pgpmime
check "1: Postfix logged milter-discard for $qid (list recipient only)" \
	grep -q "postfix/cleanup\[[0-9]*\]: $qid: milter-discard: END-OF-MESSAGE" "$MAILLOG"
wait_mail 5 "1"   # s1, s2, s3, the notice to s4, the owner's report
check_copy "1 pgpmime" s1@example.net s1 inner.txt board@lists.test board-bounces@lists.test s2 "$BOARD"
check_copy "1 pgpmime" s2@example.net s2 inner.txt board@lists.test board-bounces@lists.test s3 "$BOARD"
check_copy "1 pgpmime (RSA)" s3@example.net s3 inner.txt board@lists.test board-bounces@lists.test s2 "$BOARD"
f=$(files_of s2@example.net | head -1)
check "1: the copy is PGP/MIME (multipart/encrypted)" \
	eval "header '$f' | grep -qi '^Content-Type: multipart/encrypted;'"
check "1: the list address's own mailbox got nothing" test "$(count_of board@lists.test)" -eq 0
# 5: the expired key
n4=$(count_of s4@example.net)
f4=$(files_of s4@example.net | head -1)
check "5: s4 (expired key) got exactly one message (got $n4)" test "$n4" -eq 1
if [ -n "$f4" ] && [ "$(hfield "$f4" Return-Path)" = "<>" ] &&
   [ "$(hfield "$f4" Delivered-To)" = s4@example.net ] &&
   grep -q "could not be encrypted for you" "$f4" &&
   ! grep -q "BEGIN PGP" "$f4" && ! grep -qF -- "$secret" "$f4" && [ "$(wc -c <"$f4")" -lt 4000 ]; then
	ok "5: s4's message is a short notice from <> without the post ($(wc -c <"$f4") bytes, Subject: $(hfield "$f4" Subject))"
else
	bad "5: s4's message is a short notice from <> without the post"
	[ -n "$f4" ] && sed 's/^/| /' "$f4" | head -30
fi
fo=$(files_of owner@example.org | head -1)
check "5: the owner got exactly one report" test "$(count_of owner@example.org)" -eq 1
if [ -n "$fo" ] && [ "$(hfield "$fo" Return-Path)" = "<>" ] && grep -q "<s4@example.net>" "$fo" &&
   grep -qi "expired" "$fo" && grep -qF "queue id $qid" "$fo" && ! grep -q "BEGIN PGP" "$fo"; then
	ok "5: the owner's report (from <>) names s4, the expired key and the post's queue ID $qid"
else
	bad "5: the owner's report names s4, the expired key and queue ID $qid"
	[ -n "$fo" ] && sed 's/^/| /' "$fo" | head -30
fi
grep -q "$qid: list board@lists.test: post from <s1@example.net> accepted as" "$T"/pw.*.log &&
	ok "1: postward logged the post as accepted under Postfix's queue ID" || bad "1: postward's accepted line for $qid"
archive 1

# ---- 2: an inline OpenPGP post -------------------------------------------------------------
post inline s1@example.net board@lists.test inline.eml
check "2: the inline OpenPGP post is accepted: $(reply_of inline)" accepted inline
wait_mail 4 "2"   # s1, s2, s3, the owner's report (s4 was told in 1)
for a in s1 s2 s3; do
	f=$(files_of $a@example.net | head -1)
	n=$(count_of $a@example.net)
	[ "$n" -eq 1 ] && ok "2: $a got exactly one copy" || bad "2: $a got $n copies"
	[ -n "$f" ] || continue
	oh=s2; [ $a = s2 ] && oh=s3
	armor "$f" >"inline.$a.asc"
	check "2: $a: the copy is text/plain with one armored block" \
		eval "header '$f' | grep -qi '^Content-Type: text/plain' && [ \$(grep -c '^-----BEGIN PGP MESSAGE-----' '$f') -eq 1 ]"
	check "2: $a: exactly one PKESK" test "$(npkesk $a "inline.$a.asc")" -eq 1
	if g $a --status-fd 3 --decrypt "inline.$a.asc" >"inline.$a.out" 3>"inline.$a.status" 2>/dev/null &&
	   cmp -s "inline.$a.out" inline.txt; then
		ok "2: $a: decrypts with $a's key alone to the posted plaintext, byte for byte"
	else
		bad "2: $a: decrypts to the posted plaintext ($(tail -2 "inline.$a.status" | tr '\n' ' '))"
	fi
	check "2: $a: good signature of the poster" grep -q "^\[GNUPG:\] VALIDSIG $S1 " "inline.$a.status"
	check "2: $a: $oh cannot decrypt it" eval "! g $oh --decrypt inline.$a.asc >/dev/null 2>&1"
	check "2: $a: the clear text around the block is left out" eval "! grep -qF -- '$leftout' '$f'"
	check "2: $a: Return-Path <board-bounces@lists.test>, Delivered-To $a@example.net" \
		test "$(hfield "$f" Return-Path) $(hfield "$f" Delivered-To)" = "<board-bounces@lists.test> $a@example.net"
done
check "2: s4 got no second notice (once per key state), the owner a report" \
	test "$(count_of s4@example.net) $(count_of owner@example.org)" = "0 1"
archive 2

# ---- 3: the S/MIME list ---------------------------------------------------------------------
post smime s5@example.net sec@lists.test smime.eml
check "3: the signed S/MIME post is accepted: $(reply_of smime)" accepted smime
check "3: Postfix logged milter-discard for it" \
	grep -q "$(qid_of smime): milter-discard: END-OF-MESSAGE" "$MAILLOG"
wait_mail 2 "3"
for a in s5 s6; do
	o=s6; [ $a = s6 ] && o=s5
	n=$(count_of $a@example.net)
	[ "$n" -eq 1 ] && ok "3: $a got exactly one copy" || bad "3: $a got $n copies"
	f=$(files_of $a@example.net | head -1)
	[ -n "$f" ] || continue
	check "3: $a: Return-Path <sec-bounces+$a=example.net@lists.test> (the list's bounces address tagged for $a: no bounce statement), Delivered-To $a@example.net" \
		test "$(hfield "$f" Return-Path) $(hfield "$f" Delivered-To)" = "<sec-bounces+$a=example.net@lists.test> $a@example.net"
	check "3: $a: application/pkcs7-mime copy, List-Post <mailto:sec@lists.test>" \
		eval "header '$f' | grep -qi '^Content-Type: application/pkcs7-mime' && [ \"\$(hfield '$f' List-Post)\" = '<mailto:sec@lists.test>' ]"
	ris=$(openssl cms -cmsout -print -in "$f" 2>/dev/null | grep -Ec '^ +d\.(ktri|kari|kekri|pwri|ori):')
	check "3: $a: exactly one RecipientInfo (openssl cms -cmsout -print: $ris)" test "$ris" -eq 1
	if openssl cms -decrypt -binary -in "$f" -recip "$T/smime/$a.crt" -inkey "$T/smime/$a.key" \
		-out "smime.$a.dec" 2>/dev/null && cmp -s "smime.$a.dec" smime.eml.content; then
		ok "3: $a: decrypts with $a's key alone to the encrypted content, byte for byte"
	else
		bad "3: $a: decrypts with $a's key alone to the encrypted content"
	fi
	if openssl cms -verify -noverify -in "smime.$a.dec" -out "smime.$a.ver" 2>/dev/null &&
	   [ "$(tr -d '\r' <"smime.$a.ver")" = "$(cat inner.txt)" ]; then
		ok "3: $a: the poster's signature verifies over the posted content"
	else
		bad "3: $a: the poster's signature verifies over the posted content"
	fi
	check "3: $a: $o's key does not open it" eval "! openssl cms -decrypt -in '$f' -recip '$T/smime/$o.crt' -inkey '$T/smime/$o.key' -out /dev/null 2>/dev/null"
	check "3: $a: the list's own key does not open it" eval "! openssl cms -decrypt -in '$f' -recip '$T/smime/slist.crt' -inkey '$T/smime/slist.key' -out /dev/null 2>/dev/null"
done
check "3: nothing else delivered (the list address, the owner)" \
	test "$(count_of sec@lists.test) $(count_of owner@example.org) $(nfiles)" = "0 0 2"
archive 3

# ---- 6: the list plus an ordinary recipient --------------------------------------------------
post mixed s1@example.net board@lists.test,friend@example.com mixed.eml
qid=$(qid_of mixed)
check "6: the post to the list and friend@example.com is accepted: $(reply_of mixed)" accepted mixed
wait_mail 5 "6"   # friend, s1, s2, s3, the owner's report (s4 was told in 1)
ff=$(files_of friend@example.com | head -1)
check "6: friend@example.com got the post exactly once (got $(count_of friend@example.com))" \
	test "$(count_of friend@example.com)" -eq 1
if [ -n "$ff" ]; then
	check "6: friend's copy: Delivered-To / X-Original-To friend@example.com, Return-Path <s1@example.net>" \
		test "$(hfield "$ff" Delivered-To) $(hfield "$ff" X-Original-To) $(hfield "$ff" Return-Path)" = \
		"friend@example.com friend@example.com <s1@example.net>"
	missing=$(header mixed.eml | grep . | while IFS= read -r l; do header "$ff" | grep -qxF -- "$l" || echo "$l"; done)
	check "6: friend's copy has the posted header fields unchanged${missing:+ (missing: $missing)}" test -z "$missing"
	check "6: friend's copy has the posted body byte for byte" eval "[ \"\$(body '$ff' | md5sum)\" = \"\$(body mixed.eml | md5sum)\" ]"
	armor "$ff" >friend.asc
	check "6: friend's copy is still encrypted to the list key only (one PKESK, $LISTENC)" \
		eval "[ \$(npkesk pw friend.asc) -eq 1 ] && g pw --list-packets friend.asc 2>/dev/null | grep -q '^:pubkey enc packet: .* keyid $LISTENC\$'"
	check "6: no plaintext in friend's copy" eval "! grep -qF -- '$secret' '$ff'"
fi
check "6: Postfix did not discard the message (no milter-discard for $qid)" \
	eval "! grep -q '$qid: milter-discard' '$MAILLOG'"
check "6: the list recipient was removed: the list address's mailbox got nothing, one delivery for $qid" \
	eval "[ \$(count_of board@lists.test) -eq 0 ] && [ \$(grep -c '$qid: to=<.*status=sent' '$MAILLOG') -eq 1 ] && grep -q '$qid: to=<friend@example.com>.*status=sent' '$MAILLOG'"
for a in s1 s2 s3; do
	f=$(files_of $a@example.net | head -1)
	n=$(count_of $a@example.net)
	armor "$f" >"mixed.$a.asc" 2>/dev/null
	if [ "$n" -eq 1 ] && [ "$(npkesk $a "mixed.$a.asc")" -eq 1 ] &&
	   g $a --decrypt "mixed.$a.asc" 2>/dev/null | cmp -s - inner.txt &&
	   [ "$(hfield "$f" Return-Path) $(hfield "$f" Delivered-To)" = "<board-bounces@lists.test> $a@example.net" ]; then
		ok "6: $a got one copy of their own (one PKESK, decrypts to the post, from the bounce address, to $a alone)"
	else
		bad "6: $a got one copy of their own (got $n)"
	fi
done
check "6: s4 got no further notice, the owner a report" \
	test "$(count_of s4@example.net) $(count_of owner@example.org)" = "0 1"
archive 6

# ---- 7: kill -9 during a fan-out to 200 subscribers, then a restart ------------------------
# postward re-injects through tests/lists/holdproxy.py, which hands HOLD copies to the
# re-injection smtpd and then holds back the end of every further one (no reply reaches
# postward) and says so in a file: postward is killed -9 once that file appears, so exactly
# HOLD copies were handed to Postfix, on a machine of any speed.
HOLD=10
stop_postward
"$PY" "$HERE/holdproxy.py" "$T/proxy.ready" "$P_REINJECT" "$HOLD" "$T/holding" "$T/release" \
	>"$T/proxy.log" 2>&1 &
PROXYPID=$!
proxy_ready() { [ -s "$T/proxy.ready" ] || ! kill -0 "$PROXYPID" 2>/dev/null; }
wait_until 30 proxy_ready
P_PROXY=$(cat "$T/proxy.ready" 2>/dev/null)
[ -n "$P_PROXY" ] || abort "7: the holding proxy started ($(tail -3 "$T/proxy.log"))"
sed -i "s/^list_reinject = .*/list_reinject = 127.0.0.1:$P_PROXY/" "$PWCONF"
start_postward
post big s1@example.net big@lists.test big.eml
bigqid=$(qid_of big)
check "7: the post to the 200-subscriber list is accepted: $(reply_of big)" accepted big
oks() { cat "$SPOOL"/*.done 2>/dev/null | grep -c '^ok '; }
holding() { [ -s "$T/holding" ]; }
wait_until 300 holding
check "7: the proxy holds after $HOLD copies handed to Postfix" holding
# shellcheck disable=SC2046 # one argument per process id
kill -9 $(pw_pids) 2>/dev/null
wait "$PWPID" 2>/dev/null
PWPID=
pw_gone() { [ -z "$(pw_pids)" ]; }
wait_until 10 pw_gone || bad "7: postward's processes gone after kill -9"
done_ok=$(oks)
# every copy marked done was handed over; a copy handed over may miss its mark (the kill
# came between the reply and the mark: at most one per worker)
if [ "$done_ok" -le "$HOLD" ] && [ "$done_ok" -ge $((HOLD - WORKERS)) ]; then
	ok "7: postward killed with -9 mid fan-out ($done_ok of 200 copies marked done, $HOLD handed to Postfix)"
else
	bad "7: postward killed with -9 mid fan-out ($done_ok of 200 copies marked done, want $((HOLD - WORKERS)) to $HOLD)"
fi
check "7: the post is still in postward's spool" eval '! spool_idle'
# Postfix: the accepted post was discarded at once (nothing of it queued), the copies it was
# handed are delivered without postward
check "7: Postfix logged milter-discard for $bigqid" grep -q "$bigqid: milter-discard: END-OF-MESSAGE" "$MAILLOG"
wait_until 60 queue_empty
check "7: Postfix's queue drains with postward dead" queue_empty
check "7: nothing of the post ($bigqid) left in Postfix's queue directory" \
	test -z "$(find "$Q"/incoming "$Q"/active "$Q"/deferred "$Q"/hold "$Q"/maildrop -type f -name "$bigqid" 2>/dev/null)"
delivered=$(find "$VM/big.test" -path '*/new/*' -type f 2>/dev/null | wc -l)
check "7: exactly the $HOLD copies Postfix took before the kill are delivered ($delivered)" test "$delivered" -eq "$HOLD"
# while postward is down, milter_default_action = tempfail: new mail is deferred, not let through
post down s1@example.net board@lists.test plain.eml
case $(reply_of down) in
4[0-9][0-9]\ 4.*) ok "7: with postward down, a new post is deferred by Postfix: $(reply_of down)" ;;
*) bad "7: with postward down, a new post is deferred by Postfix (got: $(reply_of down))" ;;
esac
check "7: ...and nothing reaches the list address's mailbox" test "$(count_of board@lists.test)" -eq 0
: >"$T/release"	# the proxy passes everything on from now on
start_postward
all_have() { [ "$(find "$VM/big.test" -path '*/new/*' -type f 2>/dev/null | sed 's|/new/.*||' | sort -u | wc -l)" -eq 200 ]; }
big_done() { spool_idle && queue_empty && all_have; }
if wait_until 120 big_done; then
	ok "7: after the restart the spool and Postfix's queue empty, every one of the 200 has the post"
else
	bad "7: after the restart every one of the 200 has the post within 120 s (spool: $(ls "$SPOOL" | tr '\n' ' '))"
fi
grep -q "list spool $SPOOL: resuming 1 post(s)" "$T/pw.$starts.log" &&
	ok "7: postward logged resuming 1 post" || bad "7: postward logged resuming 1 post"
missing=0; dups=0; badcopies=0
while read -r n _ enc; do
	c=0
	for f in $(files_of "big$n@big.test"); do
		c=$((c + 1))
		armor "$f" >big.asc.tmp
		if ! g big --status-fd 3 --decrypt big.asc.tmp 3>big.status 2>/dev/null | cmp -s - inner.txt ||
		   [ "$(grep -c '^\[GNUPG:\] ENC_TO ' big.status)" -ne 1 ] ||
		   ! grep -q "^\[GNUPG:\] ENC_TO $enc " big.status ||
		   [ "$(hfield "$f" Delivered-To) $(hfield "$f" Return-Path)" != "big$n@big.test <big-bounces@lists.test>" ] ||
		   [ "$(grep -o 'big[0-9]*@big\.test' "$f" | sort -u)" != "big$n@big.test" ]; then
			badcopies=$((badcopies + 1))
			[ "$badcopies" -le 3 ] && echo "| big$n: $f: $(grep -v KEY_CONSIDERED big.status | tr '\n' ' ')"
		fi
	done
	[ "$c" -eq 0 ] && missing=$((missing + 1))
	[ "$c" -gt 1 ] && dups=$((dups + c - 1))
done <"$T/big.map"
check "7: no subscriber without the post ($missing missing)" test "$missing" -eq 0
check "7: every copy is for its subscriber alone: one PKESK, that subscriber's subkey, decrypts to the post, from <big-bounces@lists.test>, no other subscriber named ($badcopies bad)" \
	test "$badcopies" -eq 0
echo "duplicates after kill -9: $dups"
check "7: duplicates only for copies in flight ($dups, at most list_workers = $WORKERS)" test "$dups" -le "$WORKERS"
check "7: no post to the big list reached the owner (no report)" test "$(count_of owner@example.org)" -eq 0

# ---- the end ---------------------------------------------------------------------------------
check "nothing was ever delivered in lists.test (the list addresses, the bounce addresses: no bounces)" \
	test -z "$(find "$VM/lists.test" "$SEEN"/*/lists.test -type f 2>/dev/null)"
stop_postward
check "postward stopped cleanly with SIGTERM (exit status $PWSTATUS; sanitizers quiet)" test "$PWSTATUS" = 0
check "no sanitizer report in postward's logs" eval "! grep -q 'Sanitizer\|runtime error' '$T'/pw.*.log"
exit 0
