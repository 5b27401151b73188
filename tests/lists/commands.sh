#!/bin/bash
# tests/lists/commands.sh - the signed commands and per-list settings of an encrypted list end
# to end, through the private Postfix of tests/lists/pfenv.sh with postward as its milter, and
# an HTTPS key server (tests/lists/keyserver.py, a test CA; postward reaches it through
# list_https_connect_to and trusts the CA through list_https_ca_file, so verification is real).
#
# The list board has keywords_admin_only subscribe delete-key list-keys (X-UNSUBSCRIBE left
# out: subscribers may unsubscribe themselves), keywords_admin_notify set-delivery subscribe,
# its own DKIM key (dkim_key led) beside the daemon's dkim_signing_key (selector glob), and
# key_refresh wkd while the daemon's list_key_sources is vks.
#
#  1 X-FETCH-KEY by a subscriber who is no admin: an address fetched by WKD (advanced method,
#    the URL gpg --with-wkd-hash names), a fingerprint from the VKS server, both imported into
#    the list's GnuPG home; a fingerprint whose VKS answer is another key is refused and that
#    key is not imported; the answer says each, postward logs each; an https URL is fetched
#    and its certificate checked, an http URL refused;
#  2 an overridden admin-only keyword: X-LIST-KEYS is refused to s3 and run for the admin s2;
#  3 X-SET-DELIVERY: s3 switches their delivery off (done) and tries s1's (refused: another's
#    subscription); the admin s2 gets a notice of it (keywords_admin_notify), encrypted to s2
#    and decrypted by s2; the next post reaches s1 and s2 but not s3; its copy carries one DKIM
#    signature, the list's own (s=led), which dkimpy verifies against led's key record alone;
#  4 a DSN to s3's VERP address disables s3 (bounce_threshold 1, the owner is told, the bounce
#    ledger has s3 disabled); s3's "X-SET-DELIVERY: true" re-enables them (the answer and the
#    log say the bounce record was cleared, the ledger forgets s3) and the next post reaches s3;
#  5 X-SUBSCRIBE by the admin of the key fetched in 1 (the admin gets no notice of their own
#    command; no other admin); the new subscriber unsubscribes themselves (allowed here);
#  6 postward -n refuses a list file with an unknown keyword in keywords_admin_only, naming
#    the file and line;
#  7 key_refresh per list (postward -K): board asks WKD only (its key_refresh wkd), club (no
#    statement) the daemon's VKS, quiet (key_refresh off) nothing.
#
# usage: [POSTWARD=/abs/path/postward] tests/lists/commands.sh [--keep]
# Needs root, Postfix, swaks, gpg, openssl, /usr/bin/python3 with dkimpy (see pfenv.sh).
# Prints PASS:/FAIL: lines and one final "N passed, M failed" line.  Exit 0 all passed, 1
# something failed, 77 skipped.

set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
# the bench (pfenv.sh): the parties' GnuPG homes, two list workers
HOMES="pw s1 s2 s3 ka kb kx" WORKERS=2 PFNAME=pw-lists-commands
. "$HERE/pfenv.sh"

"$PY" -c 'import dkim' 2>/dev/null || skip "dkimpy (python3-dkim) not installed"

# ------------------------------------------------------------------------------- keys
# HOME VARIABLE ADDRESS: each party's key, its fingerprint in VARIABLE
PARTIES="pw LIST board@lists.test s1 S1 s1@example.net s2 S2 s2@example.net s3 S3 s3@example.net
ka KA ka@example.net kb KB kb@example.org kx KX kx@example.org"
set -- $PARTIES
while [ $# -ge 3 ]; do
	mkkey "$1" "<$3>" >>"$T/keys.log" 2>&1 || abort "gpg key generation for $3: $(tail -3 "$T/keys.log")"
	printf -v "$2" '%s' "$(fpr_of "$1" "$3")"
	shift 3
done
(
	g pw --export "$LIST" >"$T/list.pub" &&
	for h in s1 s2 s3 ka; do
		g "$h" --export >"$T/$h.pub" && g "$h" --import "$T/list.pub" || exit 1
		[ "$h" = ka ] || g pw --import "$T/$h.pub" || exit 1
	done
) >>"$T/keys.log" 2>&1 || abort "gpg key exchange: $(tail -3 "$T/keys.log")"
# what the list asks for is not in its home yet
g pw --list-keys "$KA" >/dev/null 2>&1 || g pw --list-keys "$KB" >/dev/null 2>&1 ||
	g pw --list-keys "$KX" >/dev/null 2>&1 && abort "the list's home has none of ka, kb, kx"
ok "gpg keys made (list $LIST)"

# --------------------------------------------------------------------- the key server
KS=$T/ks
mkdir -p "$KS"
hash_of() { g "$1" --with-wkd-hash --list-keys "$2" 2>/dev/null | awk -v a="$2" '$1 ~ /@/ && $1 != a && index($1, "@") == 33 { sub(/@.*/, "", $1); print $1; exit }'; }
wkd=$KS/docroot/openpgpkey.example.net/.well-known/openpgpkey/example.net/hu
vks=$KS/docroot/keys.example.org/vks/v1/by-fingerprint
mkdir -p "$wkd" "$vks"
KAHASH=$(hash_of ka ka@example.net)
g ka --export "$KA" >"$wkd/$KAHASH"
g kb --armor --export "$KB" >"$vks/$KB"
g ka --armor --export "$KA" >"$vks/$KX"	# the VKS answer for kx's fingerprint is ka's key
g s1 --export "$S1" >"$wkd/$(hash_of s1 s1@example.net)"
SAN="subjectAltName=DNS:openpgpkey.example.net,DNS:keys.example.org"
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$KS/ca.key" \
		-out "$KS/ca.pem" -days 2 -subj "/CN=postward commands test CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$KS/srv.key" \
		-out "$KS/srv.csr" -subj "/CN=openpgpkey.example.net" &&
	printf '%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$SAN" >"$KS/srv.ext" &&
	openssl x509 -req -in "$KS/srv.csr" -CA "$KS/ca.pem" -CAkey "$KS/ca.key" -CAcreateserial \
		-days 2 -extfile "$KS/srv.ext" -out "$KS/srv.pem"
} >"$KS/certs.log" 2>&1 || abort "openssl test CA: $(tail -3 "$KS/certs.log")"
chmod 644 "$KS/ca.pem"
"$PY" "$HERE/keyserver.py" "$KS/ready" "$KS/srv.pem" "$KS/srv.key" "$KS/docroot" "$KS/log" 2>"$KS/err" &
KSPID=$!
pf_cleanup_hook() { kill "$KSPID" 2>/dev/null && wait "$KSPID" 2>/dev/null; }
ks_ready() { [ -s "$KS/ready" ] || ! kill -0 "$KSPID" 2>/dev/null; }
wait_until 20 ks_ready
KSPORT=$(cat "$KS/ready" 2>/dev/null)
[ -n "$KSPORT" ] && ok "HTTPS key server on 127.0.0.1:$KSPORT" || abort "key server: $(cat "$KS/err")"

# ------------------------------------------------------------------------------ lists
mkdir -m 700 "$T/dkim"
openssl genpkey -algorithm ed25519 -out "$T/dkim/led.pem" 2>/dev/null &&
	openssl genpkey -algorithm ed25519 -out "$T/dkim/glob.pem" 2>/dev/null &&
	chmod 600 "$T/dkim/led.pem" "$T/dkim/glob.pem" || abort "openssl DKIM keys"
"$TOP/tests/dkim/pw-dkimsign" -R -k "$T/dkim/led.pem" -d lists.test -s led >"$T/dkim/led.records" &&
	"$TOP/tests/dkim/pw-dkimsign" -R -k "$T/dkim/glob.pem" -d lists.test -s glob >"$T/dkim/glob.records" ||
	abort "pw-dkimsign -R (build it: make check)"
cat >"$T/lists/board.list" <<EOF
list board@lists.test
keywords_admin_only subscribe delete-key list-keys
keywords_admin_notify set-delivery subscribe
dkim_key led $T/dkim/led.pem
key_refresh wkd
owner s1@example.net
openpgp_key $LIST
bounce_threshold 1
from_rewrite never
subscriber s2@example.net openpgp=$S2 admin
subscriber s1@example.net openpgp=$S1
subscriber s3@example.net openpgp=$S3
EOF
cat >"$T/lists/club.list" <<EOF
list club@lists.test
owner s1@example.net
openpgp_key $LIST
subscriber s2@example.net openpgp=$S2
EOF
cat >"$T/lists/quiet.list" <<EOF
list quiet@lists.test
owner s1@example.net
openpgp_key $LIST
key_refresh off
subscriber s3@example.net openpgp=$S3
EOF
pf_postward "dkim_signing_key = lists.test glob $T/dkim/glob.pem
list_key_sources = vks
list_key_refresh_interval = 0
list_vks_url = https://keys.example.org
list_https_ca_file = $KS/ca.pem
list_https_timeout = 20
list_https_connect_to = openpgpkey.example.net:443:127.0.0.1:$KSPORT, keys.example.org:443:127.0.0.1:$KSPORT"
# a Maildir DOMAIN/LOCAL/ for each party and each address of the three lists
for a in {s1,s2,s3,ka}@example.net {board,club,quiet}{,-request,-owner,-sendkey,-bounces}@lists.test; do
	echo "$a ${a#*@}/${a%@*}/"
done >"$CONF/vmailbox"
pf_postfix "example.net lists.test"
cd "$W" || abort "cd $W"

# ask NAME HOME SIGNER-FPR FROM N COMMAND...: "X-LIST-NAME: board@lists.test" and the
# COMMANDs, one a line, sent (send_cmd), then the wait for N messages, then the requester's
# answer decrypted into ans.NAME.out (answer_of).  Not in a pipeline: its checks count.
ask() {
	local name=$1 home=$2 fpr=$3 from=$4 n=$5
	shift 5
	printf '%s\n' "X-LIST-NAME: board@lists.test" "$@" | send_cmd "$name" "$home" "$fpr" "$from"
	wait_mail "$n" "$name: the answer (and notices: $n message(s) in all)"
	answer_of "$from" "$home" "ans.$name"
}
# post_from_s1 NAME: a signed, encrypted post by s1 to board
post_from_s1() {
	printf 'post %s %s\n' "$1" "$RANDOM" | sealed "$1" s1 "$S1" s1@example.net board@lists.test "post $1"
}
ledger() { cat "$SPOOL"/bounces/* 2>/dev/null; }

# ---- 1: X-FETCH-KEY ----------------------------------------------------------------------------
printf 'X-LIST-NAME: board@lists.test\nX-FETCH-KEY: ka@example.net\nX-FETCH-KEY: %s\nX-FETCH-KEY: %s\n' \
	"$KB" "$KX" | send_cmd fetch s3 "$S3" s3@example.net
check "1: the fetch-key command is accepted: $(reply_of cmd.fetch)" accepted cmd.fetch
wait_mail 1 "1 fetch-key answer"
if answer_of s3@example.net s3 ans.fetch; then
	check "1: the answer is signed by the list's key" grep -q "^\[GNUPG:\] VALIDSIG $LIST " ans.fetch.status
	check "1: the address ka@example.net was fetched by WKD and imported (answer: $(grep '^ka@' ans.fetch.out))" \
		grep -q "^ka@example.net: key $KA imported" ans.fetch.out
	check "1: the fingerprint of kb was fetched from VKS and imported" grep -q "^$KB: key $KB imported" ans.fetch.out
	check "1: kx's fingerprint, answered with another key, is refused as unrelated (answer: $(grep "^$KX" ans.fetch.out))" \
		eval "grep -q '^$KX: refused: unrelated key' ans.fetch.out || grep -q '^$KX: key $KX not imported: unrelated key' ans.fetch.out"
	check "1: the command's outcome is Failed (one argument failed)" grep -q '^Failed\.$' ans.fetch.out
else
	bad "1: s3 got the fetch-key answer and it decrypts with s3's key"
fi
check "1: WKD was asked at the advanced method's URL gpg names, VKS at by-fingerprint" \
	eval "grep -q '^openpgpkey.example.net /.well-known/openpgpkey/example.net/hu/$KAHASH?l=ka 200' '$KS/log' &&
	      grep -q '^keys.example.org /vks/v1/by-fingerprint/$KB 200' '$KS/log'"
check "1: the list's GnuPG home has ka's and kb's keys" eval "g pw --list-keys '$KA' >/dev/null 2>&1 && g pw --list-keys '$KB' >/dev/null 2>&1"
check "1: the list's GnuPG home has no key of kx" eval "! g pw --list-keys '$KX' >/dev/null 2>&1"
check "1: postward logged each fetch" \
	eval "pwlog | grep -q 'X-FETCH-KEY ka@example.net from <s3@example.net> (wkd): key $KA updated' &&
	      pwlog | grep -q 'X-FETCH-KEY $KX from <s3@example.net> (vks): key $KX refused: unrelated key'"
archive 1
# an https URL: each certificate of the answer through the same checks (kb's again: already
# in the keyring); an http URL is refused as the command is read, nothing fetched
ask url s3 "$S3" s3@example.net 1 "X-FETCH-KEY: https://keys.example.org/vks/v1/by-fingerprint/$KB" \
	"X-FETCH-KEY: http://keys.example.org/vks/v1/by-fingerprint/$KB"
check "1: X-FETCH-KEY of an https URL takes the certificate it serves (answer: $(grep -m1 '^https://' ans.url.out))" \
	grep -q "^https://keys.example.org/vks/v1/by-fingerprint/$KB: key $KB is already in the list's keyring" ans.url.out
check "1: an http URL is refused (answer: $(grep -m1 -i 'https URLs' ans.url.out))" grep -q "only https URLs are fetched" ans.url.out
check "1: the key server saw the https request only" \
	test "$(grep -c "^keys.example.org /vks/v1/by-fingerprint/$KB 200" "$KS/log")" -eq 2
archive 1u

# ---- 2: an admin-only keyword of the list file ----------------------------------------------------
printf 'X-LIST-NAME: board@lists.test\nX-LIST-KEYS\n' | send_cmd lk3 s3 "$S3" s3@example.net
printf 'X-LIST-NAME: board@lists.test\nX-LIST-KEYS\n' | send_cmd lk2 s2 "$S2" s2@example.net
wait_mail 2 "2 list-keys answers"
answer_of s3@example.net s3 ans.lk3
answer_of s2@example.net s2 ans.lk2
check "2: X-LIST-KEYS (keywords_admin_only) is refused to a subscriber who is no admin" \
	eval "grep -q '^Refused\.$' ans.lk3.out && grep -q 'X-LIST-KEYS may only be used by the list.s admins' ans.lk3.out && ! grep -q '$S1' ans.lk3.out"
check "2: X-LIST-KEYS is run for the admin s2" eval "grep -q '^Done\.$' ans.lk2.out && grep -q '^$S1 s1@example.net' ans.lk2.out"
archive 2

# ---- 3: delivery off, an admin notice, a post without s3, the list's DKIM key ---------------------
ask off s3 "$S3" s3@example.net 2 'X-SET-DELIVERY: false' 'X-SET-DELIVERY: s1@example.net false'
check "3: s3 switched their delivery off" grep -q 'Delivery to s3@example.net is off' ans.off.out
check "3: switching s1's delivery is refused to s3" \
	grep -q "only the list's admins may use X-SET-DELIVERY on another subscription than their own" ans.off.out
check "3: postward logged the switch" eval "pwlog | grep -q 'delivery to <s3@example.net> off by X-SET-DELIVERY from <s3@example.net>'"
check "3: the bounce ledger has s3 disabled" eval "ledger | grep -q '^s3@example.net	0.0	0	[1-9][0-9]*	delivery switched off'"
if answer_of s2@example.net s2 ans.notice "commands by s3@example.net"; then
	ok "3: the admin s2 got a notice of the command and decrypts it with s2's key"
	check "3: the notice is signed by the list's key" grep -q "^\[GNUPG:\] VALIDSIG $LIST " ans.notice.status
	check "3: the notice names the subscriber and the command that ran, not the refused one" \
		eval "grep -q 'The subscriber s3@example.net sent these commands to board@lists.test' ans.notice.out &&
		      grep -q '^> X-SET-DELIVERY: false' ans.notice.out && ! grep -q 's1@example.net false' ans.notice.out"
else
	bad "3: the admin s2 got a notice of the command and decrypts it with s2's key"
fi
check "3: s1 (no admin) got no notice" test "$(count_of s1@example.net)" -eq 0
archive 3a
post_from_s1 post3
wait_mail 2 "3 post without s3"
check "3: the post reaches s1 and s2 but not s3 (delivery off)" \
	eval '[ "$(count_of s1@example.net)" -eq 1 ] && [ "$(count_of s2@example.net)" -eq 1 ] && [ "$(count_of s3@example.net)" -eq 0 ]'
cp "$(files_of s2@example.net | head -1)" post3.copy 2>/dev/null
check "3: the copy is signed with the list's own key (s=led), not the daemon's (s=glob)" \
	eval "header post3.copy | tr -d '\n\t ' | grep -q 'DKIM-Signature:.*s=led' && ! header post3.copy | tr -d '\n\t ' | grep -q 's=glob'"
"$PY" "$TOP/tests/dkim/dkimpy-verify.py" --crlf "$T/dkim/led.records" post3.copy | cut -d' ' -f2- >dkimpy.out 2>&1
check "3: dkimpy verifies the copy's signature against led's key record (got: $(cat dkimpy.out))" test "$(cat dkimpy.out)" = "1 pass"
"$PY" "$TOP/tests/dkim/dkimpy-verify.py" --crlf "$T/dkim/glob.records" post3.copy | cut -d' ' -f3- >dkimpy2.out 2>&1
check "3: and not against the daemon's key (got: $(cat dkimpy2.out))" test "$(cat dkimpy2.out)" = "fail"
archive 3b

# ---- 4: disabled by a bounce, re-enabled by X-SET-DELIVERY -------------------------------------------
# a DSN (RFC 3464) of a remote MTA about s3's copy, to the copy's VERP address
printf '%s\n' "From: MAILER-DAEMON@mx.remote.test" "To: board-bounces+s3=example.net@lists.test" \
	"Subject: failure notice" "Auto-Submitted: auto-replied" "MIME-Version: 1.0" \
	'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"' "" \
	"--dsn" "" "s3@example.net: the mailbox does not exist." "" \
	"--dsn" "Content-Type: message/delivery-status" "" "Reporting-MTA: dns; mx.remote.test" "" \
	"Final-Recipient: rfc822; s3@example.net" "Action: failed" "Status: 5.1.1" "" "--dsn--" >dsn.eml
# first on again (a plain switch), then the bounce
ask on1 s3 "$S3" s3@example.net 2 'X-SET-DELIVERY: true'
check "4: s3 switched their delivery on again" grep -q '^Delivery to s3@example.net is on again\.$' ans.on1.out
check "4: the ledger forgets s3" eval "! ledger | grep -q '^s3@example.net'"
archive 4a
post dsn "<>" board-bounces+s3=example.net@lists.test dsn.eml
check "4: the bounce to the VERP address is accepted: $(reply_of dsn)" accepted dsn
wait_mail 1 "4 owner told"
check "4: s3 is disabled by the bounce (log, ledger)" \
	eval "pwlog | grep -q 'subscriber s3@example.net disabled by bounces' && ledger | grep -q '^s3@example.net	1.0	'"
archive 4b
ask on2 s3 "$S3" s3@example.net 2 'X-SET-DELIVERY: true'
check "4: the answer says s3 is on again and the bounce record cleared" \
	grep -q 'Delivery to s3@example.net is on again; its bounce record is cleared' ans.on2.out
check "4: postward logged the re-enabling" \
	eval "pwlog | grep -q 'delivery to <s3@example.net> on by X-SET-DELIVERY from <s3@example.net> (it was disabled after bounces: bounce score and flag cleared)'"
check "4: the ledger forgets s3 again" eval "! ledger | grep -q '^s3@example.net'"
archive 4c
post_from_s1 post4
wait_mail 3 "4 post to all three"
check "4: the post reaches s3 again" eval '[ "$(count_of s3@example.net)" -eq 1 ] && [ "$(count_of s1@example.net)" -eq 1 ]'
answer_of s3@example.net s3 ans.post4
check "4: s3's copy decrypts with s3's key" grep -q "post post4" ans.post4.out
archive 4d

# ---- 5: subscribe the fetched key; self-unsubscribe allowed by the list file ------------------------
ask subka s2 "$S2" s2@example.net 1 "X-SUBSCRIBE: ka@example.net $KA"
check "5: the admin subscribes ka with the key X-FETCH-KEY brought" grep -q "ka@example.net is subscribed with key $KA" ans.subka.out
check "5: the admin who sent it gets no notice of their own command (one message)" test "$(count_of s2@example.net)" -eq 1
archive 5a
wait_until 30 reloaded 1
check "5: postward reloaded after the subscription" reloaded 1
ask unka ka "$KA" ka@example.net 1 X-UNSUBSCRIBE
check "5: ka unsubscribes themselves (X-UNSUBSCRIBE not in keywords_admin_only)" \
	eval "grep -q 'ka@example.net is unsubscribed' ans.unka.out && ! grep -q ka@ '$T/lists/board.subscribers'"
archive 5b

# ---- 6: postward -n checks the statements -------------------------------------------------------------
mkdir -p "$T/badlists"
sed 's/^keywords_admin_only .*/keywords_admin_only subscribe frobnicate/' "$T/lists/board.list" >"$T/badlists/board.list"
sed "s|^list_directory = .*|list_directory = $T/badlists|" "$PWCONF" >"$T/bad.conf"
"$POSTWARD" -n -c "$T/bad.conf" >"$T/bad.out" 2>&1
st=$?
check "6: postward -n refuses an unknown keyword in keywords_admin_only, naming file and line (status $st: $(head -1 "$T/bad.out"))" \
	eval "[ $st -ne 0 ] && grep -q 'badlists/board.list:2: keywords_admin_only: \"frobnicate\" is not a command keyword' '$T/bad.out'"

# ---- 7: key_refresh per list (postward -K) --------------------------------------------------------------
"$POSTWARD" -K -c "$PWCONF" >k.out 2>k.err
check "7: board's subscribers are refreshed from WKD only (its key_refresh wkd)" \
	eval "grep -q '^board@lists.test s1@example.net $S1 [a-z-]* wkd=' k.out && ! grep '^board@' k.out | grep -q 'vks='"
check "7: s1's key was asked at its WKD URL" grep -q "^openpgpkey.example.net /.well-known/openpgpkey/example.net/hu/$(hash_of s1 s1@example.net)?l=s1 200" "$KS/log"
check "7: club (no key_refresh) uses the daemon's list_key_sources, VKS" \
	eval "grep -q '^club@lists.test s2@example.net $S2 not-found vks=not-found' k.out && ! grep '^club@' k.out | grep -q 'wkd='"
check "7: quiet (key_refresh off) is not refreshed" eval "! grep -q '^quiet@' k.out"
check "7: postward -K ran without a sanitizer report" eval "! grep -q 'Sanitizer\|runtime error' k.err"
finish
