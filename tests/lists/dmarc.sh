#!/bin/bash
# tests/lists/dmarc.sh - a list copy that passes DMARC where the poster's domain would fail it:
# the private Postfix of tests/lists/pfenv.sh with postward as its milter, postward's resolver
# pointed at the signed NSD fixture (tests/dns/fixture.sh) whose zone secure.test carries
#   rej.secure.test          _dmarc: p=reject        (the poster's domain)
#   mon.secure.test          _dmarc: p=none
#   lists.secure.test        _dmarc: p=reject, and ed._domainkey: the list domain's DKIM key
#
#  1 a post from s1@rej.secure.test to board@lists.secure.test (from_rewrite auto): postward
#    looks the author's DMARC policy up (logged: p=reject, DNSSEC secure) and the copy has
#    From: One via board <board@lists.secure.test>, Reply-To and X-Original-From the poster,
#    and a DKIM signature of lists.secure.test;
#  2 the copy as delivered, handed to a second postward (the receiver: DKIM and DMARC on,
#    the same fixture) through OpenDKIM's miltertest: dkim=pass and dmarc=pass for
#    header.from=lists.secure.test; the same copy with its From put back to the poster's
#    (what a list without the rewrite would send) fails DMARC there and is rejected;
#  3 a post from s1@mon.secure.test (p=none) keeps its From.
#
# usage: [POSTWARD=/abs/path/postward] tests/lists/dmarc.sh [--keep]
# Needs root, Postfix, swaks, gpg, nsd and ldnsutils (fixture.sh installs them), miltertest.

set -u
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
WORKERS=1
HOMES="pw s1 s2"
PFNAME=pw-lists-dmarc
. "$HERE/pfenv.sh"
for c in miltertest; do command -v "$c" >/dev/null 2>&1 || skip "$c not installed"; done

# ---------------------------------------------------------------------- keys and DNS
{
	mkkey pw "Board <board@lists.secure.test>" &&
	mkkey s1 "One <s1@rej.secure.test>" &&
	g s1 --quick-add-uid "$(fpr_of s1 s1@rej.secure.test)" "One <s1@mon.secure.test>" &&
	mkkey s2 "Two <s2@example.net>"
} >"$T/keys.log" 2>&1 || abort "gpg keys: $(tail -3 "$T/keys.log")"
LIST=$(fpr_of pw board@lists.secure.test)
S1=$(fpr_of s1 s1@rej.secure.test)
S2=$(fpr_of s2 s2@example.net)
(
	g pw --export "$LIST" >"$T/list.pub" &&
	for h in s1 s2; do
		g "$h" --export >"$T/$h.pub" && g pw --import "$T/$h.pub" && g "$h" --import "$T/list.pub" || exit 1
	done && g s2 --import "$T/s1.pub"
) >>"$T/keys.log" 2>&1 || abort "gpg key exchange: $(tail -3 "$T/keys.log")"

mkdir -m 700 "$T/dkim" "$T/records"
openssl genpkey -algorithm ed25519 -out "$T/dkim/ed.pem" 2>/dev/null && chmod 600 "$T/dkim/ed.pem" ||
	abort "openssl DKIM key"
REC=$("$TOP/tests/dkim/pw-dkimsign" -R -k "$T/dkim/ed.pem" -d lists.secure.test -s ed | cut -d' ' -f2-)
[ -n "$REC" ] || abort "pw-dkimsign -R (build it: make check)"
cat >"$T/records/secure.test.records" <<EOF
rej A 192.0.2.1
_dmarc.rej TXT "v=DMARC1; p=reject"
mon A 192.0.2.1
_dmarc.mon TXT "v=DMARC1; p=none"
lists A 192.0.2.1
_dmarc.lists TXT "v=DMARC1; p=reject"
ed._domainkey.lists TXT "$REC"
EOF
stop_dns() { "$TOP/tests/dns/fixture.sh" stop "$T/dns" >/dev/null 2>&1; }
"$TOP/tests/dns/fixture.sh" start "$T/dns" "$T/records" >"$T/fixture.log" 2>&1 ||
	abort "DNS fixture: $(tail -3 "$T/fixture.log")"
. "$T/dns/env"

cat >"$T/lists/board.list" <<EOF
list board@lists.secure.test
owner s2@example.net
openpgp_key $LIST
subscriber s1@rej.secure.test openpgp=$S1
subscriber s2@example.net openpgp=$S2
EOF
DNSCONF="dns_nameservers = $DNS_SERVER
dns_trust_anchor_file = $TRUST_ANCHOR
dns_timeout = 5"
pf_postward "$DNSCONF
dkim_signing_key = lists.secure.test ed $T/dkim/ed.pem"
{
	echo "s1@rej.secure.test rej.secure.test/s1/"
	echo "s1@mon.secure.test mon.secure.test/s1/"
	echo "s2@example.net example.net/s2/"
	echo "board@lists.secure.test lists.secure.test/board/"
} >"$CONF/vmailbox"
postconf -c "$CONF" -e "recipient_delimiter = +" 2>/dev/null
pf_postfix "example.net rej.secure.test mon.secure.test lists.secure.test"
cd "$W" || abort "cd $W"
RECVPID=
pf_cleanup_hook() {	# the receiver and the DNS fixture go with the rest
	[ -n "$RECVPID" ] && kill "$RECVPID" 2>/dev/null && wait "$RECVPID" 2>/dev/null
	stop_dns
}

printf 'Content-Type: text/plain\n\nhello board\n' >inner.txt
g s1 --trust-model always --armor -s -e -r "$LIST" -u "$S1" -o post.asc inner.txt 2>/dev/null

# ---- 1: p=reject: the From is rewritten ----------------------------------------------------
pgpmime post.asc "One <s1@rej.secure.test>" board@lists.secure.test "from a p=reject domain" >rej.eml
post rej s1@rej.secure.test board@lists.secure.test rej.eml
check "1: the post is accepted: $(reply_of rej)" accepted rej
wait_mail 2 "1"
check "1: postward logged the author's DMARC policy, p=reject, DNSSEC secure" \
	eval 'pwlog | grep -q "From rewritten for rej.secure.test: dmarc p=reject at rej.secure.test (secure)"'
f=$(files_of s2@example.net | head -1)
cp "$f" rej.copy 2>/dev/null
check "1: the copy's From is the list (got: $(hfield rej.copy From))" \
	test "$(hfield rej.copy From)" = "One via board <board@lists.secure.test>"
check "1: Reply-To and X-Original-From name the poster" \
	eval "hfield rej.copy Reply-To | grep -q 's1@rej.secure.test' && hfield rej.copy X-Original-From | grep -q 's1@rej.secure.test'"
check "1: the copy carries a DKIM signature of lists.secure.test" \
	eval "header rej.copy | tr -d '\n' | grep -q 'DKIM-Signature: .*d=lists.secure.test'"
archive 1

# ---- 2: the receiver ---------------------------------------------------------------------------
cat >recv.conf <<EOF
$DNSCONF
authserv_id = recv.test
EOF
"$POSTWARD" -f -c recv.conf -p "unix:$W/recv.sock" 2>recv.log &
RECVPID=$!
recv_up() { grep -q "listening on" recv.log 2>/dev/null || ! kill -0 "$RECVPID" 2>/dev/null; }
wait_until 20 recv_up
ar_of() { miltertest -D sock="unix:$W/recv.sock" -D msgfile="$1" -D qid=RECV \
	-s "$TOP/tests/dkim/send.lua" 2>&1 | sed -n 's/^AR //p'; }
AR=$(ar_of "$W/rej.copy")
check "2: a receiving postward finds dkim=pass for lists.secure.test (got: $AR)" \
	eval "printf '%s' \"\$AR\" | grep -q 'dkim=pass.*header.d=lists.secure.test'"
check "2: and dmarc=pass for header.from=lists.secure.test" \
	eval "printf '%s' \"\$AR\" | grep -q 'dmarc=pass.*header.from=lists.secure.test'"
sed 's/^From: .*$/From: One <s1@rej.secure.test>/' rej.copy >unrewritten.copy
ar_of "$W/unrewritten.copy" >/dev/null
check "2: the same copy with the poster's From fails DMARC there and is rejected (p=reject)" \
	grep -q "practice action=reject rule=default dmarc=fail (disposition reject, DNSSEC secure) header.from=rej.secure.test" recv.log
kill "$RECVPID" 2>/dev/null
wait "$RECVPID" 2>/dev/null
RECVPID=

# ---- 3: p=none: the From stays ------------------------------------------------------------------
pgpmime post.asc "One <s1@mon.secure.test>" board@lists.secure.test "from a p=none domain" >mon.eml
post mon s1@mon.secure.test board@lists.secure.test mon.eml
wait_mail 2 "3"
f=$(files_of s2@example.net | head -1)
check "3: a post from a p=none domain keeps its From (got: $(hfield "$f" From))" \
	test "$(hfield "$f" From)" = "One <s1@mon.secure.test>"
check "3: postward logged why" eval 'pwlog | grep -q "From kept for mon.secure.test: dmarc p=none"'
finish
