#!/bin/bash
# tests/dns/selftest.sh - self-test of the DNS fixture (tests/dns/fixture.sh).
#
# Starts the fixture in a temporary directory, checks NSD's raw answers with drill, then checks
# every row of tests/dns/expected.tsv against an independent validator, Debian's unbound-host,
# using the fixture's trust anchor (fixture.sh validate), and checks that records files,
# restarting in the same directory and stopping work.  Prints PASS/FAIL per check and
# "N passed, M failed" last; exit 0 all passed, 1 something failed.  The fixture is stopped and
# the directory removed whatever happens (--keep keeps the directory).

set -u
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
FIXTURE=$HERE/fixture.sh
EXPECTED=$HERE/expected.tsv
KEEP=0
[ "${1:-}" = --keep ] && KEEP=1

pass=0
fail=0
ok()  { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() { # check DESCRIPTION command...
	local d=$1; shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}

T=$(mktemp -d /tmp/postward-dns.XXXXXX) || { bad "mktemp"; finish; }
FX=$T/fixture
cleanup() {
	"$FIXTURE" stop "$FX" >/dev/null 2>&1 || true
	if [ "$KEEP" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'bad "interrupted"; finish' INT TERM

# Records appended by RECORDS_DIR (the way later tests publish DKIM keys and policies).
R=$T/records
mkdir -p "$R"
cat >"$R/secure.test.records" <<'EOF'
sel1._domainkey	TXT	"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
_dmarc.extra	TXT	"v=DMARC1; p=none"
absolute.secure.test.	TXT	"absolute name"
EOF
cat >"$R/nsec3.test.records" <<'EOF'
sel1._domainkey	TXT	"v=DKIM1; k=rsa; p=MIGfMA0" "GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"
EOF
cat >"$R/insecure.test.records" <<'EOF'
_adsp._domainkey.extra	TXT	"dkim=discardable"
EOF

start_out=$T/start.out
if ! "$FIXTURE" start "$FX" "$R" 2>"$start_out"; then
	cat "$start_out"
	bad "fixture.sh start"
	finish
fi
ok "fixture.sh start ($(tail -1 "$start_out"))"

# --- the environment file ---------------------------------------------------------------
DNS_PORT="" DNS_SERVER="" TRUST_ANCHOR="" TRUST_ANCHOR_DNSKEY="" NSD_PID=""
# shellcheck disable=SC1091
. "$FX/env"
check "env: DNS_PORT=$DNS_PORT is a port other than 53" \
	test -n "$DNS_PORT" -a "$DNS_PORT" != 53 -a "$DNS_PORT" -gt 0 -a "$DNS_PORT" -lt 65536
check "env: DNS_SERVER=$DNS_SERVER" test "$DNS_SERVER" = "127.0.0.1@$DNS_PORT"
check "env: TRUST_ANCHOR holds the DS of test." \
	grep -Eq '^test\.[[:space:]]+([0-9]+[[:space:]]+)?IN[[:space:]]+DS[[:space:]]+[0-9]+ 13 2 [0-9a-f]{64}$' "$TRUST_ANCHOR"
check "env: TRUST_ANCHOR_DNSKEY holds the KSK of test." \
	grep -Eq '^test\.[[:space:]]+([0-9]+[[:space:]]+)?IN[[:space:]]+DNSKEY[[:space:]]+257 3 13 ' "$TRUST_ANCHOR_DNSKEY"
check "NSD keeps its files in the fixture directory" \
	test -s "$FX/nsd.conf" -a -s "$FX/nsd.log" -a -s "$FX/nsd.pid" -a -d "$FX/xfr"

# NSD listens on 127.0.0.1 only (UDP and TCP).
if command -v ss >/dev/null 2>&1; then
	listen=$(ss -Hlnut "sport = :$DNS_PORT" | awk '{ print $1, $5 }' | sort -u | tr '\n' ' ')
	check "NSD listens on 127.0.0.1:$DNS_PORT only, UDP and TCP ($listen)" \
		test "$listen" = "tcp 127.0.0.1:$DNS_PORT udp 127.0.0.1:$DNS_PORT "
fi

# --- NSD's raw answers (drill, with the DO bit) --------------------------------------------
q() { drill -D "$@" -p "$DNS_PORT" @127.0.0.1 2>&1; }
has() { printf '%s\n' "$1" | grep -Eq "$2"; }
raw() { # raw DESCRIPTION "drill args" REGEX...: every REGEX matches the response
	local d=$1 args=$2 out r
	shift 2
	# shellcheck disable=SC2086
	out=$(q $args)
	for r in "$@"; do
		if ! has "$out" "$r"; then
			bad "$d (no /$r/)"
			printf '%s\n' "$out" | sed 's/^/    /'
			return
		fi
	done
	ok "$d"
}
AA='flags: qr aa'
raw "UDP: SOA test. signed, authoritative" "SOA test." "rcode: NOERROR" "$AA" \
	'^test\.[[:space:]].*RRSIG[[:space:]]+SOA 13 1 '
raw "TCP: SOA test. signed, authoritative" "-t SOA test." "rcode: NOERROR" "$AA" \
	'^test\.[[:space:]].*RRSIG[[:space:]]+SOA 13 1 '
raw "DS secure.test from the parent test." "DS secure.test." "$AA" \
	'^secure\.test\.[[:space:]].*DS[[:space:]]+[0-9]+ 13 2 ' 'RRSIG[[:space:]]+DS 13 2 .* test\. '
raw "DS sub.secure.test from the parent secure.test." "DS sub.secure.test." "$AA" \
	'RRSIG[[:space:]]+DS 13 3 .* secure\.test\. '
raw "DS rsa.test (algorithm 8) from test." "DS rsa.test." '[[:space:]]DS[[:space:]]+[0-9]+ 8 2 '
raw "DS ed25519.test (algorithm 15) from test." "DS ed25519.test." '[[:space:]]DS[[:space:]]+[0-9]+ 15 2 '
raw "DS insecure.test: NODATA from test. with NSEC NS RRSIG NSEC (no DS bit)" "DS insecure.test." \
	"rcode: NOERROR" "$AA" "ANSWER: 0" '^test\.[[:space:]].*SOA' \
	'^insecure\.test\.[[:space:]].*NSEC[[:space:]]+[^ ]+ NS RRSIG NSEC *$'
raw "DS unsigned.nsec3.test: NODATA with an NSEC3 (NS only, opt-out clear)" "DS unsigned.nsec3.test." \
	"rcode: NOERROR" "ANSWER: 0" 'NSEC3[[:space:]]+1 0 5 0badc0de +[a-v0-9]+ NS *$'
raw "NSEC3PARAM nsec3.test: SHA-1, 5 iterations, salt 0badc0de" "NSEC3PARAM nsec3.test." \
	'NSEC3PARAM[[:space:]]+1 0 5 0badc0de'
raw "expired.test signatures expired on 2020-02-01" "TXT txt.expired.test." \
	'RRSIG[[:space:]]+TXT 13 3 300 20200201000000 20200101000000 '
raw "txt.insecure.test: unsigned answer" "TXT txt.insecure.test." '"txt insecure.test"'
if has "$(q TXT txt.insecure.test.)" RRSIG; then bad "insecure.test has no RRSIG"; else ok "insecure.test has no RRSIG"; fi
raw "a name outside test. is REFUSED" "SOA example." "rcode: REFUSED"

# --- drill's signature chase (ldns) from TRUST_ANCHOR_DNSKEY: a second, cruder validator -------
chase() { # chase NAME TYPE successful|failed
	local out
	out=$(timeout 10 drill -S -k "$TRUST_ANCHOR_DNSKEY" -p "$DNS_PORT" @127.0.0.1 "$2" "$1" 2>&1 | tail -1)
	case $out in
	";; Chase $3"*) ok "drill -S $1 $2: chase $3" ;;
	*) bad "drill -S $1 $2: expected chase $3, got: $out" ;;
	esac
}
chase txt.secure.test TXT successful
chase txt.sub.secure.test TXT successful
chase txt.nsec3.test TXT successful
chase txt.rsa.test TXT successful
chase txt.ed25519.test TXT successful
chase txt.bogus.test TXT failed
chase txt.wrongkey.test TXT failed

# --- expected.tsv against unbound-host -------------------------------------------------------
# expect NAME TYPE STATUS KIND DATA
expect() {
	local name=$1 type=$2 status=$3 kind=$4 data=$5 out first
	out=$("$FIXTURE" validate "$FX" "$name" "$type" 2>&1)
	first=$(printf '%s\n' "$out" | head -1)
	if [ "$first" != "$status $kind" ]; then
		bad "$name $type: expected $status $kind, unbound-host says: $(printf '%s' "$out" | tr '\n' '|')"
	elif [ "$data" != - ] && ! printf '%s\n' "$out" | tail -n +2 | grep -Fxq -- "$data"; then
		bad "$name $type $status $kind: no record $data in: $(printf '%s' "$out" | tail -n +2 | tr '\n' '|')"
	else
		if [ "$data" = - ]; then ok "$name $type $status $kind"; else ok "$name $type $status $kind $data"; fi
	fi
}
rows=0
while IFS=$'\t' read -r name type status kind data; do
	case $name in '#'* | '') continue ;; esac
	expect "$name" "$type" "$status" "$kind" "${data:--}"
	rows=$((rows + 1))
done <"$EXPECTED"
check "expected.tsv has rows ($rows)" test "$rows" -gt 50

# --- records from RECORDS_DIR ----------------------------------------------------------------
expect sel1._domainkey.secure.test TXT secure ANSWER \
	'"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="'
expect _dmarc.extra.secure.test TXT secure ANSWER '"v=DMARC1; p=none"'
expect extra.secure.test TXT secure NODATA -
expect absolute.secure.test TXT secure ANSWER '"absolute name"'
expect sel1._domainkey.nsec3.test TXT secure ANSWER '"v=DKIM1; k=rsa; p=MIGfMA0" "GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"'
expect _adsp._domainkey.extra.insecure.test TXT insecure ANSWER '"dkim=discardable"'

# --- restart in the same directory (idempotent), then stop ----------------------------------
old_pid=$NSD_PID
ta=$(cat "$TRUST_ANCHOR")
if "$FIXTURE" start "$FX" 2>"$start_out"; then
	ok "fixture.sh start again in the same directory"
	. "$FX/env"
	# Gone, or a zombie that init has yet to reap.
	check "the first NSD (pid $old_pid) is gone" \
		bash -c "! grep -qv '^[0-9]* (.*) [ZX] ' /proc/$old_pid/stat 2>/dev/null"
	check "the trust anchor is unchanged (keys reused)" test "$ta" = "$(cat "$TRUST_ANCHOR")"
	expect txt.secure.test TXT secure ANSWER '"txt secure.test"'
	expect sel1._domainkey.secure.test TXT secure NXDOMAIN -   # no records dir this time
else
	cat "$start_out"
	bad "fixture.sh start again in the same directory"
fi
if "$FIXTURE" stop "$FX"; then ok "fixture.sh stop"; else bad "fixture.sh stop"; fi
if pgrep -f -x -- "nsd -d -c $FX/nsd.conf" >/dev/null; then
	bad "no NSD of the fixture is left: $(pgrep -f -x -- "nsd -d -c $FX/nsd.conf" | tr '\n' ' ')"
else
	ok "no NSD of the fixture is left"
fi
# (drill over UDP waits 15 s when nothing answers; TCP is refused at once, and ss shows sockets.)
check "port $DNS_PORT no longer answers over TCP" \
	bash -c "! drill -t -p $DNS_PORT @127.0.0.1 SOA test. >/dev/null 2>&1"
if command -v ss >/dev/null 2>&1; then
	check "no socket is left on port $DNS_PORT" test -z "$(ss -Hlnut "sport = :$DNS_PORT")"
fi
check "the env file is removed" test ! -e "$FX/env"
check "fixture.sh stop again is harmless" "$FIXTURE" stop "$FX"

finish
