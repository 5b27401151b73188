#!/bin/bash
# tests/requiretls/postfix.sh - REQUIRETLS at RCPT end to end: a private Postfix instance on
# loopback with postward as its milter, postward's resolver pointed at the DNSSEC fixture
# (tests/dns/fixture.sh).  Postfix 3.7 itself refuses the REQUIRETLS MAIL parameter (555), so
# the message is marked by a require_tls policy rule on the sender domain (ruled.example),
# which postward applies at RCPT:
#   1 RCPT TO <bob@plain.insecure.test> (unsigned MX, no MTA-STS): the SMTP client sees
#     "550 5.7.30 REQUIRETLS: plain.insecure.test has no DNSSEC-signed MX ..." at RCPT, before
#     DATA, and nothing is queued;
#   2 RCPT TO <bob@dane.secure.test> (signed MX, signed A, TLSA 3 1 1): accepted, the message
#     is queued;
#   3 RCPT TO <bob@dom.wrongkey.test> (bogus MX): 451 4.7.5 at RCPT;
#   4 the same sender without a rule match (other.example) to plain.insecure.test: accepted.
# Nothing of the system Postfix (/etc/postfix, /var/spool/postfix) is touched.
# usage: [POSTWARD=/abs/path/postward] tests/requiretls/postfix.sh [--keep]
# Needs root, Postfix, swaks, nsd and ldnsutils (fixture.sh installs them).
# Ends with "N passed, M failed"; exit 0 all passed, 1 a failure, 77 skipped.
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
POSTWARD=${POSTWARD:-$TOP/milter/postward}
PY=/usr/bin/python3
KEEP=0
[ "${1:-}" = --keep ] && KEEP=1
pass=0
fail=0
ok() { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
skip() { if [ -n "${CI:-}" ]; then echo "FAIL: $* (CI must run every test)"; echo "0 passed, 1 failed"; exit 1; fi; echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (a private Postfix instance is started as root)"
for c in postfix postconf postqueue swaks; do command -v "$c" >/dev/null 2>&1 || skip "$c not installed"; done
[ -x "$POSTWARD" ] || { bad "postward binary $POSTWARD"; echo "0 passed, 1 failed"; exit 1; }

T=$(mktemp -d /tmp/pw-rtls-postfix.XXXXXX) || exit 1
chmod 755 "$T"
CONF=$T/etc
Q=$T/queue
MAILLOG=$T/maillog
mkdir -p "$CONF" "$Q" "$T/data" "$T/records"
chown postfix "$T/data"
STARTED=0
PWPID=
DAEMON_DIR=$(postconf -dh daemon_directory)
finish() {
	trap - EXIT
	if [ "$fail" -gt 0 ]; then
		echo "----- maillog (tail)"; tail -30 "$MAILLOG" 2>/dev/null | sed 's/^/| /'
		echo "----- postward log (tail)"; tail -30 "$T/pw.log" 2>/dev/null | sed 's/^/| /'
	fi
	if [ "$STARTED" = 1 ]; then
		postfix -c "$CONF" stop >/dev/null 2>&1
		for _ in $(seq 100); do "$DAEMON_DIR/master" -c "$CONF" -t 2>/dev/null && break; sleep 0.1; done
	fi
	[ -n "$PWPID" ] && kill "$PWPID" 2>/dev/null && wait "$PWPID" 2>/dev/null
	"$TOP/tests/dns/fixture.sh" stop "$T/dns" >/dev/null 2>&1
	[ "$KEEP" = 1 ] && echo "kept $T" || rm -rf "$T"
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}
trap finish EXIT
abort() { bad "$*"; finish; }
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- DNS
H=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
cat > "$T/records/secure.test.records" <<EOR
dane MX 10 mx.dane
mx.dane A 127.0.0.1
_25._tcp.mx.dane TLSA 3 1 1 $H
EOR
cat > "$T/records/insecure.test.records" <<EOR
plain MX 10 mx.plain
mx.plain A 127.0.0.1
EOR
cat > "$T/records/wrongkey.test.records" <<EOR
dom MX 10 mx.dom
EOR
"$TOP/tests/dns/fixture.sh" start "$T/dns" "$T/records" > "$T/dns.log" 2>&1 ||
	abort "DNS fixture: $(tail -3 "$T/dns.log")"
. "$T/dns/env"

# ---- postward
P_SMTPD=$(free_port)
P_MILTER=$(free_port)
echo "require_tls sender_domain ruled.example" > "$T/rtls.policy"
cat > "$T/pw.conf" <<EOF
milter_socket = inet:$P_MILTER@127.0.0.1
sender_practices =
dns_nameservers = $DNS_SERVER
dns_trust_anchor_file = $TRUST_ANCHOR
dns_timeout = 2
policy_files = $T/rtls.policy
EOF
"$POSTWARD" -n -c "$T/pw.conf" > "$T/pw-n.out" 2>&1 || abort "postward -n: $(cat "$T/pw-n.out")"
"$POSTWARD" -f -c "$T/pw.conf" 2> "$T/pw.log" &
PWPID=$!
for _ in $(seq 200); do grep -q "listening on" "$T/pw.log" && break; kill -0 "$PWPID" 2>/dev/null || break; sleep 0.05; done
grep -q "listening on" "$T/pw.log" && ok "postward listening (check at RCPT on, by default)" ||
	abort "postward did not start: $(tail -3 "$T/pw.log")"

# ---- Postfix
cat > "$CONF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $Q
data_directory = $T/data
maillog_file = $MAILLOG
maillog_file_prefixes = $T
inet_interfaces = loopback-only
inet_protocols = ipv4
myhostname = mx.pw-rtls.test
mydestination =
relay_domains =
local_recipient_maps =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
smtp_dns_support_level = disabled
# nothing leaves this instance: accepted mail is discarded (the error transport would make
# smtpd refuse the recipients itself, before the milter)
default_transport = discard:no outside delivery in this test
relay_transport = discard:no outside delivery in this test
smtpd_milters = inet:127.0.0.1:$P_MILTER
milter_default_action = tempfail
delay_warning_time = 0
biff = no
EOF
cat > "$CONF/master.cf" <<EOF
127.0.0.1:$P_SMTPD inet n - n - - smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
postfix -c "$CONF" check > "$T/check.out" 2>&1
[ ! -s "$T/check.out" ] && ok "postfix -c DIR check accepts the instance" || bad "postfix check: $(cat "$T/check.out")"
postfix -c "$CONF" start > "$T/start.out" 2>&1 || abort "postfix start: $(cat "$T/start.out")"
STARTED=1
smtpd_up() { "$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$P_SMTPD" 2>/dev/null; }
for _ in $(seq 100); do smtpd_up && break; sleep 0.1; done
smtpd_up || abort "the instance's smtpd on 127.0.0.1:$P_SMTPD"

send() {	# send NAME FROM TO: the session in $T/NAME.out, swaks' status in $rc
	timeout 60 swaks --server 127.0.0.1 --port "$P_SMTPD" --helo client.test --from "$2" \
		--to "$3" --header "Subject: $1" --body "REQUIRETLS at RCPT, case $1" > "$T/$1.out" 2>&1
	rc=$?
}
# 1: refused at RCPT with 550 5.7.30, before DATA
send c1 alice@ruled.example bob@plain.insecure.test
grep -q '^<\*\* *550 5.7.30 REQUIRETLS: plain.insecure.test has no DNSSEC-signed MX with DANE TLSA records and no MTA-STS policy in enforce mode' "$T/c1.out" &&
	ok "1: RCPT TO <bob@plain.insecure.test> answered 550 5.7.30 with the reason" ||
	bad "1: no 550 5.7.30 at RCPT: $(grep -E '^(<|\*)' "$T/c1.out" | tr '\n' '|')"
grep -q ' -> DATA' "$T/c1.out" && bad "1: the client got to DATA" || ok "1: the session ended before DATA (the recipient was the only one)"
grep -Eq "requiretls-rcpt=fail to=<bob@plain.insecure.test> .*action=reject" "$T/pw.log" &&
	ok "1: postward logged the refusal" || bad "1: no log line: $(grep requiretls-rcpt "$T/pw.log")"
grep -q 'NOQUEUE: milter-reject: RCPT from .*550 5.7.30 REQUIRETLS' "$MAILLOG" &&
	ok "1: Postfix logged NOQUEUE milter-reject at RCPT" || bad "1: maillog: $(grep -i reject "$MAILLOG")"
# 2: a DANE domain is accepted
send c2 alice@ruled.example bob@dane.secure.test
[ "$rc" = 0 ] && grep -q '^<- *250 2.0.0 Ok: queued' "$T/c2.out" &&
	ok "2: RCPT TO <bob@dane.secure.test> accepted, message queued" ||
	bad "2: status $rc: $(grep -E '^(<|\*)' "$T/c2.out" | tr '\n' '|')"
grep -Eq "requiretls-rcpt=pass to=<bob@dane.secure.test> .*via=dane" "$T/pw.log" &&
	ok "2: postward logged the DANE pass" || bad "2: no log line: $(grep requiretls-rcpt "$T/pw.log")"
# 3: bogus MX: deferred at RCPT
send c3 alice@ruled.example bob@dom.wrongkey.test
grep -q '^<\*\* *451 4.7.5 REQUIRETLS: DNSSEC validation failed for dom.wrongkey.test' "$T/c3.out" &&
	ok "3: RCPT TO <bob@dom.wrongkey.test> answered 451 4.7.5" ||
	bad "3: $(grep -E '^(<|\*)' "$T/c3.out" | tr '\n' '|')"
# 4: no rule, no REQUIRETLS: no check
send c4 alice@other.example bob@plain.insecure.test
[ "$rc" = 0 ] && grep -q '^<- *250 2.0.0 Ok: queued' "$T/c4.out" &&
	ok "4: a message that does not require TLS is accepted for plain.insecure.test" ||
	bad "4: status $rc: $(grep -E '^(<|\*)' "$T/c4.out" | tr '\n' '|')"
grep -q 'Sanitizer\|runtime error' "$T/pw.log" && bad "sanitizer report: $(grep -m3 'Sanitizer\|runtime error' "$T/pw.log")" ||
	ok "no sanitizer report"
finish
