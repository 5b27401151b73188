#!/bin/bash
# postfix.sh - end-to-end test of postward behind a private Postfix instance.
#
# usage: [POSTWARD=/abs/path/postward] tests/e2e/postfix.sh [--harness-only] [--keep]
#
# Builds a throw-away Postfix instance under a mktemp -d directory (its own
# config_directory, queue_directory, data_directory and maillog_file; smtpd on
# 127.0.0.1:<free port> only; no DNS), starts postward as its milter and four
# SMTP sinks (tests/e2e/smtpsink.py, one process), wires
# contrib/postfix/{main.cf,master.cf}.snippet and postward_header_checks into
# it (the header checks adapted only in their next-hops, the secure transport
# only in which CA it trusts and which name it expects), sends mail with swaks
# (plain and STARTTLS) and checks which sink got each message:
#   a  TLS-Required: No             -> optional sink, "X-Postward-TLS: optional"
#   b  policy rule (secure.test)    -> secure sink over verified TLS, "required"
#   c  untagged                     -> default sink (relayhost), no tag
#   d  spoofed X-Postward-TLS       -> default sink, spoofed fields gone
#   d2 spoofed tag + policy match   -> secure sink, only postward's tag
#   e  MAIL ... REQUIRETLS          -> 555 5.5.4 from Postfix itself
#   f  required, next hop without STARTTLS    -> stays deferred, nothing sent
#   f2 required, next hop with untrusted cert -> stays deferred, nothing sent
#   g  two TLS-Required fields      -> 550 5.6.0 from postward at end of DATA
#   h  postward stopped             -> 451 4.7.1 (milter_default_action)
#   p  sender practices: every delivered copy carries postward's
#      Authentication-Results (dkim=none; dkim-adsp=nxdomain; dmarc=none for the
#      test's sender domain, answers DNSSEC-validated from the tests/dns fixture);
#      From a p=reject domain without a signature -> 550 5.7.1 at end of DATA
# Prints PASS:/FAIL: lines and one final "N passed, M failed" line; on failure
# also the maillog, postward's log and the queue.
#
# --harness-only: no milter; the routing table is used as plain header_checks
#   so that client-supplied X-Postward-TLS fields route.  This tests the
#   Postfix side, the transports and the sinks without the daemon.
# --keep: do not remove the temporary directory (processes are still stopped).
#
# Needs root, Postfix (postfix, postconf, postqueue), swaks, openssl and
# /usr/bin/python3.  Exit 0 all passed, 1 something failed, 77 skipped.
# The system Postfix instance (/etc/postfix, /var/spool/postfix) is not touched.

set -u
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CONTRIB=$TOP/contrib/postfix
POSTWARD=${POSTWARD:-$HERE/../../milter/postward}
PY=/usr/bin/python3
SINK=$HERE/smtpsink.py

HARNESS_ONLY=0
KEEP=0
for arg in "$@"; do
	case $arg in
	--harness-only) HARNESS_ONLY=1 ;;
	--keep) KEEP=1 ;;
	*) echo "usage: $0 [--harness-only] [--keep]" >&2; exit 2 ;;
	esac
done

skip() { if [ -n "${CI:-}" ]; then echo "FAIL: $* (CI must run every test)"; echo "0 passed, 1 failed"; exit 1; fi; echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (a private Postfix instance is started as root)"
for c in postfix postconf postqueue swaks openssl; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
done
[ -x "$PY" ] || skip "$PY not found"
DAEMON_DIR=$(postconf -dh daemon_directory)	# -d: no system main.cf needed

pass=0
fail=0
ok()  { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() { # check DESCRIPTION command...
	local d=$1; shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

T=$(mktemp -d /tmp/postward-e2e.XXXXXX) || exit 1
chmod 755 "$T"   # Postfix daemons (user postfix) must reach data_directory
CONF=$T/etc
Q=$T/queue
MAILLOG=$T/maillog
PWLOG=$T/postward.log
SINKS=$T/sinks
PKI=$T/pki
mkdir -p "$CONF" "$Q" "$T/data" "$SINKS" "$PKI"
chown postfix "$T/data"

POSTFIX_STARTED=0
PWPID=
SINKPID=
CLEANED=0

# Processes of this test: anything whose command line names $T, or whose
# working directory is under $T (Postfix daemons run in queue_directory).
ours() {
	{
		pgrep -f "$T"
		local p
		for p in /proc/[0-9]*; do
			case $(readlink "$p/cwd" 2>/dev/null) in
			"$T"|"$T"/*) echo "${p#/proc/}" ;;
			esac
		done
	} 2>/dev/null | grep -vx -e "$$" -e "$BASHPID" | sort -u
}

stop_pid() { # stop_pid PID: TERM, wait up to 10 s, then KILL
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
		sleep 0.1
	done
	echo "warning: pid $pid ignored SIGTERM, killing" >&2
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

cleanup() {
	[ "$CLEANED" = 1 ] && return
	CLEANED=1
	local i left
	if [ "$POSTFIX_STARTED" = 1 ]; then
		postfix -c "$CONF" stop >/dev/null 2>&1
		for i in $(seq 100); do
			"$DAEMON_DIR/master" -c "$CONF" -t 2>/dev/null && break
			sleep 0.1
		done
	fi
	stop_pid "$PWPID"
	stop_pid "$SINKPID"
	"$HERE/../dns/fixture.sh" stop "$T/dns" >/dev/null 2>&1
	# Postfix children exit when master goes; give them (and a reload's
	# background postsuper) a bounded moment.
	for i in $(seq 100); do
		left=$(ours)
		[ -z "$left" ] && break
		sleep 0.1
	done
	if [ -n "$left" ]; then
		bad "no processes left behind (still running: $(echo $left))"
		ps -o pid,ppid,args -p "$(echo $left | tr ' ' ,)" 2>/dev/null | sed 's/^/| /'
		for i in $left; do kill -KILL "$i" 2>/dev/null; done
	else
		ok "no processes left behind (pgrep -f $T and /proc/*/cwd are empty)"
	fi
}

show_logs() {
	local f
	for f in "$MAILLOG" "$PWLOG"; do
		[ -s "$f" ] || continue
		echo "----- $f -----"
		sed 's/^/| /' "$f"
	done
	if [ -f "$CONF/main.cf" ] && [ -d "$Q/deferred" ]; then
		echo "----- postqueue -p -----"
		postqueue -c "$CONF" -p 2>&1 | sed 's/^/| /'
	fi
}

FINISHED=0
finish() {
	[ "$FINISHED" = 1 ] && return
	FINISHED=1
	cleanup
	[ "$fail" -gt 0 ] && show_logs
	if [ "$KEEP" = 1 ]; then
		echo "kept $T"
	else
		rm -rf "$T"
		[ -e "$T" ] && bad "temporary directory $T removed"
	fi
	echo "$pass passed, $fail failed"
	# explicit: a bare "exit" inside the EXIT trap would keep the status of the
	# script's own "exit 0"
	if [ "$fail" -eq 0 ]; then exit 0; else exit 1; fi
}

abort() { # abort MESSAGE: a setup step failed, the rest cannot run
	bad "$*"
	finish
}

trap 'finish' EXIT
trap 'bad "interrupted by a signal"; exit 1' INT TERM HUP

free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_until SECONDS command...: poll every 0.1 s
wait_until() {
	local n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	"$@"
}

# ---------------------------------------------------------------- certificates
# A test CA; the "secure" sink's certificate is issued by it for
# sink.postward-e2e.test; smtpd gets a self-signed certificate.
SINKNAME=sink.postward-e2e.test
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$PKI/ca.key" -out "$PKI/ca.crt" -days 2 -subj "/CN=postward e2e test CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$PKI/sink.key" -out "$PKI/sink.csr" -subj "/CN=$SINKNAME" &&
	printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		"$SINKNAME" >"$PKI/sink.ext" &&
	openssl x509 -req -in "$PKI/sink.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
		-CAcreateserial -days 2 -extfile "$PKI/sink.ext" -out "$PKI/sink.crt" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$PKI/smtpd.key" -out "$PKI/smtpd.crt" -days 2 -subj "/CN=mx.postward-e2e.test" \
		-addext subjectAltName=DNS:mx.postward-e2e.test
} >"$PKI/openssl.log" 2>&1 || { cat "$PKI/openssl.log"; abort "test certificates created"; }
# An untrusted certificate for the "optional" sink (opportunistic TLS does not verify).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$PKI/opt.key" -out "$PKI/opt.crt" -days 2 -subj "/CN=optional.invalid" \
	>>"$PKI/openssl.log" 2>&1 || abort "test certificates created"

# ---------------------------------------------------------------------- sinks
#   default  untagged mail (relayhost)                     no STARTTLS
#   optional postward-optional                             STARTTLS, untrusted cert
#   secure   postward-secure                               STARTTLS, test-CA cert
#   notls    postward-secure in the second scenario (f)    no STARTTLS
"$PY" "$SINK" "$T/sinks.ready" \
	"default=$SINKS/default" \
	"optional=$SINKS/optional,cert=$PKI/opt.crt,key=$PKI/opt.key" \
	"secure=$SINKS/secure,cert=$PKI/sink.crt,key=$PKI/sink.key" \
	"notls=$SINKS/notls" \
	>"$T/sinks.log" 2>&1 &
SINKPID=$!
wait_until 10 test -s "$T/sinks.ready" || { cat "$T/sinks.log"; abort "SMTP sinks started"; }
sink_port() { awk -v n="$1" '$1 == n { print $2 }' "$T/sinks.ready"; }
P_DEFAULT=$(sink_port default)
P_OPTIONAL=$(sink_port optional)
P_SECURE=$(sink_port secure)
P_NOTLS=$(sink_port notls)

# -------------------------------------------------------------------- postward
P_SMTPD=$(free_port)
P_MILTER=$(free_port)
if [ "$HARNESS_ONLY" = 0 ]; then
	[ -x "$POSTWARD" ] || abort "postward binary $POSTWARD exists (build it, or set POSTWARD=)"
	cat >"$T/policy" <<-EOF
	# e2e test policy
	require_tls recipient_domain secure.test
	EOF
	# DNS for DKIM keys and sender practices: the DNSSEC fixture (no other DNS here)
	"$HERE/../dns/fixture.sh" start "$T/dns" >"$T/dns.log" 2>&1 ||
		{ cat "$T/dns.log"; abort "DNS fixture (tests/dns/fixture.sh) starts"; }
	. "$T/dns/env"
	cat >"$T/postward.conf" <<-EOF
	milter_socket = inet:$P_MILTER@127.0.0.1
	log_level = debug
	policy_files = $T/policy
	tls_required_unknown = ignore
	internal_error_action = tempfail
	dns_nameservers = $DNS_SERVER
	dns_trust_anchor_file = $TRUST_ANCHOR
	dns_timeout = 2
	authserv_id = pw-e2e.test
	# REQUIRETLS recipient checks at RCPT have their own test (tests/requiretls/postfix.sh)
	requiretls_recipient_check = off
	EOF
	"$POSTWARD" -n -c "$T/postward.conf" >"$T/postward-n.log" 2>&1 ||
		{ cat "$T/postward-n.log"; abort "postward -n accepts the test configuration"; }
	"$POSTWARD" -f -c "$T/postward.conf" -p "inet:$P_MILTER@127.0.0.1" 2>"$PWLOG" &
	PWPID=$!
	pw_listening() { grep -q "listening on" "$PWLOG" || ! kill -0 "$PWPID" 2>/dev/null; }
	wait_until 10 pw_listening
	kill -0 "$PWPID" 2>/dev/null && grep -q "listening on" "$PWLOG" ||
		{ cat "$PWLOG"; abort "postward started and listening on inet:$P_MILTER@127.0.0.1"; }
fi

# ------------------------------------------------------------ postfix instance
# Routing table: contrib's postward_header_checks with only the next-hops
# filled in, so that each transport delivers to its own sink.
adapt_checks() { # adapt_checks SECURE_PORT
	sed -e "s/FILTER postward-secure:\$/FILTER postward-secure:[127.0.0.1]:$1/" \
	    -e "s/FILTER postward-optional:\$/FILTER postward-optional:[127.0.0.1]:$P_OPTIONAL/" \
	    "$CONTRIB/postward_header_checks" >"$CONF/postward_header_checks.new" &&
	mv "$CONF/postward_header_checks.new" "$CONF/postward_header_checks"
}
adapt_checks "$P_SECURE"
grep -q "^/.*FILTER postward-secure:\[127.0.0.1\]:$P_SECURE\$" "$CONF/postward_header_checks" &&
grep -q "^/.*FILTER postward-optional:\[127.0.0.1\]:$P_OPTIONAL\$" "$CONF/postward_header_checks" ||
	abort "contrib/postfix/postward_header_checks has the expected FILTER lines"

# main.cf: contrib/postfix/main.cf.snippet followed by this instance's own
# settings (none of which the snippet sets).
{
	cat "$CONTRIB/main.cf.snippet"
	cat <<-EOF

	# ---- private e2e instance
	compatibility_level = 3.6
	queue_directory = $Q
	data_directory = $T/data
	maillog_file = $MAILLOG
	maillog_file_prefixes = $T
	inet_interfaces = loopback-only
	inet_protocols = ipv4
	myhostname = mx.postward-e2e.test
	mydomain = postward-e2e.test
	myorigin = \$myhostname
	mydestination =
	relay_domains =
	local_recipient_maps =
	alias_maps =
	alias_database =
	mynetworks = 127.0.0.0/8
	relayhost = [127.0.0.1]:$P_DEFAULT
	smtp_dns_support_level = disabled
	smtp_host_lookup = native
	smtp_connect_timeout = 5s
	smtp_tls_loglevel = 1
	smtpd_tls_security_level = may
	smtpd_tls_cert_file = $PKI/smtpd.crt
	smtpd_tls_key_file = $PKI/smtpd.key
	smtpd_tls_loglevel = 1
	smtpd_tls_received_header = yes
	delay_warning_time = 0
	biff = no
	EOF
} >"$CONF/main.cf"
# The snippet's milter and table settings, pointed at this instance
# (postconf -e replaces the snippet's lines in place).
if [ "$HARNESS_ONLY" = 0 ]; then
	postconf -c "$CONF" -e "smtpd_milters = inet:127.0.0.1:$P_MILTER" \
		"milter_header_checks = regexp:$CONF/postward_header_checks"
else
	postconf -c "$CONF" -e "smtpd_milters =" "non_smtpd_milters =" "milter_header_checks =" \
		"header_checks = regexp:$CONF/postward_header_checks"
fi || abort "postconf -e on the instance main.cf"

# master.cf: only what this instance needs, one smtpd on 127.0.0.1:P_SMTPD,
# no chroot; then contrib/postfix/master.cf.snippet verbatim.
cat >"$CONF/master.cf" <<EOF
127.0.0.1:$P_SMTPD inet n - n - - smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
flush     unix  n       -       n       1000?   0       flush
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd

EOF
# the snippet's list re-injection service moves to a free port, its cleanup reads this
# instance's postward_header_checks
P_REINJECT=$(free_port)
sed -e "s|^127\.0\.0\.1:10026 |127.0.0.1:$P_REINJECT |" \
	-e "s|regexp:/etc/postfix/postward_header_checks|regexp:$CONF/postward_header_checks|" \
	"$CONTRIB/master.cf.snippet" >>"$CONF/master.cf"
# The secure transport must trust the test CA (instead of the system store),
# and the next-hop is an IP literal, so name the certificate explicitly.
postconf -c "$CONF" -P \
	"postward-secure/unix/smtp_tls_CAfile=$PKI/ca.crt" \
	"postward-secure/unix/smtp_tls_secure_cert_match=$SINKNAME" ||
	abort "postconf -P on the postward-secure service"

postconf -c "$CONF" -n >"$T/postconf-n.out" 2>&1
postfix -c "$CONF" check >"$T/check.out" 2>&1
check "postfix -c DIR check accepts the configuration built from contrib/postfix" \
	test ! -s "$T/check.out"
[ -s "$T/check.out" ] && sed 's/^/| /' "$T/check.out"
grep -q "^smtpd_milters = inet:127.0.0.1:$P_MILTER\$\|^smtpd_milters =\$" "$T/postconf-n.out" &&
grep -q "^milter_default_action = tempfail\$" "$T/postconf-n.out" ||
	{ cat "$T/postconf-n.out"; abort "postconf -n shows the expected milter settings"; }

postfix -c "$CONF" start >"$T/start.out" 2>&1 ||
	{ cat "$T/start.out"; abort "postfix -c $CONF start"; }
POSTFIX_STARTED=1
MASTERPID=$(tr -d ' ' <"$Q/pid/master.pid")
listeners=$(ss -Hltnp 2>/dev/null | grep -F "pid=$MASTERPID," |
	awk '{ print $4 }' | sort -u | tr '\n' ' ')
want_listeners=$(printf '127.0.0.1:%s\n' "$P_SMTPD" "$P_REINJECT" | sort -u | tr '\n' ' ')
check "the private instance listens on 127.0.0.1:$P_SMTPD and the re-injection port $P_REINJECT only (got: $listeners)" \
	test "$listeners" = "$want_listeners"

# ------------------------------------------------------------------- helpers
RUN=$$
n=0
# newtoken LABEL: sets $tok to a token unique in this run (and no prefix of another)
newtoken() { n=$((n + 1)); tok="pw-e2e-$RUN-$n-$1-end"; }

# send NAME TOKEN TO [swaks options...]: output in $T/swaks.NAME
send() {
	local name=$1 tok=$2 to=$3; shift 3
	swaks --server 127.0.0.1 --port "$P_SMTPD" --helo client.postward-e2e.test \
		--from "sender@client.postward-e2e.test" --to "$to" \
		--header "Subject: $tok" --body "token $tok" "$@" >"$T/swaks.$name" 2>&1
}

# where TOKEN: names of the sinks whose delivered copies contain TOKEN
where() { grep -lF -- "$1" "$SINKS"/*/*.eml 2>/dev/null | awk -F/ '{ print $(NF-1) }' | sort -u | tr '\n' ' '; }
file_of() { grep -lF -- "$1" "$SINKS/$2"/*.eml 2>/dev/null | head -1; }
delivered() { [ -n "$(where "$1")" ]; }

# ar_of FILE: the first Authentication-Results field of a delivered copy, unfolded
# (postward inserts its own at the top, under the MTA's Received: field)
ar_of() {
	tr -d '\r' <"$1" | awk '
		/^$/ { exit }
		/^[ \t]/ { if (cur) f = f $0; next }
		{ cur = 0 }
		f == "" && tolower($0) ~ /^authentication-results:/ { f = $0; cur = 1 }
		END { print f }' | sed 's/[ \t][ \t]*/ /g'
}

# expect_sink LABEL TOKEN SINK: wait (bounded) for delivery, then check the sink
expect_sink() {
	local label=$1 tok=$2 want=$3 got
	wait_until 30 delivered "$tok"
	got=$(where "$tok")
	if [ "$got" = "$want " ]; then
		ok "$label: delivered to the $want sink"
		return 0
	fi
	bad "$label: delivered to the $want sink (got: ${got:-nothing within 30 s})"
	sed 's/^/| /' "$T/swaks.$label" 2>/dev/null | tail -15
	return 1
}

# tag_lines FILE: the X-Postward-TLS fields of a delivered copy (any case)
tag_lines() { grep -i '^X-Postward-TLS[[:space:]]*:' "$1" | tr -d '\r'; }

meta_tls() { sed -n 's/^tls: //p' "${1%.eml}.meta"; }

swaks_ok() { grep -Eq '^<[-~] +250 .*queued as' "$T/swaks.$1"; }

# ------------------------------------------------------------------- tests
if [ "$HARNESS_ONLY" = 1 ]; then
	# Client-supplied tags route via header_checks (no milter in this mode).
	for mode in plain tls; do
		[ $mode = tls ] && tls=-tls || tls=
		newtoken opt
		send h-opt-$mode "$tok" u@dest.test $tls --header "X-Postward-TLS: optional"
		expect_sink h-opt-$mode "$tok" optional
		newtoken req
		send h-req-$mode "$tok" u@dest.test $tls --header "X-Postward-TLS: required"
		if expect_sink h-req-$mode "$tok" secure; then
			f=$(file_of "$tok" secure)
			check "h-req-$mode: secure sink session used TLS ($(meta_tls "$f"))" \
				test "$(meta_tls "$f")" != no
		fi
		newtoken none
		send h-none-$mode "$tok" u@dest.test $tls
		expect_sink h-none-$mode "$tok" default
	done
	check "maillog: postward-secure verified the sink certificate" \
		grep -q "postfix/postward-secure/smtp\[[0-9]*\]: Verified TLS connection established to 127.0.0.1\[127.0.0.1\]:$P_SECURE" "$MAILLOG"
fi

if [ "$HARNESS_ONLY" = 0 ]; then
	for mode in plain tls; do
		[ $mode = tls ] && tls=-tls || tls=

		# a) TLS-Required: No -> optional
		newtoken a
		send a-$mode "$tok" user@dest.test $tls --header "TLS-Required: No"
		if expect_sink "a-$mode" "$tok" optional; then
			f=$(file_of "$tok" optional)
			check "a-$mode: delivered copy has exactly \"X-Postward-TLS: optional\" (got: $(tag_lines "$f" | tr '\n' '|'))" \
				test "$(tag_lines "$f")" = "X-Postward-TLS: optional"
			check "a-$mode: TLS-Required field kept in the delivered copy" \
				grep -qi '^TLS-Required: No' "$f"
		fi

		# b) policy rule recipient_domain secure.test -> secure, over verified TLS
		newtoken b
		send b-$mode "$tok" someone@secure.test $tls
		if expect_sink "b-$mode" "$tok" secure; then
			f=$(file_of "$tok" secure)
			check "b-$mode: secure sink session used TLS ($(meta_tls "$f"))" \
				test "$(meta_tls "$f")" != no
			check "b-$mode: delivered copy has exactly \"X-Postward-TLS: required\" (got: $(tag_lines "$f" | tr '\n' '|'))" \
				test "$(tag_lines "$f")" = "X-Postward-TLS: required"
		fi

		# c) untagged -> default (relayhost), no tag
		newtoken c
		send c-$mode "$tok" user@dest.test $tls
		if expect_sink "c-$mode" "$tok" default; then
			f=$(file_of "$tok" default)
			check "c-$mode: delivered copy has no X-Postward-TLS field (got: $(tag_lines "$f" | tr '\n' '|'))" \
				test -z "$(tag_lines "$f")"
			# p) postward's Authentication-Results, first in the header, in the delivered copy
			ar=$(ar_of "$f")
			want="Authentication-Results: pw-e2e.test; dkim=none; dkim-adsp=nxdomain (author domain does not exist; DNSSEC secure) header.from=client.postward-e2e.test; dmarc=none (no record; DNSSEC secure) header.from=client.postward-e2e.test"
			check "p-$mode: delivered copy carries postward's Authentication-Results (got: $ar)" \
				test "$ar" = "$want"
		fi

		# p) sender practices: From a secure p=reject domain, unsigned -> 550 5.7.1 at DATA
		newtoken p
		send p-$mode "$tok" user@dest.test $tls --header "From: <alice@secure.test>"
		if grep -Eq '^<(\*\*|~\*) +550 5\.7\.1 Rejected by the DMARC policy of secure\.test' "$T/swaks.p-$mode"; then
			ok "p-$mode: unsigned mail from a DNSSEC-secure p=reject domain refused by Postfix with postward's 550 5.7.1"
		else
			bad "p-$mode: unsigned mail from a DNSSEC-secure p=reject domain refused with 550 5.7.1"
			sed 's/^/| /' "$T/swaks.p-$mode" | tail -12
		fi

		# d) spoofed tags from the client on untagged mail -> default, tags gone
		newtoken d
		send d-$mode "$tok" user@dest.test $tls \
			--add-header "X-Postward-TLS: required" --add-header "x-postward-tls: optional"
		if expect_sink "d-$mode" "$tok" default; then
			f=$(file_of "$tok" default)
			check "d-$mode: spoofed X-Postward-TLS fields removed (got: $(tag_lines "$f" | tr '\n' '|'))" \
				test -z "$(tag_lines "$f")"
		fi

		# d2) spoofed "optional" on policy-matched mail -> secure, one "required"
		newtoken d2
		send d2-$mode "$tok" someone@secure.test $tls --add-header "X-Postward-TLS: optional"
		if expect_sink "d2-$mode" "$tok" secure; then
			f=$(file_of "$tok" secure)
			check "d2-$mode: only postward's \"X-Postward-TLS: required\" in the delivered copy (got: $(tag_lines "$f" | tr '\n' '|'))" \
				test "$(tag_lines "$f")" = "X-Postward-TLS: required"
		fi

		# g) two TLS-Required fields -> 550 5.6.0 from the milter, nothing delivered
		newtoken g
		send g-$mode "$tok" user@dest.test $tls \
			--add-header "TLS-Required: No" --add-header "TLS-Required: No"
		if grep -Eq '^<(\*\*|~\*) +550 5\.6\.0 ' "$T/swaks.g-$mode"; then
			ok "g-$mode: two TLS-Required fields rejected with 550 5.6.0 ($(grep -Em1 '^<(\*\*|~\*) +550' "$T/swaks.g-$mode" | cut -c5-))"
		else
			bad "g-$mode: two TLS-Required fields rejected with 550 5.6.0"
			sed 's/^/| /' "$T/swaks.g-$mode" | tail -12
		fi
	done
	check "maillog: postward-secure verified the sink certificate (Verified TLS connection ... :$P_SECURE)" \
		grep -q "postfix/postward-secure/smtp\[[0-9]*\]: Verified TLS connection established to 127.0.0.1\[127.0.0.1\]:$P_SECURE" "$MAILLOG"
	check "maillog: postward-optional delivered with opportunistic TLS to :$P_OPTIONAL" \
		grep -q "postfix/postward-optional/smtp\[[0-9]*\]: Untrusted TLS connection established to 127.0.0.1\[127.0.0.1\]:$P_OPTIONAL" "$MAILLOG"
fi

# e) the REQUIRETLS MAIL parameter: Postfix itself refuses it (555 5.5.4) before
#    any milter sees the MAIL command, and does not advertise REQUIRETLS.
requiretls_probe() { # requiretls_probe plain|tls
	"$PY" - "$P_SMTPD" "$1" <<-'EOF'
	import smtplib, sys
	s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.postward-e2e.test", timeout=30)
	s.ehlo()
	if sys.argv[2] == "tls":
	    s.starttls()
	    s.ehlo()
	print("EHLO advertises REQUIRETLS:", "yes" if s.has_extn("requiretls") else "no")
	code, msg = s.mail("sender@client.postward-e2e.test", ["REQUIRETLS"])
	print("MAIL reply: %d %s" % (code, msg.decode()))
	s.quit()
	EOF
}
for mode in plain tls; do
	requiretls_probe $mode >"$T/requiretls.$mode" 2>&1
	reply=$(sed -n 's/^MAIL reply: //p' "$T/requiretls.$mode")
	case $reply in
	"555 5.5.4"*) ok "e-$mode: MAIL FROM:<...> REQUIRETLS refused by Postfix itself: $reply" ;;
	*) bad "e-$mode: MAIL FROM:<...> REQUIRETLS refused by Postfix itself with 555 5.5.4 (got: ${reply:-$(tail -1 "$T/requiretls.$mode")})" ;;
	esac
	check "e-$mode: Postfix does not advertise REQUIRETLS in EHLO" \
		grep -q "^EHLO advertises REQUIRETLS: no" "$T/requiretls.$mode"
done
if [ "$HARNESS_ONLY" = 0 ]; then
	# the milter never saw a MAIL command with REQUIRETLS
	check "e: postward never saw the REQUIRETLS parameter (no reason=mail-parameter / 5.7.10 in its log)" \
		eval '! grep -q "reason=mail-parameter\|5\.7\.10" "$PWLOG"'
fi

# f) "required" mail whose secure next hop offers no STARTTLS: not sent in
#    clear, stays deferred.  Second scenario: the same routing table with the
#    secure next-hop pointed at the "notls" sink; postfix reload.
# f2) the same with a next hop that offers STARTTLS with a certificate the
#    transport does not trust (the "optional" sink's): deferred too.
reloads() { grep -c "postfix/master\[[0-9]*\]: reload " "$MAILLOG"; }
reload_with_secure_port() { # reload_with_secure_port LABEL PORT
	local r0
	adapt_checks "$2"
	r0=$(reloads)
	postfix -c "$CONF" reload >"$T/reload.out" 2>&1 || { cat "$T/reload.out"; bad "$1: postfix reload"; }
	reloaded() { [ "$(reloads)" -gt "$r0" ]; }
	wait_until 10 reloaded || bad "$1: master logged the reload"
}
# expect_deferred LABEL RCPT REASON-REGEX
expect_deferred() {
	local label=$1 rcpt=$2 re=$3
	check "$label: message accepted by Postfix" swaks_ok "$label"
	deferred_for_rcpt() {
		postqueue -c "$CONF" -p 2>/dev/null >"$T/postqueue.out"
		grep -A2 "^[0-9A-F]" "$T/postqueue.out" | grep -qF "$rcpt" &&
		grep -Eq "$re" "$T/postqueue.out"
	}
	if wait_until 30 deferred_for_rcpt; then
		ok "$label: message for $rcpt stays deferred: $(grep -Eo "\\((${re#^})[^)]*\\)" "$T/postqueue.out" | head -1)"
	else
		bad "$label: message for $rcpt deferred (postqueue -p reason matching /$re/)"
		sed 's/^/| /' "$T/postqueue.out"
	fi
	check "$label: nothing was delivered (no sink got the message)" test -z "$(where "$label-$RUN")"
	check "$label: maillog shows postward-secure deferring it" \
		grep -Eq "postfix/postward-secure/smtp\[[0-9]+\]: .*to=<$rcpt>.*status=deferred \(($re)" "$MAILLOG"
}
send_required() { # send_required LABEL RCPT-LOCALPART
	if [ "$HARNESS_ONLY" = 0 ]; then
		send "$1" "$1-$RUN" "$2@secure.test" -tls
	else
		send "$1" "$1-$RUN" "$2@dest.test" -tls --header "X-Postward-TLS: required"
	fi
}
[ "$HARNESS_ONLY" = 0 ] && dom=secure.test || dom=dest.test

reload_with_secure_port f "$P_NOTLS"
send_required f "f-$RUN"
expect_deferred f "f-$RUN@$dom" "TLS is required, but was not offered by host 127\.0\.0\.1\[127\.0\.0\.1\]"

reload_with_secure_port f2 "$P_OPTIONAL"
send_required f2 "f2-$RUN"
expect_deferred f2 "f2-$RUN@$dom" "Server certificate not (trusted|verified)"

# h) postward not running: milter_default_action = tempfail makes Postfix
#    refuse the mail with a 4xx reply instead of passing it on untagged.
if [ "$HARNESS_ONLY" = 0 ]; then
	stop_pid "$PWPID"
	PWPID=
	newtoken h
	send h "$tok" user@secure.test
	if grep -Eq '^<(\*\*|~\*) +4[0-9][0-9] ' "$T/swaks.h" && ! swaks_ok h; then
		ok "h: postward stopped -> mail temporarily refused ($(grep -Em1 '^<(\*\*|~\*) +4' "$T/swaks.h" | cut -c5-))"
	else
		bad "h: postward stopped -> mail temporarily refused (milter_default_action = tempfail)"
		sed 's/^/| /' "$T/swaks.h" | tail -12
	fi
	check "h: nothing delivered while postward is down" test -z "$(where "$tok")"
fi

exit 0
