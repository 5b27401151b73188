#!/bin/bash
# tests/lists/service.sh - an encrypted list's other addresses end to end, through the private
# Postfix of tests/lists/pfenv.sh with postward as its milter:
#
#  1 LIST-sendkey: a request from s3 gets one answer from <> with Auto-Submitted:
#    auto-replied and In-Reply-To naming the request; it is multipart/signed, the list key's
#    signature verifies with real gpg in s3's home, and the attached key is the list's (its
#    fingerprint); an auto-submitted request, a request from a list's own address and one
#    with Precedence: bulk get no answer (postward logs why, RFC 3834); a request from the
#    null sender is refused in the session (550 5.7.1);
#  2 LIST-owner: a plain message goes to the owners who have keys (the admin s2 and the owner
#    address when it is a subscriber: s1 on this list) encrypted, each copy opens with that
#    owner's key alone and holds the text, comes from the list's bounces address tagged
#    for that owner (VERP: board-bounces+s2=example.net@lists.test), no copy holds the plain text, and postward logs
#    that it encrypted the message before spooling it; on a list whose owner has no key the
#    message goes to the owner address as it came;
#  3 LIST-request: a plain command is refused in the session (550 5.7.1), so is a command
#    signed by a stranger's key; a plain "unsubscribe" (the copies' List-Unsubscribe link) is
#    answered with how commands work and runs nothing;
#  5 plain posts (plain_posts subscribers): a subscriber's plain post reaches the subscribers
#    encrypted; a stranger's is refused, and a list without the setting refuses it too; the
#    copy (from_rewrite always, subject_prefix) has From: s3 via club <club@lists.test>,
#    the poster in Reply-To and X-Original-From, the prefixed Subject, List-Help,
#    List-Unsubscribe, List-Owner and Autocrypt, and two DKIM signatures of the list domain
#    (dkim_signing_key, ed25519 and rsa) that dkimpy and OpenDKIM (its milter through
#    miltertest) verify and that fail once the Subject is changed;
#  6 signed commands: an admin adds a key (X-ADD-KEY) and subscribes its holder (X-SUBSCRIBE)
#    - the answer decrypts with the admin's key, is signed by the list's, says what was done;
#    the managed file NAME.subscribers has the new subscriber, the list file is unchanged,
#    postward reloads, and the next post reaches the new subscriber; the same signed
#    message again is not run (the answer and the log say it was seen before); a subscriber
#    who is no admin cannot subscribe others; the new subscriber changes their key
#    (X-SET-FINGERPRINT), signing with the new key; unsubscribing oneself is refused (admins
#    only, Schleuder's default), and an admin unsubscribes them;
#  7 the roster (roster publish): the sendkey answer carries the roster and the list key's
#    signature over it (gpg verifies it; the same file is published at roster_file) with the
#    list key and every subscriber key; a post gpg encrypted to all of them is accepted and
#    delivered without decryption (postward's log says so), each copy carrying only its
#    subscriber's PKESK, opening for them with the poster's good signature and not for
#    another; a post missing one subscriber is refused with the count, one to an outsider
#    too, and one missing subscribers but encrypted to the list key is re-wrapped;
#  8 bounces (bounce_threshold 1): a DSN for s3's copy to its VERP address disables s3; the
#    owner is told who and why, nothing answers the bounce, and the next post reaches every
#    subscriber but s3;
#  4 one list address per message: RCPT to the list and then its -owner address gets 452
#    4.5.3 for the second.
#
# usage: [POSTWARD=/abs/path/postward] tests/lists/service.sh [--keep]
# Needs root, Postfix, swaks, gpg, /usr/bin/python3 (see pfenv.sh).  Prints PASS:/FAIL: lines
# and one final "N passed, M failed" line.  Exit 0 all passed, 1 something failed, 77 skipped.

set -u
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
WORKERS=2
HOMES="pw s1 s2 s3 mallory d4"
PFNAME=pw-lists-service
. "$HERE/pfenv.sh"

# ------------------------------------------------------------------------------- keys
{
	mkkey pw "Board <board@lists.test>" &&
	mkkey s1 "One <s1@example.net>" &&
	mkkey s2 "Two <s2@example.net>" &&
	mkkey s3 "Three <s3@example.net>" &&
	mkkey mallory "Mallory <mallory@evil.test>" &&
	mkkey d4 "Four <d4@example.net>" &&
	g d4 --quick-gen-key "Four New <d4@example.net>" ed25519 sign 0 >/dev/null 2>&1
} >"$T/keys.log" 2>&1 || abort "gpg key generation: $(tail -3 "$T/keys.log")"
LIST=$(fpr_of pw board@lists.test)
S1=$(fpr_of s1 s1@example.net)
S2=$(fpr_of s2 s2@example.net)
S3=$(fpr_of s3 s3@example.net)
M=$(fpr_of mallory mallory@evil.test)
D4=$(fpr_of d4 "Four <d4@example.net>")
(
	g pw --export "$LIST" >"$T/list.pub" &&
	for h in s1 s2 s3 mallory d4; do
		g "$h" --export >"$T/$h.pub" && g "$h" --import "$T/list.pub" || exit 1
		[ "$h" = d4 ] || g pw --import "$T/$h.pub" || exit 1
	done
) >>"$T/keys.log" 2>&1 || abort "gpg key exchange: $(tail -3 "$T/keys.log")"
ok "gpg keys made (list $LIST)"

# ------------------------------------------------------------------------------ lists
cat >"$T/lists/board.list" <<EOF
list board@lists.test
owner s1@example.net
openpgp_key $LIST
list_id Board of the test association
bounce_threshold 1
subscriber s1@example.net openpgp=$S1
subscriber s2@example.net openpgp=$S2 admin
subscriber s3@example.net openpgp=$S3
EOF
cat >"$T/lists/club.list" <<EOF
list club@lists.test
owner owner@example.org
openpgp_key $LIST
plain_posts subscribers
from_rewrite always
subject_prefix [club]
subscriber s3@example.net openpgp=$S3
EOF
# DKIM keys of the list domain: the copies, notices and answers are signed with both
mkdir -m 700 "$T/dkim"
openssl genpkey -algorithm ed25519 -out "$T/dkim/ed.pem" 2>/dev/null &&
	openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -out "$T/dkim/rsa.pem" 2>/dev/null &&
	chmod 600 "$T/dkim/ed.pem" "$T/dkim/rsa.pem" || abort "openssl DKIM keys"
"$TOP/tests/dkim/pw-dkimsign" -R -k "$T/dkim/ed.pem" -d lists.test -s ed -k "$T/dkim/rsa.pem" -d lists.test -s rsa \
	>"$T/dkim/records" || abort "pw-dkimsign -R (build it: make check)"
cat >"$T/lists/ros.list" <<EOF
list ros@lists.test
owner s1@example.net
openpgp_key $LIST
from_rewrite never
roster publish
roster_file $T/pub/ros.roster.asc
subscriber s1@example.net openpgp=$S1
subscriber s2@example.net openpgp=$S2
subscriber s3@example.net openpgp=$S3
EOF
mkdir -p "$T/pub"
pf_postward "dkim_signing_key = lists.test ed $T/dkim/ed.pem, lists.test rsa $T/dkim/rsa.pem"
{
	for a in s1 s2 s3 d4; do echo "$a@example.net example.net/$a/"; done
	echo "owner@example.org example.org/owner/"
	echo "mallory@evil.test evil.test/mallory/"
	for l in board club ros; do
		for r in "" -request -owner -sendkey -bounces; do echo "$l$r@lists.test lists.test/$l$r/"; done
	done
} >"$CONF/vmailbox"
pf_postfix "example.net example.org evil.test lists.test"
cd "$W" || abort "cd $W"

msg() { # msg FROM TO SUBJECT [EXTRA-HEADER] > message
	printf 'From: <%s>\nTo: <%s>\nSubject: %s\nMessage-ID: <%s.%s@example.net>\nDate: %s\n' \
		"$1" "$2" "$3" "$RANDOM" "$RANDOM" "$(date -R)"
	[ -n "${4:-}" ] && printf '%s\n' "$4"
	printf '\nHello list robot.\n'
}

# ---- 1: sendkey ------------------------------------------------------------------------------
msg s3@example.net board-sendkey@lists.test "key please" >sendkey.eml
post sendkey s3@example.net board-sendkey@lists.test sendkey.eml
check "1: the sendkey request is accepted: $(reply_of sendkey)" accepted sendkey
wait_mail 1 "1 sendkey"
f=$(files_of s3@example.net | head -1)
if [ -n "$f" ]; then
	check "1: the answer comes from <> (Return-Path: $(hfield "$f" Return-Path))" test "$(hfield "$f" Return-Path)" = "<>"
	check "1: Auto-Submitted: auto-replied" test "$(hfield "$f" Auto-Submitted)" = "auto-replied"
	check "1: In-Reply-To names the request" test "$(hfield "$f" In-Reply-To)" = "$(hfield sendkey.eml Message-ID)"
	check "1: From is the sendkey address" eval "hfield '$f' From | grep -q 'board-sendkey@lists.test'"
	check "1: the answer is multipart/signed" eval "header '$f' | tr -d '\n' | grep -qi 'Content-Type: multipart/signed;.*application/pgp-signature'"
	# the signed part and the signature, as RFC 3156 says: the first part in CRLF form
	"$PY" - "$f" "$W/sk.signed" "$W/sk.sig" "$W/sk.key" <<-'PYEOF'
	import email, sys
	from email import policy
	m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.compat32)
	raw = open(sys.argv[1], 'rb').read().replace(b'\r\n', b'\n')
	b = m.get_param('boundary').encode()
	body = raw.split(b'\n\n', 1)[1]
	parts = body.split(b'\n--' + b + b'\n')
	signed = parts[1]
	open(sys.argv[2], 'wb').write(signed.replace(b'\n', b'\r\n'))
	sig = m.get_payload()[1].get_payload(decode=True)
	open(sys.argv[3], 'wb').write(sig)
	for p in m.walk():
	    if p.get_content_type() == 'application/pgp-keys':
	        open(sys.argv[4], 'wb').write(p.get_payload(decode=True))
	PYEOF
	check "1: the list key's signature over the answer verifies (gpg in s3's home)" \
		eval "g s3 --status-fd 1 --verify '$W/sk.sig' '$W/sk.signed' 2>/dev/null | grep -q '^\[GNUPG:\] VALIDSIG $LIST '"
	g s3 --with-colons --import-options show-only --import "$W/sk.key" >sk.show 2>/dev/null
	check "1: the attached key is the list's ($LIST)" eval "grep -q '^fpr:::::::::$LIST:' sk.show"
else
	bad "1: s3 got the answer"
fi
archive 1
msg s3@example.net board-sendkey@lists.test "auto" "Auto-Submitted: auto-replied" >auto.eml
post auto s3@example.net board-sendkey@lists.test auto.eml
msg s3@example.net board-sendkey@lists.test "bulk" "Precedence: bulk" >bulk.eml
post bulk s3@example.net board-sendkey@lists.test bulk.eml
msg club-request@lists.test board-sendkey@lists.test "from a list" >fromlist.eml
post fromlist club-request@lists.test board-sendkey@lists.test fromlist.eml
check "1: the three requests are accepted" eval 'accepted auto && accepted bulk && accepted fromlist'
unanswered() { [ "$(pwlog | grep -c 'sendkey request not answered')" -ge 3 ]; }
wait_until 60 unanswered
check "1: postward logged why it did not answer each (RFC 3834)" eval \
	'pwlog | grep -q "not answered: Auto-Submitted: auto-replied" &&
	 pwlog | grep -q "not answered: Precedence: bulk" &&
	 pwlog | grep -q "not answered: from a list address (request)"'
wait_mail 0 "1 no answers"
check "1: nobody got an answer to them" test "$(nfiles)" -eq 0
post nullsender "<>" board-sendkey@lists.test sendkey.eml
check "1: a request from <> is refused (got: $(reply_of nullsender))" \
	test "$(reply_of nullsender)" = "550 5.7.1 This address answers messages with a return address only"

# ---- 2: owner --------------------------------------------------------------------------------
secret="owner note $RANDOM$RANDOM"
printf 'From: <mallory@evil.test>\nTo: <board-owner@lists.test>\nSubject: hello owners\nMessage-ID: <o%s@evil.test>\n\n%s\n' \
	"$RANDOM" "$secret" >owner.eml
post owner mallory@evil.test board-owner@lists.test owner.eml
check "2: plain mail to the owners is accepted: $(reply_of owner)" accepted owner
wait_mail 2 "2 owner"
check "2: the owner message was spooled encrypted (logged)" eval 'pwlog | grep -q "plain message to the owners encrypted to the list.s key"'
for a in s1 s2; do
	f=$(files_of $a@example.net | head -1)
	if [ -z "$f" ]; then bad "2: $a got the owner message"; continue; fi
	armor "$f" >"owner.$a.asc"
	check "2: $a's copy comes from the list's bounces address tagged for $a (VERP; got $(hfield "$f" Return-Path))" \
		test "$(hfield "$f" Return-Path)" = "<board-bounces+$a=example.net@lists.test>"
	check "2: $a's copy holds no plain text" eval "! grep -qF -- '$secret' '$f'"
	check "2: $a's copy has exactly one PKESK" test "$(npkesk $a "owner.$a.asc")" -eq 1
	check "2: $a's copy opens with $a's key to the text" \
		eval "g $a --decrypt 'owner.$a.asc' 2>/dev/null | grep -qF -- '$secret'"
done
check "2: s3 (no admin) got nothing" test "$(count_of s3@example.net)" -eq 0
check "2: s3 cannot open s2's copy" eval "! g s3 --decrypt owner.s2.asc >/dev/null 2>&1"
archive 2
printf 'From: <mallory@evil.test>\nTo: <club-owner@lists.test>\nSubject: club\n\n%s\n' "$secret" >club.eml
post club mallory@evil.test club-owner@lists.test club.eml
wait_mail 1 "2 club owner"
f=$(files_of owner@example.org | head -1)
check "2: on a list whose owner has no key, the message reaches the owner as it came" \
	eval "[ -n '$f' ] && grep -qF -- '$secret' '$f'"
archive 2b

# ---- 3: request ------------------------------------------------------------------------------
msg s3@example.net board-request@lists.test "plain command" >plaincmd.eml
post plaincmd s3@example.net board-request@lists.test plaincmd.eml
check "3: a plain command is refused (got: $(reply_of plaincmd))" \
	test "$(reply_of plaincmd)" = "550 5.7.1 Commands must be encrypted to the list's key and signed by a subscriber's key"
msg s3@example.net board-request@lists.test "unsubscribe" >unsublink.eml
post unsublink s3@example.net board-request@lists.test unsublink.eml
check "3: a plain message with the Subject of the copies' List-Unsubscribe link is accepted: $(reply_of unsublink)" accepted unsublink
wait_mail 1 "3 help answer"
f=$(files_of s3@example.net | head -1)
check "3: it is answered with how commands work, from <>, auto-replied, and nothing is run" \
	eval "[ -n '$f' ] && hfield '$f' Subject | grep -q 'How to use board@lists.test' && grep -q 'X-UNSUBSCRIBE' '$f' &&
	      [ \"\$(hfield '$f' Return-Path)\" = '<>' ] && [ \"\$(hfield '$f' Auto-Submitted)\" = auto-replied ] &&
	      grep -q '^subscriber s3@example.net' '$T/lists/board.list'"
archive 3
printf 'X-LIST-NAME: board@lists.test\nX-LIST-SUBSCRIPTIONS:\n' >cmd.txt
g mallory --trust-model always --armor -s -e -r "$LIST" -u "$M" -o mallory-cmd.asc cmd.txt 2>/dev/null
pgpmime mallory-cmd.asc mallory@evil.test board-request@lists.test "cmd" >mallorycmd.eml
post mallorycmd mallory@evil.test board-request@lists.test mallorycmd.eml
check "3: a command signed by a stranger is refused (got: $(reply_of mallorycmd))" \
	test "$(reply_of mallorycmd)" = "550 5.7.1 Commands to this list must be signed by a subscriber's key"

# ---- 5: plain posts on a list that takes them from subscribers ------------------------------
printf 'From: <s3@example.net>\nTo: <club@lists.test>\nSubject: plain post\n\n%s\n' "$secret" >plainpost.eml
post plainpost s3@example.net club@lists.test plainpost.eml
check "5: a plain post from a subscriber is accepted: $(reply_of plainpost)" accepted plainpost
wait_mail 1 "5 plain post"
f=$(files_of s3@example.net | head -1)
armor "$f" >plainpost.asc 2>/dev/null
check "5: the subscriber's copy is encrypted (no plain text) and opens with their key to the text" \
	eval "[ -n '$f' ] && ! grep -qF -- '$secret' '$f' && g s3 --decrypt plainpost.asc 2>/dev/null | grep -qF -- '$secret'"
cp "$f" plainpost.copy
archive 5
# the copy of club (from_rewrite always, subject_prefix): From rewritten, the poster in
# Reply-To and X-Original-From, the prefix, the list fields, and two DKIM signatures of
# lists.test that dkimpy verifies over the copy as delivered (Postfix's own Return-Path,
# Delivered-To and Received fields above them are not signed)
check "5: the copy's From is rewritten to the list (got: $(hfield plainpost.copy From))" \
	test "$(hfield plainpost.copy From)" = "s3 via club <club@lists.test>"
check "5: Reply-To and X-Original-From name the poster" \
	eval "hfield plainpost.copy Reply-To | grep -q 's3@example.net' && hfield plainpost.copy X-Original-From | grep -q 's3@example.net'"
check "5: the Subject carries the list's prefix once (got: $(hfield plainpost.copy Subject))" \
	test "$(hfield plainpost.copy Subject)" = "[club] plain post"
check "5: List-Help, List-Unsubscribe and List-Owner name the role addresses" \
	eval "hfield plainpost.copy List-Help | grep -q 'mailto:club-request@lists.test?subject=help' &&
	      hfield plainpost.copy List-Unsubscribe | grep -q 'mailto:club-request@lists.test?subject=unsubscribe' &&
	      hfield plainpost.copy List-Owner | grep -q 'mailto:club-owner@lists.test'"
check "5: an Autocrypt field carries the list's key (addr=club@lists.test)" \
	eval "header plainpost.copy | tr -d '\n' | grep -q 'Autocrypt: addr=club@lists.test; prefer-encrypt=mutual; keydata='"
"$PY" "$TOP/tests/dkim/dkimpy-verify.py" --crlf "$T/dkim/records" plainpost.copy | cut -d' ' -f2- >dkimpy.out 2>&1
check "5: the copy has two DKIM signatures of lists.test (ed25519, rsa) and dkimpy verifies both (got: $(cat dkimpy.out))" \
	test "$(cat dkimpy.out)" = "2 pass,pass"
# OpenDKIM as the receiving verifier: its milter, driven by miltertest with the delivered copy
# (the keys from TestPublicKeys), must say dkim=pass for both signatures
if command -v opendkim >/dev/null 2>&1 && command -v miltertest >/dev/null 2>&1; then
	printf 'Mode v\nSocket local:%s/od.sock\nBackground no\nSyslog no\nTestPublicKeys %s\nAuthservID recv.test\nAlwaysAddARHeader yes\n' \
		"$W" "$T/dkim/records" >od.conf
	opendkim -f -x od.conf >od.log 2>&1 &
	ODPID=$!
	od_up() { [ -S "$W/od.sock" ] || ! kill -0 "$ODPID" 2>/dev/null; }
	wait_until 20 od_up
	ar=$(miltertest -D sock="local:$W/od.sock" -D msgfile="$W/plainpost.copy" -D qid=SERVICE \
		-s "$TOP/tests/dkim/send.lua" 2>&1 | sed -n 's/^AR //p')
	kill "$ODPID" 2>/dev/null
	wait "$ODPID" 2>/dev/null
	check "5: OpenDKIM verifies both signatures of the delivered copy (got: $ar)" \
		test "$(printf '%s' "$ar" | grep -o 'dkim=pass' | wc -l)" -eq 2
else
	bad "5: opendkim and miltertest installed (tests/install-deps)"
fi
sed 's/^\(Subject: .*\)$/\1 (changed)/' plainpost.copy >tampered.copy
"$PY" "$TOP/tests/dkim/dkimpy-verify.py" --crlf "$T/dkim/records" tampered.copy | cut -d' ' -f3- >dkimpy2.out 2>&1
check "5: a copy with its Subject changed fails both (got: $(cat dkimpy2.out))" test "$(cat dkimpy2.out)" = "fail,fail"
post plainmallory mallory@evil.test club@lists.test plainpost.eml
check "5: a plain post from a stranger is refused (got: $(reply_of plainmallory))" \
	test "$(reply_of plainmallory)" = "550 5.7.1 Plain posts to this list are taken from subscribers only"
post plainboard s3@example.net board@lists.test plainpost.eml
check "5: a list without plain_posts refuses it (got: $(reply_of plainboard))" \
	test "$(reply_of plainboard)" = "550 5.7.1 Posts to this list must be encrypted to the list's key"

# ---- 6: signed commands ----------------------------------------------------------------------
# send_cmd, answer_of, reloaded: pfenv.sh
g d4 --armor --export "$D4" >d4.asc
{
	printf 'X-LIST-NAME: board@lists.test\nX-ADD-KEY:\n'
	cat d4.asc
	printf '\nX-SUBSCRIBE: d4@example.net %s\nX-LIST-SUBSCRIPTIONS\n' "$D4"
} | send_cmd sub s2 "$S2" s2@example.net
check "6: an admin's signed command is accepted: $(reply_of cmd.sub)" accepted cmd.sub
wait_mail 1 "6 subscribe answer"
reloaded 1 || wait_until 30 reloaded 1
check "6: postward reloaded the lists after the change" reloaded 1
if answer_of s2@example.net s2 ans.sub; then
	ok "6: the answer to s2 decrypts with s2's key"
	check "6: the answer is signed by the list's key" grep -q "^\[GNUPG:\] VALIDSIG $LIST " ans.sub.status
	check "6: the answer says the key was imported and d4 subscribed" \
		eval "grep -q '$D4 imported' ans.sub.out && grep -q 'd4@example.net is subscribed with key $D4' ans.sub.out"
	check "6: the answer lists d4 among the subscriptions" grep -q "^d4@example.net $D4" ans.sub.out
else
	bad "6: the answer to s2 decrypts with s2's key"
fi
check "6: the managed file board.subscribers has d4, the list file is unchanged" \
	eval "grep -q '^subscriber d4@example.net openpgp=$D4' '$T/lists/board.subscribers' && ! grep -q d4 '$T/lists/board.list'"
archive 6a
# the same signed message again: not run a second time
post cmd.replay s2@example.net board-request@lists.test cmd.sub.eml
wait_mail 1 "6 replay answer"
answer_of s2@example.net s2 ans.replay
check "6: a replayed command is not run, the answer says so" grep -q "received before" ans.replay.out
check "6: postward logged the replay" eval "pwlog | grep -q 'not run: replayed signature'"
archive 6b
# a subscriber who is no admin may not subscribe others
printf 'X-LIST-NAME: board@lists.test\nX-SUBSCRIBE: mallory@evil.test %s\n' "$M" | send_cmd nosub s3 "$S3" s3@example.net
wait_mail 1 "6 refused answer"
answer_of s3@example.net s3 ans.nosub
check "6: X-SUBSCRIBE by a subscriber who is no admin is refused" eval "! grep -q 'mallory@evil.test is subscribed' ans.nosub.out && ! grep -q mallory '$T/lists/board.subscribers'"
archive 6c
# the new subscriber gets posts; then changes their key and unsubscribes
secret6="to the new member $RANDOM"
printf 'Content-Type: text/plain\n\n%s\n' "$secret6" >post6.txt
g s1 --trust-model always --armor -s -e -r "$LIST" -u "$S1" -o post6.asc post6.txt 2>/dev/null
pgpmime post6.asc s1@example.net board@lists.test "welcome" >post6.eml
post post6 s1@example.net board@lists.test post6.eml
wait_mail 4 "6 post to four"
answer_of d4@example.net d4 ans.post6
check "6: the subscriber added by command gets posts (decrypts with d4's key)" grep -qF -- "$secret6" ans.post6.out
archive 6d
NEWD4=$(g d4 --with-colons --list-keys "Four New" | awk -F: '/^fpr/ { print $10; exit }')
g d4 --quick-add-key "$NEWD4" cv25519 encr 0 2>/dev/null
g d4 --armor --export "$NEWD4" >d4new.asc
{
	printf 'X-LIST-NAME: board@lists.test\nX-ADD-KEY:\n'
	cat d4new.asc
	printf '\nX-SET-FINGERPRINT: %s\n' "$NEWD4"
} | send_cmd setfpr d4 "$D4" d4@example.net
wait_mail 1 "6 set-fingerprint answer"
answer_of d4@example.net d4 ans.setfpr
check "6: a subscriber changes their own key by command" \
	eval "grep -q 'The key of d4@example.net is now $NEWD4' ans.setfpr.out && grep -q '^subscriber d4@example.net openpgp=$NEWD4' '$T/lists/board.subscribers'"
archive 6e
wait_until 30 reloaded 2
printf 'X-LIST-NAME: board@lists.test\nX-UNSUBSCRIBE\n' | send_cmd unsub d4 "$NEWD4" d4@example.net
wait_mail 1 "6 self-unsubscribe answer"
answer_of d4@example.net d4 ans.unsub
check "6: unsubscribing oneself is for admins only by default, as in Schleuder (signed with the new key)" \
	eval "grep -q 'X-UNSUBSCRIBE may only be used by the list.s admins' ans.unsub.out && grep -q d4 '$T/lists/board.subscribers'"
archive 6f
printf 'X-LIST-NAME: board@lists.test\nX-UNSUBSCRIBE: d4@example.net\n' | send_cmd unsub2 s2 "$S2" s2@example.net
wait_mail 1 "6 unsubscribe answer"
answer_of s2@example.net s2 ans.unsub2
check "6: an admin unsubscribes d4 by command" \
	eval "grep -q 'd4@example.net is unsubscribed' ans.unsub2.out && ! grep -q d4 '$T/lists/board.subscribers'"
archive 6f

# ---- 7: the roster: posts the list never decrypts ----------------------------------------------
msg s3@example.net ros-sendkey@lists.test "roster please" >rosreq.eml
post rosreq s3@example.net ros-sendkey@lists.test rosreq.eml
wait_mail 1 "7 sendkey with roster"
f=$(files_of s3@example.net | head -1)
sendkey_parts "$f" ros@lists.test ros
check "7: the sendkey answer carries the roster and its signature" test -s ros.roster.asc -a -s ros.roster.asc.sig
check "7: the list key's signature over the roster verifies (gpg, s3's home)" \
	eval "g s3 --status-fd 1 --verify ros.roster.asc.sig ros.roster.asc 2>/dev/null | grep -q '^\[GNUPG:\] VALIDSIG $LIST '"
check "7: the roster is also published at roster_file" cmp -s ros.roster.asc "$T/pub/ros.roster.asc"
g s1 --import ros.roster.asc >/dev/null 2>&1
g s1 --with-colons --import-options show-only --import ros.roster.asc 2>/dev/null |
	awk -F: '/^pub/ { p = 1; next } /^fpr/ && p { print $10; p = 0 }' | grep -v "^$LIST\$" | sort -u >ros.fprs
check "7: the roster holds the list key and the three subscribers' keys" \
	test "$(cat ros.fprs | tr '\n' ' ')" = "$(printf '%s\n' "$S1" "$S2" "$S3" | sort | tr '\n' ' ')"
archive 7a
# the subscribers check the poster's signature; the outsider case needs mallory's key
g s2 --import "$T/s1.pub" >/dev/null 2>&1; g s3 --import "$T/s1.pub" >/dev/null 2>&1
g s1 --import "$T/mallory.pub" >/dev/null 2>&1
secret7="to the roster $RANDOM"
printf 'Content-Type: text/plain\n\n%s\n' "$secret7" >ros.txt
rcpts=""; for x in $(cat ros.fprs); do rcpts="$rcpts -r $x"; done
# shellcheck disable=SC2086 # one -r per roster key
g s1 --trust-model always --armor -s -e $rcpts -u "$S1" -o rospost.asc ros.txt 2>/dev/null
pgpmime rospost.asc s1@example.net ros@lists.test "roster post" >rospost.eml
post rospost s1@example.net ros@lists.test rospost.eml
check "7: a post encrypted to every roster key is accepted: $(reply_of rospost)" accepted rospost
wait_mail 3 "7 roster post"
check "7: postward accepted it without decrypting and sent the poster's own encryption" \
	eval 'pwlog | grep -q "roster post, encrypted to every subscriber: not decrypted" && pwlog | grep -q "roster post: 3 copies of the poster.s encryption, not decrypted"'
for a in s1 s2 s3; do
	f=$(files_of $a@example.net | head -1)
	armor "$f" >"ros.$a.asc"
	check "7: $a's copy has exactly one PKESK (its own)" test "$(npkesk $a "ros.$a.asc")" -eq 1
	check "7: $a's copy opens with $a's key to the text, the poster's signature good" \
		eval "g $a --status-fd 1 --decrypt 'ros.$a.asc' 2>/dev/null | grep -q '^\[GNUPG:\] VALIDSIG $S1 ' && g $a --decrypt 'ros.$a.asc' 2>/dev/null | grep -qF -- '$secret7'"
done
check "7: s2 cannot open s3's copy" eval "! g s2 --decrypt ros.s3.asc >/dev/null 2>&1"
archive 7b
g s1 --trust-model always --armor -s -e -r "$S1" -r "$S2" -u "$S1" -o rosmiss.asc ros.txt 2>/dev/null
pgpmime rosmiss.asc s1@example.net ros@lists.test "missing one" >rosmiss.eml
post rosmiss s1@example.net ros@lists.test rosmiss.eml
check "7: a post missing a subscriber's key, not to the list key, is refused with the count (got: $(reply_of rosmiss))" \
	test "$(reply_of rosmiss)" = "550 5.7.1 The post is not encrypted to 1 of the list's 3 subscriber keys; get the current roster from the list's sendkey address"
# shellcheck disable=SC2086
g s1 --trust-model always --armor -s -e $rcpts -r "$M" -u "$S1" -o rosout.asc ros.txt 2>/dev/null
pgpmime rosout.asc s1@example.net ros@lists.test "outsider" >rosout.eml
post rosout s1@example.net ros@lists.test rosout.eml
check "7: a post also encrypted to an outsider is refused (got: $(reply_of rosout))" \
	test "$(reply_of rosout)" = "550 5.7.1 The post is encrypted to keys that are not this list's subscribers'"
g s1 --trust-model always --armor -s -e -r "$S1" -r "$LIST" -u "$S1" -o rosrewrap.asc ros.txt 2>/dev/null
pgpmime rosrewrap.asc s1@example.net ros@lists.test "rewrap" >rosrewrap.eml
post rosrewrap s1@example.net ros@lists.test rosrewrap.eml
check "7: a post missing subscribers but encrypted to the list key is re-wrapped (roster_incomplete rewrap): $(reply_of rosrewrap)" accepted rosrewrap
wait_mail 3 "7 re-wrapped post"
archive 7c

# ---- 8: bounces -------------------------------------------------------------------------------
# a DSN from a remote MTA about s3's copy, to the VERP address of the copy
{
	printf 'From: MAILER-DAEMON@mx.remote.test\nTo: board-bounces+s3=example.net@lists.test\n'
	printf 'Subject: Undelivered Mail Returned to Sender\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="b8"\n\n'
	printf -- '--b8\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n'
	printf -- '--b8\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.remote.test\n\n'
	printf 'Final-Recipient: rfc822; s3@example.net\nAction: failed\nStatus: 5.1.1\n'
	printf 'Diagnostic-Code: smtp; 550 5.1.1 <s3@example.net>: mailbox unknown\n\n--b8--\n'
} >dsn.eml
post dsn "<>" board-bounces+s3=example.net@lists.test dsn.eml
check "8: the bounce to the VERP address is accepted: $(reply_of dsn)" accepted dsn
wait_mail 1 "8 owner told"
check "8: postward logged that s3 was disabled by bounces" \
	eval 'pwlog | grep -q "subscriber s3@example.net disabled by bounces (score 1.0)"'
f=$(files_of s1@example.net | head -1)
check "8: the owner (s1) is told who was disabled and why" \
	eval "[ -n '$f' ] && hfield '$f' Subject | grep -q 's3@example.net disabled after bounces' && grep -q '5.1.1' '$f'"
check "8: nothing answered the bounce (s3 and the null sender got nothing)" test "$(count_of s3@example.net)" -eq 0
archive 8a
g s1 --trust-model always --armor -s -e -r "$LIST" -u "$S1" -o post8.asc ros.txt 2>/dev/null
pgpmime post8.asc s1@example.net board@lists.test "after the bounce" >post8.eml
post post8 s1@example.net board@lists.test post8.eml
wait_mail 2 "8 post without s3"
check "8: the next post reaches s1 and s2 but not the disabled s3" \
	eval '[ "$(count_of s1@example.net)" -eq 1 ] && [ "$(count_of s2@example.net)" -eq 1 ] && [ "$(count_of s3@example.net)" -eq 0 ]'
check "8: postward logged the skipped subscriber" eval 'pwlog | grep -q "1 subscriber(s) disabled after bounces get no copy"'
archive 8b

# ---- 4: one list address per message ---------------------------------------------------------
swaks --server 127.0.0.1 --port "$P_SMTPD" --from s1@example.net --to board@lists.test,board-owner@lists.test \
	--data "@sendkey.eml" >"$W/swaks.two" 2>&1
check "4: a second list address in one message gets 452 4.5.3" \
	grep -q '^<\*\* 452 4.5.3 One mailing list address per message' "$W/swaks.two"
finish
