#!/bin/bash
# tests/requiretls/postfix.sh - REQUIRETLS at RCPT end to end: the private Postfix bench of
# tests/lists/pfenv.sh (no list in it) with postward as its milter, postward's resolver
# pointed at the DNSSEC fixture (tests/dns/fixture.sh).  Postfix 3.7 itself refuses the
# REQUIRETLS MAIL parameter (555), so the message is marked by a require_tls policy rule on
# the sender domain (ruled.example), which postward applies at RCPT:
#   1 RCPT TO <bob@plain.insecure.test> (unsigned MX, no MTA-STS): the SMTP client sees
#     "550 5.7.30 REQUIRETLS: plain.insecure.test has no DNSSEC-signed MX ..." at RCPT, before
#     DATA; Postfix logs NOQUEUE milter-reject;
#   2 RCPT TO <bob@dane.secure.test> (signed MX, signed A, TLSA 3 1 1): accepted, tagged
#     "required" and routed by contrib's header checks to the postward-secure transport;
#   3 RCPT TO <bob@dom.wrongkey.test> (bogus MX): 451 4.7.5 at RCPT;
#   4 a sender no rule names (other.example) to plain.insecure.test: not checked, delivered.
# The test domains are the bench's virtual mailbox domains (nothing leaves the instance).
# usage: [POSTWARD=/abs/path/postward] tests/requiretls/postfix.sh [--keep]
# Needs root, Postfix, swaks, gpg, nsd and ldnsutils (fixture.sh installs them).

set -u
export LC_ALL=C

HERE=$(cd "$(dirname "$0")/../lists" && pwd)	# pfenv.sh's own directory
WORKERS=1
HOMES="pw"
PFNAME=pw-rtls-postfix
. "$HERE/pfenv.sh"

H=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
mkdir "$T/records"
printf '%s\n' "dane MX 10 mx.dane" "mx.dane A 127.0.0.1" "_25._tcp.mx.dane TLSA 3 1 1 $H" \
	>"$T/records/secure.test.records"
printf '%s\n' "plain MX 10 mx.plain" "mx.plain A 127.0.0.1" >"$T/records/insecure.test.records"
printf '%s\n' "dom MX 10 mx.dom" >"$T/records/wrongkey.test.records"
pf_cleanup_hook() { "$TOP/tests/dns/fixture.sh" stop "$T/dns" >/dev/null 2>&1; }
"$TOP/tests/dns/fixture.sh" start "$T/dns" "$T/records" >"$T/fixture.log" 2>&1 ||
	abort "DNS fixture: $(tail -3 "$T/fixture.log")"
. "$T/dns/env"

echo "require_tls sender_domain ruled.example" >"$T/rtls.policy"
# the check at RCPT is on by default (requiretls_recipient_check = reject)
pf_postward "dns_nameservers = $DNS_SERVER
dns_trust_anchor_file = $TRUST_ANCHOR
dns_timeout = 2
policy_files = $T/rtls.policy"
DOMAINS="dane.secure.test plain.insecure.test dom.wrongkey.test"
for d in $DOMAINS; do echo "bob@$d $d/bob/"; done >"$CONF/vmailbox"
pf_postfix "$DOMAINS"

MSG=$W/msg.txt
printf 'Subject: REQUIRETLS at RCPT\r\n\r\nA test.\r\n' >"$MSG"
PWLOG=$T/pw.1.log
# 1: refused at RCPT with 550 5.7.30, before DATA
post c1 alice@ruled.example bob@plain.insecure.test "$MSG"
check "1: RCPT TO <bob@plain.insecure.test> answered 550 5.7.30 with the reason ($(reply_of c1))" \
	grep -q '^<\*\* *550 5.7.30 REQUIRETLS: plain.insecure.test has no DNSSEC-signed MX with DANE TLSA records and no MTA-STS policy in enforce mode' "$W/swaks.c1"
check "1: the session ended before DATA" test -z "$(grep ' -> DATA' "$W/swaks.c1")"
check "1: postward logged the refusal" \
	grep -Eq "requiretls-rcpt=fail to=<bob@plain.insecure.test> .*action=reject" "$PWLOG"
check "1: Postfix logged NOQUEUE milter-reject at RCPT" \
	grep -q 'NOQUEUE: milter-reject: RCPT from .*550 5.7.30 REQUIRETLS' "$MAILLOG"
# 2: a DANE domain is accepted and delivered
post c2 alice@ruled.example bob@dane.secure.test "$MSG"
check "2: RCPT TO <bob@dane.secure.test> accepted ($(reply_of c2))" accepted c2
check "2: postward logged the DANE pass" \
	grep -Eq "requiretls-rcpt=pass to=<bob@dane.secure.test> .*via=dane" "$PWLOG"
# 3: bogus MX: deferred at RCPT
post c3 alice@ruled.example bob@dom.wrongkey.test "$MSG"
check "3: RCPT TO <bob@dom.wrongkey.test> answered 451 4.7.5 ($(reply_of c3))" \
	grep -q '^<\*\* *451 4.7.5 REQUIRETLS: DNSSEC validation failed for dom.wrongkey.test' "$W/swaks.c3"
# 4: no rule, no REQUIRETLS: no check
post c4 alice@other.example bob@plain.insecure.test "$MSG"
check "4: a message that does not require TLS is accepted for plain.insecure.test ($(reply_of c4))" \
	accepted c4
wait_mail 1 "4"
check "4: delivered to bob@plain.insecure.test" test "$(count_of bob@plain.insecure.test)" = 1
check "2: the message went to the postward-secure transport (TLS required on the way out)" \
	grep -q "postfix/postward-secure/smtp\[[0-9]*\]: $(qid_of c2): to=<bob@dane.secure.test>" "$MAILLOG"
check "no sanitizer report" test -z "$(grep 'Sanitizer\|runtime error' "$PWLOG")"
finish
