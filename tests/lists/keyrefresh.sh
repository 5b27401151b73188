#!/bin/bash
# tests/lists/keyrefresh.sh - key freshness (milter/lists/keyfetch.c, keyrefresh.c) through
# `postward -K` against a real HTTPS server and real gpg homes.
#
# A test CA and a server certificate for openpgpkey.example.net, direct.invalid and
# keys.example.org are made with openssl; tests/lists/keyserver.py serves WKD (advanced
# method for example.net, direct method for direct.invalid) and a VKS path over HTTPS on
# 127.0.0.1.  postward reaches it through list_https_connect_to (libcurl's CONNECT_TO:
# the TLS name checked is still the URL's host, so verification is real) with
# list_https_ca_file naming the test CA.  direct.invalid has no openpgpkey. entry, so its
# advanced host does not resolve and the direct method is used, as the WKD draft says.
# The WKD paths are the ones `gpg --with-wkd-hash` prints, not postward's own computation.
#
# Cases: a key with a new encryption subkey and a later expiry is fetched and merged (gpg in
# the list's home shows both); a WKD answer with an unrelated key is refused and the list's
# home is unchanged; a revoked key arrives and gpg then shows it revoked; the direct method;
# VKS (armored); 404 -> not-found; an oversized answer -> refused; a key expiring in 3 days
# with list_key_expiry_warning = 14 -> one warning mail at the SMTP sink, a second pass none
# (the ledger); server down -> temporary-error; a server certificate not from the test CA ->
# refused; the daemon's scheduler (list_key_refresh_delay = 0: its first pass at once) merges a
# subkey gina published since, with no postward -K.  Prints PASS/FAIL lines and "N passed, M failed"; exit 1 on any failure.
# shellcheck source=tests/openpgp/lib.sh
. "$(dirname "$0")/../openpgp/lib.sh"	# ok, ko, finish, g, mkhome, $tmp and its cleanup
POSTWARD=${POSTWARD:-$top/milter/postward}
PY=/usr/bin/python3
opgp_tmp pw-keyrefresh
pids=""
stop_servers() { local p; for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done; }
opgp_atexit=stop_servers
# the end: on a failure the last postward -K run's log first
the_end() {
	[ "$failed" -eq 0 ] || { echo "--- last postward -K stderr"; tail -30 "$tmp/k.err" 2>/dev/null; }
	finish
}
cd "$tmp" || exit 1
export ASAN_OPTIONS="exitcode=86${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

fpr_of() { g "$1" --with-colons --list-keys "$2" 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }'; }
for h in listhome alice eve mallory carol bob gina frank; do mkhome "$h"; done
# mkkey HOME ADDR [EXPIRY] - an ed25519 key with a cv25519 encryption subkey
mkkey() {
	g "$1" --quick-gen-key "<$2>" ed25519 sign "${3:-0}" &&
		g "$1" --quick-add-key "$(fpr_of "$1" "$2")" cv25519 encr "${3:-0}"
}
{
	g listhome --quick-gen-key "<board@lists.test>" ed25519 sign 0 &&
	mkkey alice alice@example.net 1y &&
	mkkey eve eve@example.net &&
	mkkey mallory eve@example.net &&
	mkkey carol carol@example.net &&
	mkkey bob bob@direct.invalid &&
	mkkey gina gina@example.net &&
	mkkey frank frank@example.net 3d
} > keys.log 2>&1 || { ko "gpg key generation: $(tail -3 keys.log)"; the_end; }
# LIST, ALICE, EVE, MALLORY, ... : the fingerprints of the homes' keys
for h in listhome alice eve mallory carol bob gina frank; do
	declare "$(tr a-z A-Z <<< "${h%home}")=$(g "$h" --with-colons --list-keys 2>/dev/null |
		awk -F: '/^fpr/ { print $10; exit }')"
done
# the list knows every subscriber's key as it was at subscription
for h in alice eve carol bob gina frank; do g "$h" --export > "$h.pub" && g listhome --import "$h.pub" 2>/dev/null; done
[ -n "$LIST" ] && [ -n "$FRANK" ] && ok "keys made" || { ko "keys"; the_end; }

# ---- what the subscribers publish later ------------------------------------------------
{
	# alice: a later expiry and a new encryption subkey
	g alice --quick-set-expire "$ALICE" 2y &&
	g alice --quick-add-key "$ALICE" cv25519 encr 2y &&
	# carol: revoked (the revocation certificate gpg made, its guard colon taken off)
	sed 's/^:-----BEGIN/-----BEGIN/' "$tmp/carol/openpgp-revocs.d/$CAROL.rev" > carol.rev &&
	g carol --import carol.rev &&
	g bob --quick-add-key "$BOB" cv25519 encr 0 &&
	g gina --quick-add-key "$GINA" cv25519 encr 0
} > publish.log 2>&1 || { ko "gpg key changes: $(tail -3 publish.log)"; the_end; }
hash_of() { g "$1" --with-wkd-hash --list-keys "$2" 2>/dev/null | awk -v a="$2" '$1 ~ /@/ && $1 != a && index($1, "@") == 33 { sub(/@.*/, "", $1); print $1; exit }'; }
wkd=docroot/openpgpkey.example.net/.well-known/openpgpkey/example.net/hu
direct=docroot/direct.invalid/.well-known/openpgpkey/hu
vks=docroot/keys.example.org/vks/v1/by-fingerprint
mkdir -p "$wkd" "$direct" "$vks"
g alice --export "$ALICE" > "$wkd/$(hash_of alice alice@example.net)"
g mallory --export "$MALLORY" > "$wkd/$(hash_of eve eve@example.net)"	# not eve's key
g carol --export "$CAROL" > "$wkd/$(hash_of carol carol@example.net)"
g bob --export "$BOB" > "$direct/$(hash_of bob bob@direct.invalid)"
g gina --armor --export "$GINA" > "$vks/$GINA"
# big@example.net: 2 MB, past KEYFETCH_MAX (1 MiB)
big=$("$PY" -c 'import hashlib
z = "ybndrfg8ejkmcpqxot1uwisza345h769"
n = int.from_bytes(hashlib.sha1(b"big").digest(), "big")
print("".join(z[(n >> (155 - 5 * i)) & 31] for i in range(32)))')
head -c 2000000 /dev/urandom > "$wkd/$big"
[ "$(ls "$wkd" | wc -l)" -eq 4 ] && [ -s "$vks/$GINA" ] && ok "WKD and VKS documents in place" ||
	{ ko "documents: $(ls "$wkd")"; the_end; }

# ---- certificates ------------------------------------------------------------------------
SAN="subjectAltName=DNS:openpgpkey.example.net,DNS:direct.invalid,DNS:keys.example.org"
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
		-out ca.pem -days 2 -subj "/CN=postward keyrefresh test CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key \
		-out srv.csr -subj "/CN=openpgpkey.example.net" &&
	printf '%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$SAN" > srv.ext &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile srv.ext -out srv.pem &&
	# the same names, but signed by nobody the test trusts
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rogue.key \
		-out rogue.pem -days 2 -subj "/CN=openpgpkey.example.net" -addext "$SAN"
} > certs.log 2>&1 && ok "test CA and server certificates made" ||
	{ ko "openssl: $(tail -3 certs.log)"; the_end; }

# ---- servers -------------------------------------------------------------------------------
start_server() {	# start_server NAME CERT KEY: its port in $port
	"$PY" "$here/keyserver.py" "$1.ready" "$2" "$3" docroot "$1.log" 2> "$1.err" &
	pids="$pids $!"
	for _ in $(seq 1200); do [ -s "$1.ready" ] && break; sleep 0.05; done
	port=$(cat "$1.ready" 2>/dev/null)
}
start_server good srv.pem srv.key
GOOD=$port
start_server rogue rogue.pem rogue.key
ROGUE=$port
mkdir box
"$PY" "$here/../e2e/smtpsink.py" sink.ready "box=$tmp/box" > sink.log 2>&1 &
pids="$pids $!"
for _ in $(seq 1200); do [ -s sink.ready ] && break; sleep 0.05; done
SINK=$(awk '$1 == "box" { print $2 }' sink.ready 2>/dev/null)
[ -n "$GOOD" ] && [ -n "$ROGUE" ] && [ -n "$SINK" ] && ok "HTTPS servers and SMTP sink listening" ||
	{ ko "servers: $(cat good.err rogue.err sink.log 2>/dev/null | tail -5)"; the_end; }
DEAD=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# ---- the list and the configuration ---------------------------------------------------------
mkdir lists spool
cat > lists/board.list <<EOF
list board@lists.test
from_rewrite never
owner owner@lists.test
bounce board-bounces@lists.test
openpgp_key $LIST
EOF
# dave (nothing published) and big (an oversized answer) are named with alice's key
for s in alice:$ALICE eve:$EVE carol:$CAROL bob:$BOB gina:$GINA dave:$ALICE big:$ALICE \
	frank:$FRANK; do
	d=example.net
	[ "${s%%:*}" = bob ] && d=direct.invalid
	echo "subscriber ${s%%:*}@$d openpgp=${s#*:}"
done >> lists/board.list
conf() {	# conf FILE TARGET-PORT [more lines]
	local f=$1 p=$2
	shift 2
	{
		echo "sender_practices ="
		echo "list_directory = $tmp/lists"
		echo "gnupg_home = $tmp/listhome"
		echo "list_spool_directory = $tmp/spool"
		echo "list_reinject = 127.0.0.1:$SINK"
		echo "list_key_sources = wkd, vks"
		echo "list_vks_url = https://keys.example.org"
		echo "list_https_ca_file = $tmp/ca.pem"
		echo "list_https_timeout = 10"
		echo "list_key_expiry_warning = 14"
		echo "list_https_connect_to = openpgpkey.example.net:443:127.0.0.1:$p,"
		echo "	direct.invalid:443:127.0.0.1:$p, keys.example.org:443:127.0.0.1:$p"
		for l in "$@"; do echo "$l"; done
	} > "$f"
}
conf good.conf "$GOOD"
conf dead.conf "$DEAD"
conf rogue.conf "$ROGUE"
"$POSTWARD" -n -c good.conf > n.out 2>&1 && ok "postward -n accepts the key refresh settings" ||
	ko "postward -n: $(cat n.out)"
sed 's|^list_vks_url = https:|list_vks_url = http:|' good.conf > badsrc.conf
"$POSTWARD" -n -c badsrc.conf > n.out 2>&1
grep -q "list_vks_url.*https" n.out && ok "postward -n refuses an http list_vks_url" ||
	ko "http list_vks_url: $(cat n.out)"

snapshot() { g listhome --export "$1" | sha256sum; }
EVE_BEFORE=$(snapshot "$EVE")
kr() {	# kr CONF: one pass; its lines in k.out, its log in k.err, status in krc
	"$POSTWARD" -K -c "$1" > k.out 2> k.err
	krc=$?
}
line() { grep "^board@lists.test $1 " k.out; }
res() { line "$1" | awk '{ print $4 }'; }

# ---- the first pass ---------------------------------------------------------------------------
kr good.conf
if grep -q 'Sanitizer\|runtime error' k.err || [ "$krc" -gt 2 ]; then
	ko "postward -K crashed (status $krc): $(grep -m3 'ERROR\|runtime error' k.err)"
	the_end
fi
[ "$(wc -l < k.out)" -eq 8 ] && ok "one line per subscriber" || ko "lines: $(cat k.out)"
[ "$krc" -eq 1 ] && ok "exit status 1: some subscribers were refused" || ko "exit status $krc"

[ "$(res alice@example.net)" = updated ] && line alice@example.net | grep -q "wkd=updated" &&
	ok "alice: updated from WKD (advanced method)" || ko "alice: $(line alice@example.net)"
grep -q "^openpgpkey.example.net /.well-known/openpgpkey/example.net/hu/$(hash_of alice alice@example.net)?l=alice 200" good.log &&
	ok "the advanced method's URL, with ?l=" || ko "WKD request: $(grep alice good.log; head -3 good.log)"
want_exp=$(g alice --with-colons -k "$ALICE" | awk -F: '$1 == "pub" { print $7 }')
got_exp=$(g listhome --with-colons -k "$ALICE" | awk -F: '$1 == "pub" { print $7 }')
nsub=$(g listhome --with-colons -k "$ALICE" | grep -c '^sub')
[ -n "$want_exp" ] && [ "$want_exp" = "$got_exp" ] && ok "alice: the list's gpg shows the new expiry" ||
	ko "alice expiry: list $got_exp, alice $want_exp"
[ "$nsub" -eq 2 ] && ok "alice: the list's gpg has the new encryption subkey" || ko "alice subkeys: $nsub"

[ "$(res eve@example.net)" = refused ] && line eve@example.net | grep -q "wkd=refused" &&
	ok "eve: WKD answer with an unrelated key refused" || ko "eve: $(line eve@example.net)"
grep -q "unrelated key.*$MALLORY" k.err && ok "the refusal is logged, naming the key offered" ||
	ko "eve log: $(grep eve k.err)"
[ "$(snapshot "$EVE")" = "$EVE_BEFORE" ] && ! g listhome --list-keys "$MALLORY" >/dev/null 2>&1 &&
	ok "eve: the list's home is unchanged (mallory's key not imported)" || ko "eve: the list's home changed"

[ "$(res carol@example.net)" = updated ] && g listhome --with-colons -k "$CAROL" | grep -q '^pub:r:' &&
	ok "carol: the revocation arrived, the list's gpg shows the key revoked" ||
	ko "carol: $(line carol@example.net); $(g listhome --with-colons -k "$CAROL" | head -1)"

if getent hosts openpgpkey.direct.invalid >/dev/null 2>&1; then
	echo "SKIP: bob: this machine's resolver answers for openpgpkey.direct.invalid"
elif [ "$(res bob@direct.invalid)" = updated ] &&
	grep -q "^direct.invalid /.well-known/openpgpkey/hu/$(hash_of bob bob@direct.invalid)?l=bob 200" good.log &&
	[ "$(g listhome --with-colons -k "$BOB" | grep -c '^sub')" -eq 2 ]
then
	ok "bob: no openpgpkey.direct.invalid, so the direct method; merged"
else
	ko "bob: $(line bob@direct.invalid); $(grep direct good.log)"
fi

line gina@example.net | grep -q "updated wkd=not-found vks=updated" &&
	grep -q "^keys.example.org /vks/v1/by-fingerprint/$GINA 200" good.log &&
	[ "$(g listhome --with-colons -k "$GINA" | grep -c '^sub')" -eq 2 ] &&
	ok "gina: not in WKD, updated from VKS (armored)" || ko "gina: $(line gina@example.net)"

[ "$(res dave@example.net)" = not-found ] && line dave@example.net | grep -q "wkd=not-found vks=" &&
	ok "dave: 404 is not-found" || ko "dave: $(line dave@example.net)"

line big@example.net | grep -q "wkd=refused" && grep -q "big@example.net.*larger than" k.err &&
	ok "big: an oversized answer is refused" || ko "big: $(line big@example.net); $(grep big k.err)"

line frank@example.net | grep -q "warning=sent" && ok "frank: key expiring in 3 days, warning sent" ||
	ko "frank: $(line frank@example.net)"
for _ in $(seq 1200); do [ -n "$(ls box/*.eml 2>/dev/null)" ] && break; sleep 0.05; done
n=$(ls box/*.eml 2>/dev/null | wc -l)
[ "$n" -eq 1 ] && grep -q "^To: frank@example.net" box/*.eml && grep -q "$FRANK" box/*.eml &&
	grep -q "^Auto-Submitted: auto-generated" box/*.eml &&
	ok "one warning mail, to frank, naming his key" || ko "warning mails: $n"
[ "$(grep -c 'warning=' k.out)" -eq 1 ] && ok "nobody else is warned (other keys live longer)" ||
	ko "warnings: $(grep 'warning=' k.out)"

# ---- the second pass: nothing new, no second warning ---------------------------------------------
kr good.conf
[ "$(res alice@example.net)" = unchanged ] && ok "alice: unchanged on the second pass" ||
	ko "alice again: $(line alice@example.net)"
line frank@example.net | grep -q "warning=told" && ok "frank: told before, no second warning (ledger)" ||
	ko "frank again: $(line frank@example.net)"
[ "$(ls box/*.eml 2>/dev/null | wc -l)" -eq 1 ] && ok "still one warning mail" || ko "warning mails: $(ls box)"
grep -q "expiring:$FRANK:" "spool/notices/board@lists.test%20key-expiry" 2>/dev/null &&
	ok "the ledger records expiring:FPR:DATE" || ko "ledger: $(ls spool/notices)"

# ---- server down, certificate not from the CA ----------------------------------------------
kr dead.conf
[ "$(res alice@example.net)" = temporary-error ] && line alice@example.net | grep -q "wkd=temporary-error" &&
	ok "server down: temporary-error" || ko "dead: $(line alice@example.net)"
before=$(cat rogue.log 2>/dev/null | wc -l)
kr rogue.conf
[ "$(res alice@example.net)" = refused ] && grep -qi "alice.*certificate" k.err &&
	ok "a certificate not from the test CA: refused (verification on)" ||
	ko "rogue: $(line alice@example.net); $(grep alice k.err)"
[ "$(cat rogue.log 2>/dev/null | wc -l)" -eq "$before" ] &&
	ok "no request reached the rogue server" || ko "requests sent to the rogue server"
# ---- the scheduler in the daemon --------------------------------------------------------------
# gina publishes one more encryption subkey; a daemon whose first pass comes at once merges it
# without any postward -K (its log line "pass done" is the event waited for)
{ g gina --quick-add-key "$GINA" cv25519 encr 0 && g gina --armor --export "$GINA" > "$vks/$GINA"; } \
	> publish2.log 2>&1 || ko "gina's second subkey: $(tail -3 publish2.log)"
subs_before=$(g listhome --with-colons -k "$GINA" | grep -c '^sub')
conf daemon.conf "$GOOD" "list_key_refresh_interval = 1" "list_key_refresh_delay = 0"
"$POSTWARD" -f -c daemon.conf -p "unix:$tmp/pw.sock" 2> d.log &
dpid=$!
pids="$pids $dpid"
for _ in $(seq 2400); do
	grep -q "key refresh: pass done" d.log 2>/dev/null && break
	kill -0 "$dpid" 2>/dev/null || break
	sleep 0.05
done
grep -q "key refresh: every 1 hour(s), the first pass in 0 second(s)" d.log &&
	ok "the daemon starts its key refresh scheduler and says when" ||
	ko "scheduler start: $(grep -m3 'key refresh\|ERROR' d.log)"
grep -q "key refresh: pass done" d.log && ok "the daemon's first scheduled pass ran" ||
	ko "no scheduled pass: $(tail -5 d.log)"
[ "$(g listhome --with-colons -k "$GINA" | grep -c '^sub')" -eq $((subs_before + 1)) ] &&
	ok "gina: the scheduled pass merged her new subkey" ||
	ko "gina after the scheduled pass: $(g listhome --with-colons -k "$GINA" | grep -c '^sub') subkeys, $subs_before before"
kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
! grep -q 'Sanitizer\|runtime error' d.log && ok "the daemon stopped cleanly" ||
	ko "daemon: $(grep -m3 'ERROR\|runtime error' d.log)"
the_end
