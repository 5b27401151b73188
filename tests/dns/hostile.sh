#!/bin/bash
# tests/dns/hostile.sh - postward's validating stub (milter/dns/, through pw-dnsq) against
# hostile answers: the NSD fixture behind tests/dns/dnsproxy.py, which changes the answers as
# each case's rules say.  Every question is asked by a fresh pw-dnsq (empty cache).
#  - malformed records (RDLENGTH 0 or one octet short: DNSKEY, DS, RRSIG, CNAME, TXT, NSEC,
#    NSEC3, SOA) in signed and unsigned zones: pw-dnsq must finish and say "error TEMPFAIL" or
#    "bogus", never crash and never "secure" (ldns hands out NULL fields for short rdata);
#  - forged proofs built from genuine signed data: a wildcard answer without its NSEC/NSEC3
#    proof plus an unverifiable RRSIG claiming "no wildcard" (RFC 4035 5.3.4, RFC 5155 8.8);
#    a parent's NSEC at a delegation replayed as proof that a name below it does not exist, or
#    that the delegated name has no data (RFC 6840 4.1).  Must be bogus;
#  - a reply whose ID is not the query's (ldns's sender takes any reply on the socket): an error.
# Env: PW_DNSQ (default: tests/dns/pw-dnsq beside this script).  Ends with "N passed, M failed".
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
DNSQ=${PW_DNSQ:-$here/pw-dnsq}
PY=/usr/bin/python3
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "PASS: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
[ -x "$DNSQ" ] || { echo "FAIL: $DNSQ not built"; echo "0 passed, 1 failed"; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/pw-dnshostile.XXXXXX") || exit 1
proxy=""
cleanup() {
	[ -n "$proxy" ] && kill "$proxy" 2>/dev/null && wait "$proxy" 2>/dev/null
	"$here/fixture.sh" stop "$dir/dns" >/dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT
"$here/fixture.sh" start "$dir/dns" >/dev/null ||
	{ echo "FAIL: fixture did not start"; echo "0 passed, 1 failed"; exit 1; }
. "$dir/dns/env"
$PY "$here/dnsproxy.py" --upstream "$DNS_SERVER" --rules "$dir/rules" --ready "$dir/ready" \
	--log "$dir/queries" --daemon "$dir/proxy.pid" 2>"$dir/proxy.err" ||
	{ echo "FAIL: dnsproxy did not start: $(cat "$dir/proxy.err")"; echo "0 passed, 1 failed"; exit 1; }
proxy=$(cat "$dir/proxy.pid")
PROXY="127.0.0.1@$(cat "$dir/ready")"

rules() {	# rules LINE...: replace the proxy's rules (atomically)
	printf '%s\n' "$@" > "$dir/rules.tmp" && mv "$dir/rules.tmp" "$dir/rules"
}
# ask NAME TYPE: run pw-dnsq through the proxy; sets $line (first line) and $rc
ask() {
	out=$("$DNSQ" -s "$PROXY" -a "$TRUST_ANCHOR" "$1" "$2" 2>"$dir/dnsq.err")
	rc=$?
	line=$(printf '%s\n' "$out" | head -1)
}
# refused CASE NAME TYPE RULE...: the answer must be an error or bogus, and pw-dnsq must live
refused() {
	local what=$1 name=$2 type=$3
	shift 3
	rules "$@"
	ask "$name" "$type"
	if [ "$rc" -ne 0 ]; then
		bad "$what: pw-dnsq died (status $rc): $(tail -3 "$dir/dnsq.err" | tr '\n' '|')"
		return
	fi
	case "$line" in
	"error TEMPFAIL"*|"bogus "*) ok "$what: $line" ;;
	*) bad "$what: $name $type gave \"$line\"" ;;
	esac
}

# the path works at all: unchanged answers through the proxy validate
rules "* * pass"
ask txt.secure.test TXT
case "$line" in "secure ANSWER"*) ok "through the proxy: $line" ;; *) bad "through the proxy: \"$line\"" ;; esac

# ---- malformed records ------------------------------------------------------------------
refused "DNSKEY RDLENGTH 0" txt.secure.test TXT "secure.test DNSKEY empty-rdata DNSKEY"
refused "DNSKEY one octet short" txt.secure.test TXT "secure.test DNSKEY short-rdata DNSKEY"
refused "anchor DNSKEY RDLENGTH 0" txt.test TXT "test DNSKEY empty-rdata DNSKEY"
refused "DS RDLENGTH 0" txt.secure.test TXT "secure.test DS empty-rdata DS"
refused "DS one octet short" txt.secure.test TXT "secure.test DS short-rdata DS"
refused "RRSIG RDLENGTH 0" txt.secure.test TXT "txt.secure.test TXT empty-rdata RRSIG"
refused "DNSKEY RRSIG RDLENGTH 0" txt.secure.test TXT "secure.test DNSKEY empty-rdata RRSIG"
refused "CNAME RDLENGTH 0, unsigned zone" cname.insecure.test TXT "cname.insecure.test * empty-rdata CNAME"
refused "CNAME RDLENGTH 0, signed zone" cname.secure.test TXT "cname.secure.test * empty-rdata CNAME"
refused "CNAME RDLENGTH 0 asked as CNAME" cname.insecure.test CNAME "cname.insecure.test * empty-rdata CNAME"
refused "TXT RDLENGTH 0, unsigned zone" txt.insecure.test TXT "txt.insecure.test TXT empty-rdata TXT"
refused "TXT RDLENGTH 0, signed zone" txt.secure.test TXT "txt.secure.test TXT empty-rdata TXT"
refused "NSEC RDLENGTH 0 (NXDOMAIN)" nonexistent.secure.test TXT "nonexistent.secure.test TXT empty-rdata NSEC authority"
refused "NSEC RDLENGTH 0 (no DS)" txt.insecure.test TXT "insecure.test DS empty-rdata NSEC authority"
refused "NSEC3 RDLENGTH 0 (NXDOMAIN)" nonexistent.nsec3.test TXT "nonexistent.nsec3.test TXT empty-rdata NSEC3 authority"
refused "NSEC3 RDLENGTH 0 (no DS)" txt.unsigned.nsec3.test TXT "unsigned.nsec3.test DS empty-rdata NSEC3 authority"
refused "NSEC3 one octet short" a.nsec3.test TXT "a.nsec3.test TXT short-rdata NSEC3 authority"
refused "SOA RDLENGTH 0 (NODATA)" a.secure.test TXT "a.secure.test TXT empty-rdata SOA authority"
refused "SOA RDLENGTH 0, unsigned zone" a.insecure.test TXT "a.insecure.test TXT empty-rdata SOA authority"

# ---- forged proofs from genuine signatures --------------------------------------------------
for z in secure.test nsec3.test; do
	rules "x.wild.$z TXT bad-rrsig"
	ask "x.wild.$z" TXT
	case "$line" in
	"secure ANSWER"*) ok "wildcard in $z with its proof and a junk RRSIG: $line" ;;
	*) bad "wildcard in $z with its proof and a junk RRSIG: \"$line\"" ;;
	esac
	refused "wildcard in $z, proof stripped, unverifiable RRSIG with the full labels count" \
		"x.wild.$z" TXT "x.wild.$z TXT +strip authority" "x.wild.$z TXT bad-rrsig"
	refused "wildcard in $z, proof stripped" "x.wild.$z" TXT "x.wild.$z TXT strip authority"
done
refused "NXDOMAIN proven by the parent's NSEC of the delegation above the name" \
	_dmarc.secure.test TXT "_dmarc.secure.test TXT answer-of sz.test"
refused "NODATA proven by the parent's NSEC of the delegation itself" \
	insecure.test TXT "insecure.test TXT answer-of insecure.test DS"
refused "NODATA of a name below an unsigned delegation from the parent's NSEC" \
	txt.insecure.test TXT "txt.insecure.test TXT answer-of insecure.test DS"

# ---- a reply with another ID (spoofed, or late) is no answer ------------------------------
refused "answer with another ID, unsigned zone" txt.insecure.test TXT "txt.insecure.test TXT wrong-id"
refused "answer with another ID, signed zone" txt.secure.test TXT "txt.secure.test TXT wrong-id"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
