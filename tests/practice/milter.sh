#!/bin/bash
# tests/practice/milter.sh - sender practices (DMARC RFC 9989, ADSP RFC 5617) inside the milter,
# end to end through miltertest: policies published in the DNSSEC fixture (tests/dns/fixture.sh),
# messages signed by dkimpy, results read from the Authentication-Results field postward adds,
# actions (reject, tempfail, quarantine, add_header) from the miltertest reply and checks, and
# the log.  Every ADSP result and every DMARC result is reached; secure, insecure and bogus
# answers; the organisational-domain fallback with sp= (the compatibility setting
# dmarc_org_domain = psl, with a test Public Suffix List that adds nsec3.test as a suffix);
# pct ignored (RFC 9989); relaxed and strict alignment; SPF from a trusted
# Authentication-Results field (and not from an untrusted one); From problems; the
# administrator's practice rules before the defaults; forged X-Postward-Practice removed.
# A second postward with the default dmarc_org_domain = treewalk meets each RFC 9989 case in
# the same signed zones: psd=y at a public-suffix-like parent (policy from the PSD, and
# alignment by the domain below it), psd=n, np for a non-existent subdomain, a name of more
# than 8 labels (the walk jumps to the 7-label name), two records at one name (discarded, the
# walk goes on), t=y, p absent with and without rua, sp for an existing subdomain.
# Each RFC 9989 case (and a few more of the unit walk table's, in DNS) is then checked against
# mailauth (npm mailauth@7.1.0, installed into $MAILAUTH, default ~/.cache/postward/mailauth,
# on first use; SKIP lines when npm cannot fetch it), driven by mailauth-dmarc.cjs against the
# same fixture: result, policy in force, t=y, disposition, Organizational Domain and record.
# Env: POSTWARD.  Ends with "N passed, M failed".
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
POSTWARD=${POSTWARD:-$here/../../milter/postward}
PY=/usr/bin/python3
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "PASS: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw-practice.XXXXXX") || exit 1
pid=""
pid2=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$pid2" ] && kill "$pid2" 2>/dev/null && wait "$pid2" 2>/dev/null
	"$here/../dns/fixture.sh" stop "$tmp/dns" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1

openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null ||
	{ bad "openssl genpkey"; echo "$passed passed, $failed failed"; exit 1; }
ed_pub=$(openssl pkey -in ed.pem -pubout -outform DER | tail -c 32 | base64 -w0)
openssl pkey -in ed.pem -outform DER | tail -c 32 | base64 -w0 > ed.seed
mkdir records
cat > records/secure.test.records <<EOR
ed1._domainkey TXT "v=DKIM1; k=ed25519; p=$ed_pub"
quar A 192.0.2.1
_dmarc.quar TXT "v=DMARC1; p=quarantine"
strict A 192.0.2.1
_dmarc.strict TXT "v=DMARC1; p=reject; adkim=s"
pct0 A 192.0.2.1
_dmarc.pct0 TXT "v=DMARC1; p=reject; pct=0"
disc A 192.0.2.1
_dmarc.disc TXT "v=DMARC1; p=bogus"
_adsp._domainkey.disc TXT "dkim=discardable"
unk A 192.0.2.1
_dmarc.unk TXT "v=DMARC1; p=none"
_adsp._domainkey.unk TXT "dkim=unknown"
inv A 192.0.2.1
_dmarc.inv TXT "v=DMARC1; p=bogus"
_adsp._domainkey.inv TXT "foo=bar"
two A 192.0.2.1
_dmarc.two TXT "v=DMARC1; p=reject"
_dmarc.two TXT "v=DMARC1; p=none"
_dmarc.psd TXT "v=DMARC1; p=none; sp=reject; psd=y"
bank.psd A 192.0.2.1
giant.psd A 192.0.2.1
_dmarc.giant.psd TXT "v=DMARC1; p=quarantine"
org2 A 192.0.2.1
_dmarc.org2 TXT "v=DMARC1; p=quarantine; psd=n"
a.org2 A 192.0.2.1
npd A 192.0.2.1
_dmarc.npd TXT "v=DMARC1; p=none; sp=none; np=reject; psd=n"
exists.npd A 192.0.2.1
a.b.c.d.e.f.g.h.deep A 192.0.2.1
_dmarc.e.f.g.h.deep TXT "v=DMARC1; p=quarantine; psd=n"
_dmarc.d.e.f.g.h.deep TXT "v=DMARC1; p=reject"
testing A 192.0.2.1
_dmarc.testing TXT "v=DMARC1; p=reject; t=y"
norua A 192.0.2.1
_dmarc.norua TXT "v=DMARC1; adkim=r"
rua A 192.0.2.1
_dmarc.rua TXT "v=DMARC1; rua=mailto:dmarc@secure.test"
spx A 192.0.2.1
_dmarc.spx TXT "v=DMARC1; p=none; sp=quarantine; psd=n"
sub.spx A 192.0.2.1
shop.psd A 192.0.2.1
_dmarc.shop.psd TXT "v=DMARC1; p=reject; sp=quarantine"
mail.shop.psd A 192.0.2.1
mail.fw A 192.0.2.1
_dmarc.mail.fw TXT "v=DMARC1; p=none"
a.mail.fw A 192.0.2.1
nonp A 192.0.2.1
_dmarc.nonp TXT "v=DMARC1; p=reject; sp=none; psd=n"
EOR
cat > records/nsec3.test.records <<EOR
spo A 192.0.2.1
_dmarc.spo TXT "v=DMARC1; p=none; sp=reject"
x.spo A 192.0.2.1
EOR
"$here/../dns/fixture.sh" start "$tmp/dns" "$tmp/records" >/dev/null ||
	{ bad "DNS fixture"; echo "$passed passed, $failed failed"; exit 1; }
. "$tmp/dns/env"

# A Public Suffix List: Debian's, plus nsec3.test as a suffix, so that the organisational
# domain of x.spo.nsec3.test is spo.nsec3.test.
{ cat /usr/share/publicsuffix/public_suffix_list.dat 2>/dev/null; echo "nsec3.test"; } > psl.dat

mkmsg() {	# mkmsg FILE FROM-LINES... : a message with those From (and other) header lines
	local file=$1
	shift
	{ for l in "$@"; do printf '%s\n' "$l"; done
	  printf 'To: bob@example.net\nSubject: practice test\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n\nHello.\n'
	} > "$file"
}
mkmsg plain-secure.txt 'From: Alice <alice@secure.test>'
mkmsg plain-quar.txt 'From: alice@quar.secure.test'
mkmsg plain-strict.txt 'From: alice@strict.secure.test'
mkmsg unsigned-insecure.eml 'From: "Alice, A." <alice@insecure.test>'
mkmsg unsigned-bogus.eml 'From: alice@bogus.test'
mkmsg unsigned-nx.eml 'From: alice@nx.secure.test'
mkmsg unsigned-pct0.eml 'From: alice@pct0.secure.test'
mkmsg unsigned-disc.eml 'From: alice@disc.secure.test'
mkmsg unsigned-unk.eml 'From: alice@unk.secure.test'
mkmsg unsigned-inv.eml 'From: alice@inv.secure.test'
mkmsg unsigned-two.eml 'From: alice@two.secure.test'
mkmsg unsigned-sp.eml 'From: alice@x.spo.nsec3.test'
mkmsg unsigned-p.eml 'From: alice@spo.nsec3.test'
mkmsg two-from.eml 'From: alice@secure.test' 'From: mallory@evil.example'
mkmsg two-addr.eml 'From: alice@secure.test, bob@secure.test'
mkmsg no-from.eml 'Sender: alice@secure.test'
mkmsg group.eml 'From: undisclosed-recipients:;'
mkmsg atext.eml 'From: alice@we/ird=x.insecure.test'
mkmsg percent.eml 'From: alice@50%off.secure.test'
mkmsg spf-trusted.eml 'Authentication-Results: mx.trusted.test; spf=pass smtp.mailfrom=bounce@secure.test' 'From: alice@secure.test'
mkmsg spf-helo.eml 'Authentication-Results: mx.trusted.test; spf=pass smtp.helo=secure.test' 'From: alice@secure.test'
mkmsg spf-untrusted.eml 'Authentication-Results: evil.example; spf=pass smtp.mailfrom=bounce@secure.test' 'From: alice@secure.test'
mkmsg forged-practice.eml 'X-Postward-Practice: dmarc=pass (forged)' 'From: alice@quar.secure.test'
# RFC 9989 cases (the tree-walk instance)
mkmsg w-psd.eml 'From: alice@bank.psd.secure.test'
mkmsg w-psd-spf.eml 'Authentication-Results: mx.trusted.test; spf=pass smtp.mailfrom=b@mail.giant.psd.secure.test' 'From: alice@giant.psd.secure.test'
mkmsg w-psd-spf-other.eml 'Authentication-Results: mx.trusted.test; spf=pass smtp.mailfrom=b@mail.mega.psd.secure.test' 'From: alice@giant.psd.secure.test'
mkmsg plain-org2.txt 'From: alice@a.org2.secure.test'
mkmsg plain-secure-sub.txt 'From: alice@a.secure.test'
mkmsg w-np.eml 'From: alice@ghost.npd.secure.test'
mkmsg w-np-exists.eml 'From: alice@exists.npd.secure.test'
mkmsg w-deep.eml 'From: alice@a.b.c.d.e.f.g.h.deep.secure.test'
mkmsg w-two.eml 'From: alice@two.secure.test'
mkmsg w-t.eml 'From: alice@testing.secure.test'
mkmsg w-norua.eml 'From: alice@norua.secure.test'
mkmsg w-rua.eml 'From: alice@rua.secure.test'
mkmsg w-sp.eml 'From: alice@sub.spx.secure.test'
mkmsg w-p.eml 'From: alice@spx.secure.test'
# more of the unit walk table's cases in DNS (tests/unit/check_senderpolicy.c walk_cases), for
# the mailauth cross-check
mkmsg u-psd-norec.eml 'From: alice@x.bank.psd.secure.test'
mkmsg u-shop.eml 'From: alice@mail.shop.psd.secure.test'
mkmsg u-fewest.eml 'From: alice@a.mail.fw.secure.test'
mkmsg u-np-absent.eml 'From: alice@ghost.nonp.secure.test'
mkmsg u-spf-sub.eml 'Authentication-Results: mx.trusted.test; spf=pass smtp.mailfrom=b@mail.signing.secure.test' 'From: alice@secure.test'
$PY - <<'PYEOF' || bad "dkimpy signing"
import dkim
def sign(src, out, dom):
    msg = open(src, 'rb').read()
    key = open('ed.seed', 'rb').read().strip()
    sig = dkim.sign(msg, b'ed1', dom, key, signature_algorithm=b'ed25519-sha256',
                    include_headers=[b'from', b'to', b'subject'])
    open(out, 'wb').write(sig + msg)
sign('plain-secure.txt', 'first-party.eml', b'secure.test')
sign('plain-quar.txt', 'relaxed.eml', b'secure.test')
sign('plain-strict.txt', 'strict.eml', b'secure.test')
sign('plain-org2.txt', 'w-psdn.eml', b'secure.test')
sign('plain-secure-sub.txt', 'w-psdu.eml', b'secure.test')
PYEOF
cp plain-secure.txt unsigned-secure.eml
cp plain-quar.txt unsigned-quar.eml

cat > pw.conf <<EOF2
dns_nameservers = $DNS_SERVER
dns_trust_anchor_file = $TRUST_ANCHOR
dns_timeout = 2
authserv_id = pw.test
dmarc_org_domain = psl
public_suffix_list = $tmp/psl.dat
trusted_authserv_ids = mx.trusted.test
policy_files = practice.policy
EOF2
cat > practice.policy <<'EOF2'
# the administrator's rules, tried before the built-in defaults
practice dkim-adsp=unknown reject 550 5.7.26 Unknown practices are not welcome here
practice dmarc=fail/none dnssec=secure add_header
EOF2
"$POSTWARD" -f -c pw.conf -p "unix:$tmp/pw.sock" 2> pw.log &
pid=$!

run() {	# run MSGFILE QID [CODE XCODE TEXT] -> prints the send.lua output
	local extra=()
	[ $# -ge 5 ] && extra=(-D code="$3" -D xcode="$4" -D text="$5")
	[ -n "${NOQUARANTINE:-}" ] && extra+=(-D noquarantine=1)
	timeout 60 miltertest -D sock="unix:$tmp/${SOCK:-pw.sock}" -D msgfile="$tmp/$1" -D qid="$2" \
		-D sender="${SENDER:-<bounce@secure.test>}" "${extra[@]}" -s "$here/send.lua" 2>&1
}
# expect NAME MSGFILE EOM-REPLY [k=v checks...] : AR=regex PRACTICE=regex Q=true|false
#   REPLY=CODE/XCODE/TEXT LOG=regex (postward's log has a line "QNAME: ...regex")
expect() {
	local name=$1 file=$2 want=$3 out code="" xcode="" text="" r
	shift 3
	for c in "$@"; do
		case $c in REPLY=*) r=${c#REPLY=}; code=${r%%/*}; r=${r#*/}; xcode=${r%%/*}; text=${r#*/};; esac
	done
	if [ -n "$code" ]; then out=$(run "$file" "Q$name" "$code" "$xcode" "$text"); else out=$(run "$file" "Q$name"); fi
	printf '%s\n' "$out" > "out-$name"
	local eom
	eom=$(sed -n 's/^EOM //p' "out-$name")
	if [ "$eom" = "$want" ]; then ok "$name: end of message answered $want"
	else bad "$name: end of message answered \"$eom\", want $want ($(tr '\n' '|' < "out-$name"))"; fi
	for c in "$@"; do
		local k=${c%%=*} v=${c#*=} got
		case $k in
		AR) got=$(sed -n 's/^AR //p' "out-$name")
		    if printf '%s\n' "$got" | grep -Eq -- "$v"; then ok "$name: Authentication-Results matches /$v/"
		    else bad "$name: Authentication-Results \"$got\" does not match /$v/"; fi;;
		PRACTICE) got=$(sed -n 's/^PRACTICE //p' "out-$name")
		    if printf '%s\n' "$got" | grep -Eq -- "$v"; then ok "$name: X-Postward-Practice matches /$v/"
		    else bad "$name: X-Postward-Practice \"$got\" does not match /$v/"; fi;;
		Q) got=$(sed -n 's/^QUARANTINE //p' "out-$name")
		    if [ "$got" = "$v" ]; then ok "$name: quarantine $v"
		    else bad "$name: quarantine is $got, want $v"; fi;;
		REPLY) got=$(sed -n 's/^REPLY //p' "out-$name")
		    if [ "$got" = true ]; then ok "$name: reply $code $xcode $text"
		    else bad "$name: no reply \"$code $xcode $text\""; fi;;
		LOG) if grep -Eq -- "Q$name: $v" "${PWLOG:-pw.log}"; then ok "$name: log has /$v/"
		    else bad "$name: no log line /Q$name: $v/"; fi;;
		esac
	done
}
SEC='DNSSEC secure'
INS='DNSSEC insecure'

# first-party signature: no ADSP lookup (RFC 5016 5.3.9); DMARC fetches its record (pass means
# a policy was published, RFC 7489 11.2)
expect first-party first-party.eml continue \
	"AR=^ pw\.test; dkim=pass \(key $SEC\) header\.d=secure\.test header\.s=ed1 header\.b=("[^"]{16}"|[^"]{16}); dkim-adsp=pass \(first-party signature; no lookup\) header\.from=secure\.test; dmarc=pass \(p=reject dis=none; DKIM aligned; $SEC\) header\.from=secure\.test policy\.dmarc=reject$" \
	Q=false "PRACTICE=^nil$" \
	"LOG=dmarc=pass header.from=secure.test policy=reject disposition=none dnssec=secure record=secure.test dkim-aligned=yes"
# unsigned from a secure p=reject domain: dmarc fail, adsp fail (dkim=all) -> rejected
expect reject-secure unsigned-secure.eml replycode \
	"REPLY=550/5.7.1/Rejected by the DMARC policy of secure.test" "LOG=practice action=reject rule=default dmarc=fail" \
	"LOG=practice reply: 550 5.7.1 Rejected by the DMARC policy of secure.test" \
	"LOG=dkim-adsp=fail header.from=secure.test dnssec=secure \(dkim=all\)"
# the same policy without DNSSEC: quarantined, not rejected
expect quarantine-insecure unsigned-insecure.eml continue Q=true \
	"AR=; dkim=none; dkim-adsp=fail \(dkim=all; $INS\) header\.from=insecure\.test; dmarc=fail \(p=reject dis=reject; no aligned DKIM or SPF pass; $INS\) header\.from=insecure\.test policy\.dmarc=reject$"
# bogus DNS is never "no record": temperror, tempfail
expect temperror-bogus unsigned-bogus.eml replycode "REPLY=451/4.4.3/Cannot check the sender policy of bogus.test now (DNS), try again later" \
	"LOG=dmarc=temperror header.from=bogus.test" "LOG=dkim-adsp=temperror header.from=bogus.test" \
	"LOG=practice lookup _dmarc.bogus.test TXT: ANSWER bogus"
# author domain does not exist: adsp nxdomain; DMARC falls back to the organisational domain
expect nxdomain unsigned-nx.eml replycode "REPLY=550/5.7.1/Rejected by the DMARC policy of nx.secure.test" \
	"LOG=dkim-adsp=nxdomain header.from=nx.secure.test dnssec=secure" \
	"LOG=dmarc=fail header.from=nx.secure.test policy=reject disposition=reject dnssec=secure record=secure.test "
# p=quarantine at the subdomain itself; no ADSP record there: adsp none
expect quarantine-policy unsigned-quar.eml continue Q=true \
	"AR=dkim-adsp=none \(no record; $SEC\) header\.from=quar\.secure\.test; dmarc=fail \(p=quarantine dis=quarantine; no aligned DKIM or SPF pass; $SEC\)"
# pct=0: RFC 9989 removed pct - ignored (p=reject applies), and said once in the log
expect pct0 unsigned-pct0.eml replycode "REPLY=550/5.7.1/Rejected by the DMARC policy of pct0.secure.test" \
	"LOG=dmarc: a DMARC record \(pct0.secure.test\) has a pct tag, which RFC 9989 removed: ignored"
expect pct0-again unsigned-pct0.eml replycode "REPLY=550/5.7.1/Rejected by the DMARC policy of pct0.secure.test"
if [ "$(grep -c 'has a pct tag' pw.log)" = 1 ]; then ok "pct: logged once per process, not per message"
else bad "pct: $(grep -c 'has a pct tag' pw.log) log lines"; fi
# ADSP discardable (its DMARC record is invalid: dmarc=none): rejected by the ADSP default
expect discard unsigned-disc.eml replycode "REPLY=550/5.7.1/Rejected by the ADSP policy of disc.secure.test (unsigned mail is to be discarded)" \
	"LOG=practice reply: 550 5.7.1 Rejected by the ADSP policy of disc.secure.test" \
	"LOG=dkim-adsp=discard header.from=disc.secure.test dnssec=secure"
# ADSP unknown: the administrator's rule with its own reply
expect unknown unsigned-unk.eml replycode "REPLY=550/5.7.26/Unknown practices are not welcome here" \
	"LOG=practice action=reject rule=$tmp/practice.policy:2 dkim-adsp=unknown" \
	"LOG=practice reply: 550 5.7.26 Unknown practices are not welcome here"
# an invalid ADSP record is no record, an invalid DMARC record (bad p, no rua) is none
expect invalid unsigned-inv.eml continue Q=false \
	"AR=dkim-adsp=none \(invalid record ignored; $SEC\) header\.from=inv\.secure\.test; dmarc=none \(invalid record at _dmarc\.inv\.secure\.test"
# two DMARC records: discarded (RFC 9989), discovery goes on to the organisational domain
expect two-records unsigned-two.eml replycode "REPLY=550/5.7.1/Rejected by the DMARC policy of two.secure.test" \
	"LOG=dmarc=fail header.from=two.secure.test policy=reject disposition=reject dnssec=secure record=secure.test "
# sp= of the organisational domain's record for a subdomain; p= for the domain itself
expect sp unsigned-sp.eml replycode "REPLY=550/5.7.1/Rejected by the DMARC policy of x.spo.nsec3.test" \
	"LOG=dmarc=fail header.from=x.spo.nsec3.test policy=reject disposition=reject dnssec=secure record=spo.nsec3.test "
expect p-none unsigned-p.eml continue Q=false \
	"PRACTICE=^ ?dmarc=fail \(disposition none, DNSSEC secure\) header\.from=spo\.nsec3\.test$" \
	"AR=dmarc=fail \(p=none dis=none; no aligned DKIM or SPF pass; $SEC\) header\.from=spo\.nsec3\.test"
# relaxed alignment passes DMARC (ADSP wants the exact domain: fail); adkim=s does not
expect relaxed relaxed.eml continue Q=false \
	"AR=dkim=pass .*; dkim-adsp=none \(no record; $SEC\) header\.from=quar\.secure\.test; dmarc=pass \(p=quarantine dis=none; DKIM aligned; $SEC\)"
expect strict strict.eml replycode "REPLY=550/5.7.1/Rejected by the DMARC policy of strict.secure.test" "LOG=dmarc=fail header.from=strict.secure.test policy=reject"
# From problems: permerror, accepted by default
expect two-from two-from.eml continue "AR=dkim-adsp=permerror \(2 From fields; no lookup\); dmarc=permerror \(2 From fields; no lookup\)$"
expect two-addr two-addr.eml continue "AR=dmarc=permerror \(2 From addresses; no lookup\)$"
expect no-from no-from.eml continue "AR=dmarc=permerror \(0 From fields; no lookup\)$"
expect group group.eml continue "AR=dmarc=permerror \(0 From addresses; no lookup\)$"
# a From domain of atoms that are no token ('/' and '=' are atext): quoted in the field,
# which stays well-formed (regression test: header.from=we/ird=x.insecure.test)
expect atext atext.eml continue 'AR=; dmarc=[a-z]+ \(.*\) header\.from="we/ird=x\.insecure\.test" policy\.dmarc=[a-z]+$'
if out=$($PY "$here/../dkim/archeck.py" "$(sed -n 's/^ARRAW //p' out-atext)"); then ok "atext: field well-formed"
else bad "atext: $out"; fi
# a '%' in the From domain (atext) never reaches the reply text, which MTAs read as a format
expect percent percent.eml replycode "REPLY=550/5.7.1/Rejected by the DMARC policy of 50?off.secure.test"
# SPF pass reported by a trusted host aligns; the same from an untrusted host does not
expect spf-trusted spf-trusted.eml continue Q=false "AR=dmarc=pass \(p=reject dis=none; SPF aligned; $SEC\)"
# a HELO-only SPF pass counts for the null sender only; not for a sender whose domain is
# too long to be used (regression test: such a sender was taken for the null sender)
SENDER='<>' expect spf-helo-null spf-helo.eml continue Q=false "AR=dmarc=pass \(p=reject dis=none; SPF aligned; $SEC\)"
SENDER="<a@$(printf 'a%.0s' $(seq 60)).$(printf 'b%.0s' $(seq 60)).$(printf 'c%.0s' $(seq 60)).$(printf 'd%.0s' $(seq 60)).$(printf 'e%.0s' $(seq 60)).example>" \
	expect spf-helo-long spf-helo.eml replycode "REPLY=550/5.7.1/Rejected by the DMARC policy of secure.test"
expect spf-untrusted spf-untrusted.eml replycode "REPLY=550/5.7.1/Rejected by the DMARC policy of secure.test"
# a forged X-Postward-Practice field is removed
expect forged-practice forged-practice.eml continue Q=true PRACTICE=^nil$
if grep -q '^PRACTICEDELETED true' out-forged-practice; then ok "forged-practice: incoming field removed"; else bad "forged-practice: incoming X-Postward-Practice not removed"; fi
if grep -q 'Qforged-practice: removed 1 X-Postward-Practice' pw.log; then ok "forged-practice: removal logged"; else bad "forged-practice: removal not logged"; fi
# an MTA that does not offer quarantine: the message goes on with X-Postward-Practice instead
NOQUARANTINE=1 expect no-quarantine unsigned-quar.eml continue Q=false \
	"PRACTICE=^ ?dmarc=fail \(disposition quarantine, DNSSEC secure\) header\.from=quar\.secure\.test$" \
	"LOG=the MTA refused to quarantine the message; added X-Postward-Practice instead"

# ---- RFC 9989 by the DNS Tree Walk: a second postward with the default dmarc_org_domain
sed -e '/^dmarc_org_domain/d' -e '/^public_suffix_list/d' -e '/^policy_files/d' pw.conf > pw2.conf
# the tree walk needs no list: a public_suffix_list naming no file is never read
printf 'sender_practices = dmarc\npublic_suffix_list = %s\n' "$tmp/no-such-list.dat" >> pw2.conf
if "$POSTWARD" -n -c pw2.conf > pw2-n.out 2>&1; then ok "treewalk: postward -n accepts a missing public_suffix_list"
else bad "treewalk: postward -n: $(cat pw2-n.out)"; fi
printf 'dmarc_org_domain = psl\n' | cat pw2.conf - > pw3.conf
if "$POSTWARD" -n -c pw3.conf > pw3-n.out 2>&1; then bad "psl: a missing public_suffix_list accepted"
elif grep -q "public_suffix_list: cannot read $tmp/no-such-list.dat" pw3-n.out; then ok "psl: the missing list is a configuration error"
else bad "psl: postward -n said: $(cat pw3-n.out)"; fi
"$POSTWARD" -f -c pw2.conf -p "unix:$tmp/pw2.sock" 2> pw2.log &
pid2=$!
SOCK=pw2.sock
PWLOG=pw2.log
# psd=y at a public-suffix-like parent (psd.secure.test): bank.psd.secure.test has no record,
# its Organizational Domain is itself (the name below the PSD), the PSD's sp applies
expect w-psd w-psd.eml replycode "REPLY=550/5.7.1/Rejected by the DMARC policy of bank.psd.secure.test" \
	"LOG=dmarc=fail header.from=bank.psd.secure.test policy=reject disposition=reject dnssec=secure record=psd.secure.test org=bank.psd.secure.test "
# ... and alignment stops at the name below the PSD (RFC 9989 B.4.3): an SPF pass for
# mail.giant.psd.secure.test aligns with giant.psd.secure.test, mail.mega.psd.secure.test does not
expect w-psd-spf w-psd-spf.eml continue Q=false \
	"AR=dmarc=pass \(p=quarantine dis=none; SPF aligned; $SEC\) header\.from=giant\.psd\.secure\.test policy\.dmarc=quarantine" \
	"LOG=dmarc=pass .* record=giant.psd.secure.test org=giant.psd.secure.test "
expect w-psd-spf-other w-psd-spf-other.eml continue Q=true \
	"AR=dmarc=fail \(p=quarantine dis=quarantine; no aligned DKIM or SPF pass; $SEC\) header\.from=giant\.psd\.secure\.test policy\.dmarc=quarantine"
# psd=n: org2.secure.test is its own Organizational Domain - a d=secure.test signature does not
# align with a.org2.secure.test (relaxed), where it does for a.secure.test
expect w-psdn w-psdn.eml continue Q=true \
	"AR=dkim=pass .*dmarc=fail \(p=quarantine dis=quarantine; no aligned DKIM or SPF pass; $SEC\) header\.from=a\.org2\.secure\.test policy\.dmarc=quarantine" \
	"LOG=dmarc=fail .* record=org2.secure.test org=org2.secure.test "
expect w-psdu w-psdu.eml continue Q=false \
	"AR=dmarc=pass \(p=reject dis=none; DKIM aligned; $SEC\) header\.from=a\.secure\.test policy\.dmarc=reject" \
	"LOG=dmarc=pass .* record=secure.test org=secure.test "
# np for a non-existent subdomain (NXDOMAIN); sp=none for an existing one
expect w-np w-np.eml replycode "REPLY=550/5.7.1/Rejected by the DMARC policy of ghost.npd.secure.test" \
	"LOG=dmarc=fail header.from=ghost.npd.secure.test policy=reject disposition=reject dnssec=secure record=npd.secure.test org=npd.secure.test "
expect w-np-exists w-np-exists.eml continue Q=false \
	"AR=dmarc=fail \(p=none dis=none; no aligned DKIM or SPF pass; $SEC\) header\.from=exists\.npd\.secure\.test policy\.dmarc=none"
# 11 labels: the name, then straight to the 7-label name (psd=n there: 2 questions); the
# p=reject record at the 8-label name between them is never asked
expect w-deep w-deep.eml continue Q=true \
	"AR=dmarc=fail \(p=quarantine dis=quarantine; no aligned DKIM or SPF pass; $SEC\)" \
	"LOG=dmarc=fail .* record=e.f.g.h.deep.secure.test .* lookups=2 "
# two records at one name: discarded, the walk goes on to secure.test (sp = p=reject)
expect w-two w-two.eml replycode "REPLY=550/5.7.1/Rejected by the DMARC policy of two.secure.test" \
	"LOG=dmarc=fail header.from=two.secure.test policy=reject disposition=reject dnssec=secure record=secure.test "
# t=y: reject becomes quarantine
expect w-t w-t.eml continue Q=true \
	"AR=dmarc=fail \(p=reject t=y dis=quarantine; no aligned DKIM or SPF pass; $SEC\) header\.from=testing\.secure\.test policy\.dmarc=quarantine" \
	"LOG=dmarc=fail header.from=testing.secure.test policy=reject t=y disposition=quarantine "
# p absent: without rua no DMARC processing (none; no fallback to secure.test's p=reject); with
# a valid rua p=none
expect w-norua w-norua.eml continue Q=false \
	"AR=dmarc=none \(invalid record at _dmarc\.norua\.secure\.test: missing p tag, no valid rua: no DMARC processing; $SEC\) header\.from=norua\.secure\.test$"
expect w-rua w-rua.eml continue Q=false \
	"AR=dmarc=fail \(p=none dis=none; no aligned DKIM or SPF pass; $SEC\) header\.from=rua\.secure\.test policy\.dmarc=none$"
# sp for an existing subdomain of spx.secure.test (psd=n), p for spx.secure.test itself
expect w-sp w-sp.eml continue Q=true \
	"AR=dmarc=fail \(p=quarantine dis=quarantine; no aligned DKIM or SPF pass; $SEC\) header\.from=sub\.spx\.secure\.test policy\.dmarc=quarantine" \
	"LOG=dmarc=fail header.from=sub.spx.secure.test policy=quarantine disposition=quarantine dnssec=secure record=spx.secure.test "
expect w-p w-p.eml continue Q=false "AR=dmarc=fail \(p=none dis=none; no aligned DKIM or SPF pass; $SEC\) header\.from=spx\.secure\.test"
# the same walk again: the resolver's cache answers it
expect w-deep-again w-deep.eml continue Q=true "LOG=dmarc=fail .* record=e.f.g.h.deep.secure.test "
# more messages through the tree walk, for the cross-check below only
for c in first-party:first-party.eml x-relaxed:relaxed.eml x-strict:strict.eml \
	x-nx:unsigned-nx.eml x-inv:unsigned-inv.eml x-pct0:unsigned-pct0.eml x-sp:unsigned-sp.eml \
	x-p:unsigned-p.eml x-insecure:unsigned-insecure.eml x-spf:spf-trusted.eml \
	u-psd-norec:u-psd-norec.eml u-shop:u-shop.eml u-fewest:u-fewest.eml \
	u-np-absent:u-np-absent.eml u-spf-sub:u-spf-sub.eml; do
	run "${c#*:}" "Q${c%%:*}" > "out-${c%%:*}"
done
kill "$pid2"; wait "$pid2"; st=$?; pid2=""
if [ "$st" -eq 0 ]; then ok "treewalk postward stopped cleanly (sanitizers quiet)"; else bad "treewalk postward exit status $st"; tail -20 pw2.log; fi
SOCK=pw.sock
PWLOG=pw.log

# ---- the RFC 9989 cases checked against mailauth (npm), an implementation that is not ours:
# each case's From, passing DKIM d= and SPF domains are given to mailauth's evaluateDmarc
# (tests/practice/mailauth-dmarc.cjs), which asks the same NSD fixture; its result, the policy
# in force, t=y, the disposition, the Organizational Domain and the record's domain must equal
# postward's log line for the case.  mailauth does not validate DNSSEC: bogus answers are not
# compared.  A case in xdiff is a difference RFC 9989 decides for postward: printed, with the
# section, and a FAIL if the difference goes away (the table must not outlive it).
MAILAUTH=${MAILAUTH:-${XDG_CACHE_HOME:-$HOME/.cache}/postward/mailauth}
MAILAUTH_VERSION=7.1.0
# mailauth_setup - mailauth $MAILAUTH_VERSION in $MAILAUTH, npm-installed on first use; status
# 1 (skip) when npm cannot fetch it, 2 (fail) when this machine lacks what tests/install-deps
# installs; the reason on stdout
mailauth_setup() {
	local v
	command -v node >/dev/null && command -v npm >/dev/null ||
		{ echo "node or npm missing (tests/install-deps)"; return 2; }
	v=$(node -p "require('$MAILAUTH/node_modules/mailauth/package.json').version" 2>/dev/null)
	[ "$v" = "$MAILAUTH_VERSION" ] && return 0
	mkdir -p "$MAILAUTH" 2>/dev/null || { echo "cannot make $MAILAUTH"; return 2; }
	timeout 600 npm install --no-audit --no-fund --prefix "$MAILAUTH" \
		"mailauth@$MAILAUTH_VERSION" > npm-mailauth.log 2>&1 ||
		{ echo "npm install mailauth@$MAILAUTH_VERSION failed: $(tail -3 npm-mailauth.log | tr '\n' ' ')"; return 1; }
}
# pw_verdict NAME - postward's log line for case NAME as "result=R policy=P t=y|n
# disposition=D org=ORG record=REC"; with result none no policy applies (RFC 9989 4.10.1):
# policy, t, disposition and record are "-", as mailauth-dmarc.cjs prints them
pw_verdict() {
	sed -n -E "s/^.*Q$1: dmarc=([a-z]+) header\.from=[^ ]+ policy=([a-z]+)( t=y)? disposition=([a-z]+) dnssec=[a-z-]+ record=([^ ]+) org=([^ ]+) .*$/result=\1 policy=\2 t=\3 disposition=\4 org=\6 record=\5/p" pw2.log |
		tail -1 | sed -E -e 's/t= t=y/t=y/' -e 's/t= /t=n /' \
			-e 's/^result=none .* org=([^ ]+) .*$/result=none policy=- t=- disposition=- org=\1 record=-/'
}
# xdiff NAME - the RFC 9989 section that decides an expected difference for case NAME, or ""
xdiff() {
	case $1 in
	# NAME) echo "SECTION";;	(none: mailauth 7.1.0 agrees with postward on every case)
	*) echo "";;
	esac
}
# xcheck NAME FROM DKIM SPF - compare postward's verdict on case NAME with mailauth's.
# postward reports the Organizational Domain only where it found it (policy discovery walked
# above the author domain, or relaxed alignment needed it: org=-, no question asked for it
# otherwise); then mailauth's is shown, not compared.
xcheck() {
	local name=$1 pw ma cmp sec agree note=""
	pw=$(pw_verdict "$name")
	ma=$(node "$here/mailauth-dmarc.cjs" "$MAILAUTH" "$DNS_ADDR:$DNS_PORT" "$2" "$3" "$4" 2>&1)
	cmp=$ma
	case $pw in *" org=- "*)
		cmp=$(printf '%s\n' "$ma" | sed -E 's/ org=[^ ]+ / org=- /')
		note=" (org: postward did not need it; mailauth $(printf '%s\n' "$ma" | sed -E 's/.* (org=[^ ]+) .*/\1/'))";;
	esac
	sec=$(xdiff "$name")
	if [ "$pw" = "$cmp" ]; then agree=yes${note:+ (org not compared)}; elif [ -n "$sec" ]; then agree="no, RFC 9989 $sec"; else agree=NO; fi
	printf '%-16s | %-86s | %-86s | %s\n' "$name" "${pw:-no log line}" "$ma" "$agree" >> xcheck.table
	if [ -z "$pw" ]; then bad "mailauth $name: no postward log line for Q$name"
	elif [ -z "$sec" ] && [ "$pw" = "$cmp" ]; then ok "mailauth $name: agrees ($pw)$note"
	elif [ -z "$sec" ]; then bad "mailauth $name: postward \"$pw\", mailauth \"$ma\""
	elif [ "$pw" = "$cmp" ]; then bad "mailauth $name: the expected difference ($sec) is gone: both \"$pw\""
	else ok "mailauth $name: EXPECTED DIFFERENCE, RFC 9989 $sec decides for postward: postward \"$pw\", mailauth \"$ma\""
	fi
}
if why=$(mailauth_setup); then
	: > xcheck.table
	#      case             From                                DKIM pass    SPF pass
	xcheck w-psd            alice@bank.psd.secure.test          -            -
	xcheck w-psd-spf        alice@giant.psd.secure.test         -            mail.giant.psd.secure.test
	xcheck w-psd-spf-other  alice@giant.psd.secure.test         -            mail.mega.psd.secure.test
	xcheck w-psdn           alice@a.org2.secure.test            secure.test  -
	xcheck w-psdu           alice@a.secure.test                 secure.test  -
	xcheck w-np             alice@ghost.npd.secure.test         -            -
	xcheck w-np-exists      alice@exists.npd.secure.test        -            -
	xcheck w-deep           alice@a.b.c.d.e.f.g.h.deep.secure.test -         -
	xcheck w-two            alice@two.secure.test               -            -
	xcheck w-t              alice@testing.secure.test           -            -
	xcheck w-norua          alice@norua.secure.test             -            -
	xcheck w-rua            alice@rua.secure.test               -            -
	xcheck w-sp             alice@sub.spx.secure.test           -            -
	xcheck w-p              alice@spx.secure.test               -            -
	xcheck first-party      alice@secure.test                   secure.test  -
	xcheck x-relaxed        alice@quar.secure.test              secure.test  -
	xcheck x-strict         alice@strict.secure.test            secure.test  -
	xcheck x-nx             alice@nx.secure.test                -            -
	xcheck x-inv            alice@inv.secure.test               -            -
	xcheck x-pct0           alice@pct0.secure.test              -            -
	xcheck x-sp             alice@x.spo.nsec3.test              -            -
	xcheck x-p              alice@spo.nsec3.test                -            -
	xcheck x-insecure       alice@insecure.test                 -            -
	xcheck x-spf            alice@secure.test                   -            secure.test
	xcheck u-psd-norec      alice@x.bank.psd.secure.test        -            -
	xcheck u-shop           alice@mail.shop.psd.secure.test     -            -
	xcheck u-fewest         alice@a.mail.fw.secure.test         -            -
	xcheck u-np-absent      alice@ghost.nonp.secure.test        -            -
	xcheck u-spf-sub        alice@secure.test                   -            mail.signing.secure.test
	echo "--- RFC 9989 cases: case | postward | mailauth $MAILAUTH_VERSION | agree?"
	cat xcheck.table
elif [ $? -eq 1 ]; then
	echo "SKIP: mailauth cross-check of the RFC 9989 cases: $why"
else
	bad "mailauth cross-check: $why"
fi

kill "$pid"; wait "$pid"; st=$?; pid=""
if [ "$st" -eq 0 ]; then ok "postward stopped cleanly (sanitizers quiet)"; else bad "postward exit status $st"; tail -20 pw.log; fi
[ "$failed" -eq 0 ] || { echo "--- postward log"; tail -60 pw.log; }
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
