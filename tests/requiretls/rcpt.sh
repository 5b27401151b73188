#!/bin/bash
# tests/requiretls/rcpt.sh - REQUIRETLS at RCPT (RFC 8689 4.2.1; milter/requiretls/,
# policy/rtlsrcpt.c) through miltertest against the DNSSEC fixture (tests/dns/fixture.sh) and
# an HTTPS server of MTA-STS policies on loopback (tests/lists/keyserver.py) with a test CA postward is
# told to trust (requiretls_mta_sts_ca_file) and reached through
# requiretls_mta_sts_connect_to (the name verified stays mta-sts.DOMAIN).
#
# Recipient domains and the RCPT reply a REQUIRETLS message gets (mode reject):
#   dane.secure.test        signed MX, signed A, TLSA 3 1 1          continue (via=dane)
#   implicit.secure.test    no MX, signed A and TLSA (implicit MX)   continue (via=dane)
#   notlsa.secure.test      signed MX and A, no TLSA                 550 5.7.30
#   pkix.secure.test        signed MX and A, only TLSA 1 1 1 (PKIX-EE, unusable for SMTP) 550
#   insaddr.secure.test     signed MX to a host whose A is unsigned  550 (no TLSA lookup)
#   nullmx.secure.test      MX 0 . (RFC 7505)                        550
#   plain.insecure.test     unsigned MX, no _mta-sts                 550 5.7.30
#   dom.wrongkey.test       bogus MX                                 451 4.7.5
#   sts.insecure.test       MTA-STS enforce, mx *.sts.insecure.test  continue (via=mta-sts)
#   ststest.insecure.test   MTA-STS mode testing                     550
#   stsmis.insecure.test    enforce, but the MX matches no pattern   550
#   stsnone.insecure.test   _mta-sts TXT but no policy (HTTP 404)    550
#   stsredir.insecure.test  the policy URL redirects (not followed)  451 4.7.0
#   stsdown.insecure.test   the policy server is down                451 4.7.0
#   stsrogue.insecure.test  the server's certificate is not from the trusted CA  451 4.7.0
#   stsbog.bogus.test       signed MX without TLSA, bogus _mta-sts TXT  451 4.7.0
#   stsbig.insecure.test    a policy file over the 64 KiB cap        451 4.7.0
#   many.secure.test        11 MX hosts, TLSA only at the 11th: past the limit of 10  550
#   local.test, x.relay.test  listed in requiretls_exempt_domains    continue, no lookup
#   board@plain.insecure.test  a list of this postward               continue, no lookup
# and also: a message without REQUIRETLS is never checked; a require_tls policy rule on the
# sender domain marks the message at RCPT (no MAIL parameter); the policy of sts.insecure.test
# is fetched once and then served from the cache, across a reload, until the _mta-sts TXT id
# changes (the fixture re-signed with a new id); requiretls_recipient_check = log lets every
# recipient through and logs "action=log-only"; with the DNS server gone the recipient is
# deferred (451 4.7.0).
# Env: POSTWARD.  Ends with "N passed, M failed".
# shellcheck source=tests/openpgp/lib.sh
. "$(dirname "$0")/../openpgp/lib.sh"	# ok, ko, finish, $tmp and its cleanup, $top, $here
POSTWARD=${POSTWARD:-$top/milter/postward}
PY=/usr/bin/python3
command -v miltertest >/dev/null || { echo "SKIP: miltertest not found"; exit 77; }
opgp_tmp pw-rtlsrcpt
pids=""
pwpid=""
stop_all() {	# postward, the HTTPS servers, the DNS fixture (before $tmp goes)
	local p
	[ -n "$pwpid" ] && kill "$pwpid" 2>/dev/null && wait "$pwpid" 2>/dev/null
	for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	"$top/tests/dns/fixture.sh" stop "$tmp/dns" >/dev/null 2>&1
}
opgp_atexit=stop_all
cd "$tmp" || exit 1
export ASAN_OPTIONS="exitcode=86${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

# ---- DNS ---------------------------------------------------------------------------------
H=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
mkdir records
cat > records/secure.test.records <<EOR
dane MX 10 mx.dane
mx.dane A 127.0.0.1
_25._tcp.mx.dane TLSA 3 1 1 $H
implicit A 127.0.0.1
_25._tcp.implicit TLSA 2 0 1 $H
notlsa MX 10 mx.notlsa
mx.notlsa A 127.0.0.1
pkix MX 10 mx.pkix
mx.pkix A 127.0.0.1
_25._tcp.mx.pkix TLSA 1 1 1 $H
insaddr MX 10 mx.insaddr.insecure.test.
nullmx MX 0 .
EOR
# many.secure.test: 11 MX hosts, only the last (preference 11) with TLSA: past the limit of 10
for i in $(seq 11); do
	printf 'many MX %d mx%d.many\nmx%d.many A 127.0.0.1\n' "$i" "$i" "$i"
done >> records/secure.test.records
echo "_25._tcp.mx11.many TLSA 3 1 1 $H" >> records/secure.test.records
cat > records/insecure.test.records <<EOR
mx.insaddr A 127.0.0.1
_25._tcp.mx.insaddr TLSA 3 1 1 $H
plain MX 10 mx.plain
mx.plain A 127.0.0.1
EOR
for d in sts ststest stsmis stsnone stsredir stsdown stsrogue stsbig; do
	printf '%s MX 10 mx1.%s\nmx1.%s A 127.0.0.1\n_mta-sts.%s TXT "v=STSv1; id=20261206a;"\n' \
		"$d" "$d" "$d" "$d" >> records/insecure.test.records
done
cat > records/wrongkey.test.records <<EOR
dom MX 10 mx.dom
mx.dom A 127.0.0.1
EOR
cat > records/bogus.test.records <<EOR
stsbog MX 10 mx.stsbog
mx.stsbog A 127.0.0.1
_mta-sts.stsbog TXT "v=STSv1; id=1;"
EOR
"$top/tests/dns/fixture.sh" start "$tmp/dns" "$tmp/records" > dns.log 2>&1 ||
	{ ko "DNS fixture: $(tail -3 dns.log)"; finish; }
. "$tmp/dns/env"
ok "DNS fixture with the test domains"

# ---- certificates and the policy server -----------------------------------------------------
names=""
for d in sts ststest stsmis stsnone stsredir stsdown stsrogue stsbig; do
	names="$names${names:+,}DNS:mta-sts.$d.insecure.test"
done
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
		-out ca.pem -days 2 -subj "/CN=postward MTA-STS test CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" &&
	# the policy hosts' certificate, signed by that CA in one step (OpenSSL 3: req -x509 -CA)
	openssl req -x509 -CA ca.pem -CAkey ca.key -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-nodes -keyout srv.key -out srv.pem -days 2 -subj "/CN=mta-sts.sts.insecure.test" \
		-addext "subjectAltName=$names" -addext "basicConstraints=CA:FALSE" \
		-addext "extendedKeyUsage=serverAuth" &&
	# the same names, self-signed: not from the CA postward trusts
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rogue.key \
		-out rogue.pem -days 2 -subj "/CN=mta-sts.stsrogue.insecure.test" \
		-addext "subjectAltName=$names"
} > certs.log 2>&1 && ok "test CA and server certificates" || { ko "openssl: $(tail -3 certs.log)"; finish; }
policy() {	# policy DOMAIN MODE MX...
	local d=$1 m=$2 dir=docroot/mta-sts.$1.insecure.test/.well-known
	shift 2
	mkdir -p "$dir"
	{ printf 'version: STSv1\r\nmode: %s\r\n' "$m"; for x in "$@"; do printf 'mx: %s\r\n' "$x"; done
	  printf 'max_age: 86400\r\n'; } > "$dir/mta-sts.txt"
}
policy sts enforce '*.sts.insecure.test'
policy ststest testing '*.ststest.insecure.test'
policy stsmis enforce mail.elsewhere.example '*.example.org'
policy stsdown enforce '*.stsdown.insecure.test'
policy stsrogue enforce '*.stsrogue.insecure.test'
# stsbig: a valid policy padded past the 64 KiB cap with unknown keys
policy stsbig enforce '*.stsbig.insecure.test'
for i in $(seq 2000); do printf 'x-padding-%04d: %s\r\n' "$i" 0123456789012345678901234; done \
	>> docroot/mta-sts.stsbig.insecure.test/.well-known/mta-sts.txt
mkdir -p docroot/mta-sts.stsredir.insecure.test/.well-known
echo "https://mta-sts.sts.insecure.test/.well-known/mta-sts.txt" \
	> docroot/mta-sts.stsredir.insecure.test/.well-known/mta-sts.txt.redirect
# two servers of tests/lists/keyserver.py: one with the CA's certificate, one with the rogue one
for sv in good:srv rogue:rogue; do
	"$PY" "$top/tests/lists/keyserver.py" "${sv%%:*}.ready" "${sv#*:}.pem" "${sv#*:}.key" \
		docroot "${sv%%:*}.log" 2> "${sv%%:*}.err" &
	pids="$pids $!"
done
for _ in $(seq 200); do [ -s good.ready ] && [ -s rogue.ready ] && break; sleep 0.05; done
GOOD=$(cat good.ready 2>/dev/null)
ROGUE=$(cat rogue.ready 2>/dev/null)
DEAD=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
[ -n "$GOOD" ] && [ -n "$ROGUE" ] && ok "HTTPS policy servers listening" ||
	{ ko "servers: $(cat good.err rogue.err)"; finish; }
to="requiretls_mta_sts_connect_to ="
for d in sts ststest stsmis stsnone stsredir stsbig; do to="$to mta-sts.$d.insecure.test:443:127.0.0.1:$GOOD,"; done
to="$to mta-sts.stsdown.insecure.test:443:127.0.0.1:$DEAD, mta-sts.stsrogue.insecure.test:443:127.0.0.1:$ROGUE"

# ---- a list of this postward at a domain that could not receive REQUIRETLS ---------------------
mkhome list
{ g list --quick-gen-key "<board@plain.insecure.test>" ed25519 sign 0 &&
  LISTFPR=$(g list --with-colons --list-keys | awk -F: '/^fpr/ { print $10; exit }') &&
  g list --quick-add-key "$LISTFPR" cv25519 encr 0; } > listkey.log 2>&1 ||
	{ ko "list key: $(tail -3 listkey.log)"; finish; }
mkdir lists lspool
printf 'list board@plain.insecure.test\nfrom_rewrite never\nowner sub@example.net\nopenpgp_key %s\nsubscriber sub@example.net openpgp=%s\n' \
	"$LISTFPR" "$LISTFPR" > lists/board.list

# ---- postward -------------------------------------------------------------------------------
echo "require_tls sender_domain ruled.example" > rtls.policy
conf() {	# conf MODE
	cat <<EOF2
sender_practices =
log_level = debug
dns_nameservers = $DNS_SERVER
dns_trust_anchor_file = $TRUST_ANCHOR
dns_timeout = 2
policy_files = $tmp/rtls.policy
requiretls_recipient_check = $1
requiretls_exempt_domains = local.test, .relay.test
requiretls_mta_sts_ca_file = $tmp/ca.pem
requiretls_mta_sts_timeout = 5
list_directory = $tmp/lists
gnupg_home = $tmp/list
list_spool_directory = $tmp/lspool
list_reinject = 127.0.0.1:9
$to
EOF2
}
conf reject > reject.conf
conf log > log.conf
"$POSTWARD" -n -c reject.conf > n.out 2>&1 && ok "postward -n accepts the settings" ||
	ko "postward -n: $(cat n.out)"
start_pw() {	# start_pw CONF LOG
	pwpid=""
	rm -f "$tmp/pw.sock"
	: > "$2"
	"$POSTWARD" -f -c "$1" -p "unix:$tmp/pw.sock" 2> "$2" &
	pwpid=$!
	for _ in $(seq 1200); do grep -q "listening on" "$2" && break; kill -0 "$pwpid" 2>/dev/null || break; sleep 0.05; done
	grep -q "listening on" "$2" || { ko "postward did not start: $(tail -5 "$2")"; finish; }
}
stop_pw() { kill "$pwpid" 2>/dev/null && wait "$pwpid" 2>/dev/null; pwpid=""; }
send() {	# send QID SENDER ARGS RCPT... -> out-QID
	local qid=$1 sender=$2 args=$3
	shift 3
	timeout 120 miltertest -D sock="unix:$tmp/pw.sock" -D qid="$qid" -D sender="$sender" \
		-D args="$args" -D rcpts="$*" -s "$here/rcpt.lua" > "out-$qid" 2>&1
}
# rcpt QID ADDR REPLY [LOG-REGEX] - RCPT of ADDR got REPLY (replycode: refused or deferred
# with postward's reply, which the log line tells apart); postward's log has a line
# "QID: requiretls-rcpt=REGEX..." about to=<ADDR>
rcpt() {
	local got
	got=$(awk -v a="<$2>" '$1 == "RCPT" && $2 == a { print $3 }' "out-$1")
	[ "$got" = "$3" ] && ok "$1 $2: $3" || ko "$1 $2: got \"$got\", want $3 ($(tr '\n' '|' < "out-$1"))"
	[ $# -lt 4 ] && return
	grep -F "$1: requiretls-rcpt=" "$curlog" | grep -F " to=<$2> " |
		grep -Eq -- "requiretls-rcpt=$4" && ok "$1 $2: log /$4/" ||
		ko "$1 $2: no log line /$1: requiretls-rcpt=$4/ with to=<$2> ($(grep "$1: requiretls-rcpt" "$curlog" | grep -F "<$2>"))"
}
R550='reply="550 5.7.30 REQUIRETLS: '
curlog=pw.log
start_pw reject.conf pw.log
send Q1 '<alice@sender.example>' REQUIRETLS bob@dane.secure.test bob@implicit.secure.test \
	bob@notlsa.secure.test bob@pkix.secure.test bob@insaddr.secure.test bob@nullmx.secure.test \
	bob@plain.insecure.test bob@dom.wrongkey.test bob@local.test bob@x.relay.test bob@relay.test
rcpt Q1 bob@dane.secure.test continue 'pass .*via=dane action=accept dane=ok "mx.dane.secure.test: TLSA 3 1 1 usable'
rcpt Q1 bob@implicit.secure.test continue 'pass .*via=dane .*"implicit.secure.test: TLSA 2 0 1 usable'
rcpt Q1 bob@notlsa.secure.test replycode "fail .*action=reject dane=no \"mx.notlsa.secure.test: no TLSA records\" mta-sts=no \"no _mta-sts TXT record\" $R550"'notlsa.secure.test has no DNSSEC-signed MX with DANE TLSA records and no MTA-STS policy in enforce mode'
rcpt Q1 bob@pkix.secure.test replycode 'fail .*none of its 1 TLSA records is usable'
rcpt Q1 bob@insaddr.secure.test replycode 'fail .*A RRset not DNSSEC-signed, so no TLSA lookup'
rcpt Q1 bob@nullmx.secure.test replycode 'fail .*a null MX'
rcpt Q1 bob@plain.insecure.test replycode "fail .*action=reject dane=no \"MX RRset not DNSSEC-signed \\(insecure\\)\" .*$R550"
rcpt Q1 bob@dom.wrongkey.test replycode 'temperror .*action=tempfail dane=bogus "MX ANSWER bogus: .*reply="451 4.7.5 REQUIRETLS: DNSSEC validation failed for dom.wrongkey.test'
rcpt Q1 bob@local.test continue 'exempt .*requiretls_exempt_domains local.test'
rcpt Q1 bob@x.relay.test continue 'exempt .*requiretls_exempt_domains .relay.test'
rcpt Q1 bob@relay.test replycode 'fail'
# a list address of this postward is exempt, though its domain could not receive REQUIRETLS
send Q1c '<alice@sender.example>' REQUIRETLS board@plain.insecure.test bob@plain.insecure.test
rcpt Q1c board@plain.insecure.test continue 'exempt .*\(a list address of this postward\)'
rcpt Q1c bob@plain.insecure.test replycode 'fail .*action=reject'
send Q1b '<alice@sender.example>' REQUIRETLS bob@many.secure.test
rcpt Q1b bob@many.secure.test replycode 'fail .*dane=no "mx1.many.secure.test: no TLSA records \(no other of the first 10 MX hosts has usable TLSA; 1 more not looked at\)"'

send Q2 '<alice@sender.example>' REQUIRETLS bob@sts.insecure.test bob@ststest.insecure.test \
	bob@stsmis.insecure.test bob@stsnone.insecure.test bob@stsredir.insecure.test \
	bob@stsdown.insecure.test bob@stsrogue.insecure.test bob@stsbog.bogus.test \
	bob@stsbig.insecure.test
rcpt Q2 bob@sts.insecure.test continue 'pass .*via=mta-sts .*mta-sts=ok "policy id 20261206a \(fetched\) mode enforce, MX mx1.sts.insecure.test matches mx \*.sts.insecure.test"'
rcpt Q2 bob@ststest.insecure.test replycode "fail .*action=reject .*mta-sts=no \"policy id 20261206a \\(fetched\\) in mode testing\" $R550"
rcpt Q2 bob@stsmis.insecure.test replycode 'fail .*no MX host matches its mx patterns'
rcpt Q2 bob@stsnone.insecure.test replycode 'fail .*mta-sts=no "TXT id 20261206a, but https://mta-sts.stsnone.insecure.test/.well-known/mta-sts.txt: HTTP 404'
rcpt Q2 bob@stsredir.insecure.test replycode 'temperror .*HTTP 301 redirect, not followed .*reply="451 4.7.0 REQUIRETLS: cannot check stsredir.insecure.test now'
rcpt Q2 bob@stsdown.insecure.test replycode 'temperror .*mta-sts=temp .*reply="451 4.7.0 '
rcpt Q2 bob@stsrogue.insecure.test replycode 'temperror .*mta-sts=temp "TXT id 20261206a, but https://mta-sts.stsrogue.insecure.test/.well-known/mta-sts.txt: .*certificate'
rcpt Q2 bob@stsbog.bogus.test replycode 'temperror .*dane=no "mx.stsbog.bogus.test: no TLSA records" mta-sts=temp "_mta-sts TXT lookup bogus'
rcpt Q2 bob@stsbig.insecure.test replycode 'temperror .*mta-sts=temp "TXT id 20261206a, but https://mta-sts.stsbig.insecure.test/.well-known/mta-sts.txt: answer larger than 65536 octets"'
# the redirect target was never asked for from stsredir's URL: one request to its host only
[ "$(grep -c '^mta-sts.stsredir.insecure.test ' good.log)" = 1 ] && ok "the redirect was not followed" ||
	ko "redirect: $(cat good.log)"
# failed fetches are remembered for a minute: a second message to the 404 and redirect
# domains gets the same answers without a request (the server's log has one each)
send Q2b '<alice@sender.example>' REQUIRETLS carol@stsnone.insecure.test carol@stsredir.insecure.test
rcpt Q2b carol@stsnone.insecure.test replycode 'fail .*mta-sts=no "TXT id 20261206a, but .*HTTP 404 .*not tried again yet\)"'
rcpt Q2b carol@stsredir.insecure.test replycode 'temperror .*redirect, not followed .*not tried again yet\)'
[ "$(grep -c '^mta-sts.stsnone.insecure.test ' good.log)" = 1 ] &&
	ok "the failed fetch of stsnone's policy was not repeated" || ko "stsnone fetches: $(grep stsnone good.log)"
# the cache: a second message to sts.insecure.test does not fetch again
send Q3 '<alice@sender.example>' REQUIRETLS carol@sts.insecure.test
rcpt Q3 carol@sts.insecure.test continue 'pass .*via=mta-sts .*\(cached\)'
[ "$(grep -c '^mta-sts.sts.insecure.test /.well-known/mta-sts.txt 200' good.log)" = 1 ] &&
	ok "the sts.insecure.test policy was fetched once (then cached)" || ko "fetches: $(cat good.log)"
# the cache lives across reloads and holds while the TXT id stays: the server's policy turns
# to mode testing, postward reloads (a new resolver, an empty DNS cache) and still uses the
# cached enforce policy; then the TXT id changes (the fixture re-signed with the new record,
# another reload): the policy is fetched again and says testing
policy sts testing '*.sts.insecure.test'
reload_pw() {	# reload_pw N: SIGHUP, wait for the Nth "reloaded:" line
	kill -HUP "$pwpid"
	for _ in $(seq 1200); do [ "$(grep -c 'reloaded:' pw.log)" -ge "$1" ] && break; sleep 0.05; done
	[ "$(grep -c 'reloaded:' pw.log)" -ge "$1" ] || ko "reload $1 not logged"
}
reload_pw 1
send Q6 '<alice@sender.example>' REQUIRETLS dave@sts.insecure.test
rcpt Q6 dave@sts.insecure.test continue 'pass .*via=mta-sts .*mta-sts=ok "policy id 20261206a \(cached\) mode enforce'
sed -i 's/^_mta-sts.sts TXT "v=STSv1; id=20261206a;"$/_mta-sts.sts TXT "v=STSv1; id=20261206b;"/' \
	records/insecure.test.records
"$top/tests/dns/fixture.sh" start "$tmp/dns" "$tmp/records" > dns2.log 2>&1 ||
	{ ko "DNS fixture restart: $(tail -3 dns2.log)"; finish; }
. "$tmp/dns/env"
conf reject > reject.conf	# the fixture's port may have changed
conf log > log.conf
reload_pw 2
send Q7 '<alice@sender.example>' REQUIRETLS erin@sts.insecure.test
rcpt Q7 erin@sts.insecure.test replycode 'fail .*mta-sts=no "policy id 20261206b \(fetched\) in mode testing"'
[ "$(grep -c '^mta-sts.sts.insecure.test /.well-known/mta-sts.txt 200' good.log)" = 2 ] &&
	ok "a new TXT id made the one new fetch" || ko "fetches: $(cat good.log)"
# no REQUIRETLS: nothing is looked up, every recipient goes on
send Q4 '<alice@sender.example>' '' bob@plain.insecure.test bob@dom.wrongkey.test
rcpt Q4 bob@plain.insecure.test continue
rcpt Q4 bob@dom.wrongkey.test continue
grep -q "Q4: requiretls-rcpt" pw.log && ko "a message without REQUIRETLS was checked" ||
	ok "a message without REQUIRETLS is not checked"
# a require_tls rule on the sender domain marks the message at RCPT
send Q5 '<alice@ruled.example>' '' bob@plain.insecure.test bob@dane.secure.test
rcpt Q5 bob@plain.insecure.test replycode "fail .*action=reject .*$R550"
rcpt Q5 bob@dane.secure.test continue 'pass .*via=dane'
stop_pw
grep -q 'Sanitizer\|runtime error' pw.log && ko "sanitizer report: $(grep -m3 'Sanitizer\|runtime error' pw.log)" ||
	ok "no sanitizer report (mode reject)"

# ---- log only ---------------------------------------------------------------------------------
curlog=pwlog.log
start_pw log.conf pwlog.log
send L1 '<alice@sender.example>' REQUIRETLS bob@notlsa.secure.test bob@dom.wrongkey.test \
	bob@dane.secure.test
rcpt L1 bob@notlsa.secure.test continue 'fail .*action=log-only .*reply="550 5.7.30 '
rcpt L1 bob@dom.wrongkey.test continue 'temperror .*action=log-only .*reply="451 4.7.5 '
rcpt L1 bob@dane.secure.test continue 'pass .*action=accept'
stop_pw
grep -q 'Sanitizer\|runtime error' pwlog.log && ko "sanitizer report: $(grep -m3 'Sanitizer\|runtime error' pwlog.log)" ||
	ok "no sanitizer report (mode log)"

# ---- no DNS server: the lookups fail, the recipient is deferred ------------------------------
"$top/tests/dns/fixture.sh" stop "$tmp/dns" >/dev/null 2>&1
curlog=pwdown.log
start_pw reject.conf pwdown.log
send D1 '<alice@sender.example>' REQUIRETLS bob@dane.secure.test
rcpt D1 bob@dane.secure.test replycode 'temperror .*action=tempfail dane=temp "MX lookup failed: .*reply="451 4.7.0 REQUIRETLS: cannot check dane.secure.test now'
stop_pw
finish
