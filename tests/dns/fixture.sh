#!/bin/bash
# tests/dns/fixture.sh - a private, DNSSEC-signed authoritative DNS server for postward's tests.
#
# usage: fixture.sh start DIR [RECORDS_DIR]
#        fixture.sh stop DIR
#        fixture.sh validate DIR NAME TYPE   (ask unbound-host: "STATUS KIND", then the data)
#
# start: builds and signs the zones below test. into DIR (keys are kept in DIR/keys and reused
#   when DIR is reused, so the trust anchor of a DIR stays the same), starts NSD on 127.0.0.1 at a
#   free port (UDP and TCP) with every file of its own inside DIR, waits until it answers over
#   UDP and TCP, and writes DIR/env (shell-sourceable):
#     DNS_PORT, DNS_ADDR=127.0.0.1, DNS_SERVER=127.0.0.1@PORT, TRUST_ANCHOR=DIR/trust-anchor.ds,
#     TRUST_ANCHOR_DNSKEY=DIR/trust-anchor.dnskey, UNBOUND_CONF=DIR/unbound.conf, NSD_PID,
#     DNS_FIXTURE_DIR=DIR
#   A fixture already running from DIR is stopped first, so start is idempotent.
#   RECORDS_DIR/ZONE.records (e.g. secure.test.records) are appended to zone ZONE before it is
#   signed; names in them are relative to ZONE unless they end in a dot.
# stop: stops the NSD of DIR (and only it) and waits until none of its processes is left.
# validate: resolves NAME/TYPE through unbound-host -C DIR/unbound.conf (trust anchor test.,
#   everything forwarded to the fixture) and prints "STATUS KIND" (e.g. "secure ANSWER",
#   "secure NXDOMAIN", "insecure NODATA", "bogus ANSWER", "error SERVFAIL"), then for ANSWER
#   the records' data, one a line.
#
# Needs nsd, ldnsutils (ldns-keygen, ldns-signzone, drill) and, for validate, unbound-host.
# As root, missing packages are installed with apt-get.  Exit status 0 on success.
# See tests/dns/README for the zones.

set -eu
export LC_ALL=C

ADDR=127.0.0.1
TTL=300
# Every zone NSD serves (see README for what each is for).
ZONES="test secure.test sub.secure.test unsigned.secure.test nsec3.test unsigned.nsec3.test
	rsa.test ed25519.test insecure.test bogus.test wrongkey.test expired.test"

die() { echo "fixture.sh: $*" >&2; exit 1; }

need_packages() {
	local missing="" p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages:$missing (install them as root)"
	echo "fixture.sh: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends $missing >&2 ||
		{ apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends $missing >&2; } ||
		die "could not install$missing"
	# The nsd package starts a system nsd where an init system runs; this fixture never uses it.
}

# ---------------------------------------------------------------------------------------------
# Processes

# Every process of the NSD of this DIR: the main one and its forked children share the command
# line, which names DIR/nsd.conf.
nsd_pids() { pgrep -f -x -- "nsd -d -c $D/nsd.conf" || true; }

# alive PID: the process exists and is not a zombie (an exited NSD whose parent, init once this
# script has exited, has not reaped it yet is not running).
alive() {
	local st
	st=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

stop_nsd() {
	local main="" f p pids i
	# fixture.pid: the process this script started; nsd.pid: the one NSD wrote itself.  Only a
	# process that is an NSD of this DIR counts (pid files can be stale).
	pids=$(nsd_pids)
	for f in "$D/fixture.pid" "$D/nsd.pid"; do
		[ -f "$f" ] && p=$(cat "$f" 2>/dev/null) && [ -n "$p" ] || continue
		if printf '%s\n' "$pids" | grep -qx -- "$p"; then main=$p; break; fi
	done
	if [ -n "$main" ]; then
		kill -TERM "$main" 2>/dev/null || true   # NSD's main process stops its children
	else
		for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
	fi
	# Bounded wait (5 s) for the main process and its children to go; then force.
	for i in $(seq 1 100); do
		pids=$(nsd_pids)
		if [ -z "$pids" ] && { [ -z "$main" ] || ! alive "$main"; }; then break; fi
		case $i in
		40) for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done ;;
		70) for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done ;;
		esac
		sleep 0.05
	done
	pids=$(nsd_pids)
	rm -f "$D/nsd.pid" "$D/fixture.pid"
	[ -z "$pids" ] || die "NSD processes still running: $pids"
}

# A port that is free for both UDP and TCP on 127.0.0.1 right now.
free_port() {
	if [ -x /usr/bin/python3 ]; then
		/usr/bin/python3 - <<'EOF'
import socket
for _ in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        t.close()
        u.close()
    print(port)
    break
EOF
	else
		echo $((20000 + RANDOM % 30000))
	fi
}

# ---------------------------------------------------------------------------------------------
# Keys and zones

# key ZONE ROLE ALG [BITS]: base path of the key ROLE (ksk, zsk, csk, decoy) of ZONE, made once
# per DIR.  ksk, csk and decoy keys have the SEP flag (257).
key() {
	local zone=$1 role=$2 alg=$3 bits=${4:-} ref base flag
	ref=$D/keys/$zone.$role.$alg
	if [ -f "$ref" ]; then
		base=$(cat "$ref")
		if [ -f "$D/keys/$base.private" ] && [ -f "$D/keys/$base.key" ] && [ -f "$D/keys/$base.ds" ]; then
			echo "$D/keys/$base"
			return
		fi
	fi
	flag=
	[ "$role" = zsk ] || flag=-k
	base=$(cd "$D/keys" && ldns-keygen -a "$alg" ${bits:+-b "$bits"} $flag "$zone.") ||
		die "ldns-keygen $alg $zone failed"
	echo "$base" >"$ref"
	echo "$D/keys/$base"
}

# ds KEYBASE: the DS record (SHA-256) of a SEP key, one line.
ds() { cat "$1.ds"; }

soa() { # soa ZONE
	printf '$ORIGIN %s.\n$TTL %s\n' "$1" "$TTL"
	printf '@\tSOA\tns.test. hostmaster.test. %s 3600 600 86400 %s\n' "$SERIAL" "$TTL"
	printf '@\tNS\tns.test.\n'
}

# The names every child zone holds (see README: they prove ANSWER, NODATA, NXDOMAIN, an empty
# non-terminal, a wildcard and a CNAME).
content() { # content ZONE
	cat <<EOF
txt	TXT	"txt $1"
multi	TXT	"first string of multi.$1" "second string"
multi	TXT	"another TXT record of multi.$1"
a	A	192.0.2.1
_dmarc	TXT	"v=DMARC1; p=reject"
_adsp._domainkey	TXT	"dkim=all"
*.wild	TXT	"wildcard $1"
cname	CNAME	txt
EOF
}

# append_records ZONE FILE: the caller's RECORDS_DIR/ZONE.records, relative to ZONE.
append_records() {
	local f
	[ -n "$RECORDS" ] || return 0
	f=$RECORDS/$1.records
	[ -f "$f" ] || return 0
	printf '\n; from %s\n$ORIGIN %s.\n$TTL %s\n' "$f" "$1" "$TTL" >>"$2"
	cat "$f" >>"$2"
	echo >>"$2"
}

# sign ZONE [ldns-signzone options...] -- KEYBASE...: DIR/zones/ZONE.zone -> ZONE.signed
sign() {
	local zone=$1 opts=() keys=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	keys=("$@")
	ldns-signzone "${opts[@]}" -o "$zone." -f "$D/zones/$zone.signed" \
		"$D/zones/$zone.zone" "${keys[@]}" >"$D/zones/$zone.sign.log" 2>&1 ||
		{ cat "$D/zones/$zone.sign.log" >&2; die "ldns-signzone $zone failed"; }
}

# corrupt_txt_sigs FILE: change one base64 character in the signature of every RRSIG that
# covers TXT, leaving the record well-formed.
corrupt_txt_sigs() {
	awk 'BEGIN { FS = OFS = "\t" }
	$4 == "RRSIG" && $5 ~ /^TXT / {
		n = split($5, f, " ")
		s = f[n]; c = substr(s, 10, 1)
		f[n] = substr(s, 1, 9) (c == "A" ? "B" : "A") substr(s, 11)
		r = f[1]; for (i = 2; i <= n; i++) r = r " " f[i]
		$5 = r; hits++
	}
	{ print }
	END { if (!hits) exit 1 }' "$1" >"$1.tmp" || die "no TXT RRSIG to corrupt in $1"
	mv "$1.tmp" "$1"
}

# build_zones: DIR/zones/ZONE.zone (unsigned) and ZONE.signed (served) for every zone, the
# trust anchor files; children before parents, as each DS goes into the parent.
build_zones() {
	local now inc exp z k z2 decoy ksk zsk
	now=$(date +%s)
	inc=$((now - 3600))           # an hour of slack for clocks
	exp=$((now + 30 * 86400))
	SERIAL=$now
	rm -rf "$D/zones"
	mkdir -p "$D/zones" "$D/keys"
	declare -gA SEP=()   # zone -> its SEP key (the one its DS is made from)

	# Write the unsigned zone files (children first: their DS goes into the parent).
	for z in secure.test nsec3.test rsa.test ed25519.test sub.secure.test bogus.test \
		wrongkey.test expired.test insecure.test unsigned.secure.test unsigned.nsec3.test; do
		{ soa "$z"; content "$z"; } >"$D/zones/$z.zone"
	done
	# secure.test: KSK + ZSK, NSEC; a signed and an unsigned grandchild.
	ksk=$(key secure.test ksk ECDSAP256SHA256); SEP[secure.test]=$ksk
	zsk=$(key secure.test zsk ECDSAP256SHA256)
	k=$(key sub.secure.test csk ECDSAP256SHA256)
	{
		printf 'sub\tNS\tns.test.\n'; ds "$k"
		printf 'unsigned\tNS\tns.test.\n'
	} >>"$D/zones/secure.test.zone"
	append_records sub.secure.test "$D/zones/sub.secure.test.zone"
	sign sub.secure.test -i "$inc" -e "$exp" -- "$k"
	append_records secure.test "$D/zones/secure.test.zone"
	sign secure.test -i "$inc" -e "$exp" -- "$ksk" "$zsk"
	# nsec3.test: NSEC3 (SHA-1, 5 extra iterations, salt, no opt-out); an unsigned grandchild.
	k=$(key nsec3.test csk ECDSAP256SHA256); SEP[nsec3.test]=$k
	printf 'unsigned\tNS\tns.test.\n' >>"$D/zones/nsec3.test.zone"
	append_records nsec3.test "$D/zones/nsec3.test.zone"
	sign nsec3.test -i "$inc" -e "$exp" -n -a 1 -t 5 -s 0badc0de -- "$k"
	# rsa.test: RSASHA256 2048-bit KSK + ZSK.  ed25519.test: one ED25519 key.
	ksk=$(key rsa.test ksk RSASHA256 2048); SEP[rsa.test]=$ksk
	zsk=$(key rsa.test zsk RSASHA256 2048)
	append_records rsa.test "$D/zones/rsa.test.zone"
	sign rsa.test -i "$inc" -e "$exp" -- "$ksk" "$zsk"
	k=$(key ed25519.test csk ED25519); SEP[ed25519.test]=$k
	append_records ed25519.test "$D/zones/ed25519.test.zone"
	sign ed25519.test -i "$inc" -e "$exp" -- "$k"
	# bogus.test: properly signed, then every RRSIG over TXT damaged.
	k=$(key bogus.test csk ECDSAP256SHA256); SEP[bogus.test]=$k
	append_records bogus.test "$D/zones/bogus.test.zone"
	sign bogus.test -i "$inc" -e "$exp" -- "$k"
	corrupt_txt_sigs "$D/zones/bogus.test.signed"
	# wrongkey.test: signed with one key, the DS in test. is of another.
	k=$(key wrongkey.test csk ECDSAP256SHA256)
	decoy=$(key wrongkey.test decoy ECDSAP256SHA256)
	append_records wrongkey.test "$D/zones/wrongkey.test.zone"
	sign wrongkey.test -i "$inc" -e "$exp" -- "$k"
	# expired.test: signatures valid from 2020-01-01 to 2020-02-01.
	k=$(key expired.test csk ECDSAP256SHA256); SEP[expired.test]=$k
	append_records expired.test "$D/zones/expired.test.zone"
	sign expired.test -i 20200101000000 -e 20200201000000 -- "$k"
	for z in insecure.test unsigned.secure.test unsigned.nsec3.test; do
		append_records "$z" "$D/zones/$z.zone"
		cp "$D/zones/$z.zone" "$D/zones/$z.signed"   # served as is
	done

	# test.: the trust anchor; KSK + ZSK, NSEC.
	ksk=$(key test ksk ECDSAP256SHA256)
	zsk=$(key test zsk ECDSAP256SHA256)
	{
		soa test
		printf 'ns\tA\t%s\n' "$ADDR"
		printf 'txt\tTXT\t"txt test"\n'
		for z2 in secure nsec3 rsa ed25519 bogus expired; do
			printf '%s\tNS\tns.test.\n' "$z2"
			ds "${SEP[$z2.test]}"
		done
		printf 'wrongkey\tNS\tns.test.\n'; ds "$decoy"
		printf 'insecure\tNS\tns.test.\n'
	} >"$D/zones/test.zone"
	append_records test "$D/zones/test.zone"
	sign test -i "$inc" -e "$exp" -- "$ksk" "$zsk"

	# Trust anchor: the DS (SHA-256) and the DNSKEY of the KSK of test.
	ds "$ksk" >"$D/trust-anchor.ds"
	grep -v '^;' "$ksk.key" | sed 's/[[:space:]]*;.*$//' >"$D/trust-anchor.dnskey"
}

# Records files must name zones the fixture has.
check_records_dir() {
	local f z
	[ -n "$RECORDS" ] || return 0
	[ -d "$RECORDS" ] || die "records directory $RECORDS not found"
	for f in "$RECORDS"/*.records; do
		[ -e "$f" ] || continue
		z=$(basename "$f" .records)
		z=${z%.}
		case " $(echo $ZONES) " in
		*" $z "*) ;;
		*) die "$f: no zone $z in the fixture" ;;
		esac
	done
}

write_nsd_conf() { # write_nsd_conf PORT
	local z
	{
		cat <<EOF
# Generated by tests/dns/fixture.sh; everything NSD writes stays in $D.
server:
	ip-address: $ADDR
	port: $1
	do-ip4: yes
	do-ip6: no
	reuseport: no
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "$D"
	database: ""
	zonelistfile: "$D/zone.list"
	xfrdfile: "$D/xfrd.state"
	xfrdir: "$D/xfr"
	pidfile: "$D/nsd.pid"
	cookie-secret-file: "$D/nsd_cookiesecrets.txt"
	logfile: "$D/nsd.log"
	verbosity: 1
	hide-version: yes
	zonefiles-check: yes
	zonefiles-write: 0
	minimal-responses: no
	refuse-any: no
	round-robin: no
	tcp-count: 100
	log-only-syslog: no

remote-control:
	control-enable: no
EOF
		for z in $ZONES; do
			printf '\nzone:\n\tname: "%s."\n\tzonefile: "%s/zones/%s.signed"\n' "$z" "$D" "$z"
		done
	} >"$D/nsd.conf"
	nsd-checkconf "$D/nsd.conf" >&2 || die "nsd-checkconf $D/nsd.conf failed"
}

write_unbound_conf() { # write_unbound_conf PORT
	cat >"$D/unbound.conf" <<EOF
# Generated by tests/dns/fixture.sh: unbound-host -C $D/unbound.conf -v -t TYPE NAME
server:
	module-config: "validator iterator"
	username: ""
	chroot: ""
	directory: "$D"
	do-ip6: no
	do-not-query-localhost: no
	local-zone: "test." nodefault
	trust-anchor-file: "$D/trust-anchor.ds"
	val-log-level: 2
	aggressive-nsec: no
	qname-minimisation: no
forward-zone:
	name: "test."
	forward-addr: $ADDR@$1
EOF
}

# answers PORT: NSD answers the SOA of test. over TCP and over UDP with NOERROR.  TCP first:
# against a closed port drill -t fails at once, while drill over UDP waits 15 s for an answer.
answers() {
	local out
	out=$(timeout 3 drill -t -p "$1" @"$ADDR" SOA test. 2>/dev/null) && answered "$out" &&
		out=$(timeout 3 drill -p "$1" @"$ADDR" SOA test. 2>/dev/null) && answered "$out"
}
answered() {
	case $1 in *"rcode: NOERROR"*) ;; *) return 1 ;; esac
	printf '%s\n' "$1" | grep -q '^test\.[[:space:]].*[[:space:]]SOA[[:space:]]'
}

cmd_start() {
	local port pid p i ok from
	need_packages nsd ldnsutils
	mkdir -p "$D"
	D=$(cd "$D" && pwd)
	[ -z "$RECORDS" ] || RECORDS=$(cd "$RECORDS" 2>/dev/null && pwd) ||
		die "records directory not found"
	check_records_dir
	stop_nsd
	rm -f "$D/env" "$D/nsd.log" "$D/nsd.out" "$D/zone.list" "$D/xfrd.state"
	rm -rf "$D/xfr"
	mkdir -p "$D/xfr"
	build_zones

	for _ in 1 2 3 4 5; do
		port=$(free_port)
		write_nsd_conf "$port"
		from=$(($(cat "$D/nsd.log" "$D/nsd.out" 2>/dev/null | wc -l) + 1))
		setsid nsd -d -c "$D/nsd.conf" </dev/null >>"$D/nsd.out" 2>&1 &
		pid=$!
		echo "$pid" >"$D/fixture.pid"
		ok=0
		# Poll (at most ~10 s) until it answers, or until it has died (port taken: try another).
		for i in $(seq 1 200); do
			if ! kill -0 "$pid" 2>/dev/null; then break; fi
			if answers "$port"; then ok=1; break; fi
			sleep 0.05
		done
		[ "$ok" = 1 ] && break
		stop_nsd
		# Another try only if this one could not bind its port (taken since free_port).
		if ! cat "$D/nsd.log" "$D/nsd.out" 2>/dev/null | tail -n +"$from" | grep -qi 'in use\|bind'; then
			cat "$D/nsd.log" "$D/nsd.out" >&2 2>/dev/null || true
			die "NSD did not start (see $D/nsd.log)"
		fi
	done
	[ "$ok" = 1 ] || die "NSD did not start after 5 ports (see $D/nsd.log)"
	# The main NSD process: the one started (setsid execs it), as NSD's own pid file says.
	p=$(cat "$D/nsd.pid" 2>/dev/null || true)
	if [ -n "$p" ] && [ "$p" != "$pid" ] && nsd_pids | grep -qx -- "$p"; then
		pid=$p
		echo "$pid" >"$D/fixture.pid"
	fi

	write_unbound_conf "$port"
	cat >"$D/env.tmp" <<EOF
DNS_FIXTURE_DIR=$D
DNS_PORT=$port
DNS_ADDR=$ADDR
DNS_SERVER=$ADDR@$port
TRUST_ANCHOR=$D/trust-anchor.ds
TRUST_ANCHOR_DNSKEY=$D/trust-anchor.dnskey
UNBOUND_CONF=$D/unbound.conf
NSD_PID=$pid
EOF
	mv "$D/env.tmp" "$D/env"
	echo "fixture.sh: NSD (pid $pid) serving test. on $ADDR@$port; environment in $D/env" >&2
}

cmd_stop() {
	[ -d "$D" ] || return 0
	D=$(cd "$D" && pwd)
	stop_nsd
	rm -f "$D/env"
}

# validate NAME TYPE: how unbound-host -v (a validator independent of postward) sees NAME/TYPE.
#   First line "STATUS KIND":
#     STATUS: secure, insecure, bogus, or error (no usable answer at all);
#     KIND: ANSWER, NODATA, NXDOMAIN, or another rcode's name (SERVFAIL, ...).
#   Then, for ANSWER, the data of each record as unbound-host prints it, one a line
#   ("CNAME target." for each alias followed).  Set VALIDATE_DEBUG=1 for the raw output on stderr.
cmd_validate() {
	local name=$1 type=$2 out status kind
	[ -f "$D/unbound.conf" ] || die "no $D/unbound.conf: start the fixture first"
	command -v unbound-host >/dev/null 2>&1 || need_packages unbound-host
	out=$(unbound-host -C "$D/unbound.conf" -v -t "$type" "$name" 2>&1) || true
	[ -z "${VALIDATE_DEBUG:-}" ] || printf '%s\n' "$out" | sed 's/^/# /' >&2
	case $out in
	*"(secure)"*) status=secure ;;
	*"(insecure)"*) status=insecure ;;
	*"(BOGUS"*) status=bogus ;;
	*) status=error ;;
	esac
	# unbound-host's wording: "H has TYPE record DATA", "H has address A", "H has IPv6 address A",
	# "H mail is handled by PREF HOST", "H domain name pointer P", "H is an alias for T",
	# "H has no TYPE record" / "H has no address" ..., "Host H not found: 3(NXDOMAIN)."
	case $out in
	*" not found: 3(NXDOMAIN)"*) kind=NXDOMAIN ;;
	*" not found: "*) kind=$(printf '%s\n' "$out" | sed -n 's/.* not found: [0-9]*(\([A-Z]*\)).*/\1/p' | head -1) ;;
	*" has no "*) kind=NODATA ;;
	*" has "*|*" is an alias for "*|*" mail is handled by "*|*" domain name pointer "*) kind=ANSWER ;;
	*) kind=UNKNOWN ;;
	esac
	[ -n "$kind" ] || kind=UNKNOWN
	echo "$status $kind"
	[ "$kind" = ANSWER ] || return 0
	printf '%s\n' "$out" | sed -n \
		-e 's/ ([^()]*\(([^()]*)\)*)$//' \
		-e 's/^[^ ]* is an alias for /CNAME /p' \
		-e 's/^[^ ]* has [A-Za-z0-9]* record //p' \
		-e 's/^[^ ]* has address //p' \
		-e 's/^[^ ]* has IPv6 address //p' \
		-e 's/^[^ ]* mail is handled by //p' \
		-e 's/^[^ ]* domain name pointer //p'
}

[ $# -ge 2 ] || { sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2; exit 2; }
CMD=$1
D=$2
RECORDS=${3:-}
case $CMD in
start) [ $# -le 3 ] || die "usage: fixture.sh start DIR [RECORDS_DIR]"; cmd_start ;;
stop) [ $# -eq 2 ] || die "usage: fixture.sh stop DIR"; cmd_stop ;;
validate) [ $# -eq 4 ] || die "usage: fixture.sh validate DIR NAME TYPE"
	D=$(cd "$D" && pwd); cmd_validate "$3" "$4" ;;
*) die "unknown command $CMD (start, stop, validate)" ;;
esac
