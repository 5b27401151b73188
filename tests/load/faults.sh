#!/bin/bash
# tests/load/faults.sh - faults injected at known points, through the real daemon and the strict
# client (tests/load/pw-miltc); every fault point is reached by an event (the client's VANISH
# line, the DNS proxy's query log, postward's log), never by sleeping for the machine.
#
#  1. Clients that vanish at every milter stage: after CONNECT, HELO, MAIL, RCPT (each sent,
#     its reply not read), half-way through the header fields, after EOH, half-way through the
#     body, and after end of message with the verdict still being worked out (the key lookup
#     held at the DNS proxy's gate until the client is gone, so postward writes its verdict
#     into a closed socket).  Each time: the daemon stays up, the next session gets a correct
#     verdict, and its descriptor count comes back to the baseline.
#  2. SIGHUP every second under load (20 connections): no lost, wrong or strayed verdict, and
#     every SIGHUP reloaded the configuration.
#  3. The DNS server killed mid-load and started again (same port): every message passes or
#     tempfails (never another verdict), the outage is felt, the first message sent once the
#     server answers again passes (its key never cached, so asked for), and passes resume.
#  4. The DNS server frozen (SIGSTOP) mid-load and resumed (SIGCONT): the same.
# In 3 and 4 the cache is small (dns_cache_size = 16) and the messages are signed with 40
# selectors, so lookups keep happening.
# Env: POSTWARD, PW_MILTC.  Ends with "N passed, M failed".
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PW_DNS_TIMEOUT=1
LOAD_SELECTORS=42	# ed2..ed41 for the load; ed42 and ed43 asked for only after an outage
load_setup
PASS_RE='dkim=pass \(key DNSSEC secure\) header\.d=secure\.test'

# ---- a DNS proxy in front of the fixture (tests/dns/dnsproxy.py) ---------------------------
"$PY" "$top/tests/dns/dnsproxy.py" --upstream "$DNS_SERVER" --rules "$tmp/rules" \
	--ready "$tmp/proxy.port" --log "$tmp/proxy.log" --daemon "$tmp/proxy.pid" 2>"$tmp/proxy.err" ||
	{ bad "DNS proxy did not start: $(cat "$tmp/proxy.err")"; finish; }
proxy=$(cat "$tmp/proxy.pid")
client=""
frozen=""
extra_cleanup='[ -n "$frozen" ] && kill -CONT $frozen; [ -n "$client" ] && kill -TERM $client; kill -KILL $proxy; wait $proxy 2>/dev/null'

sed -i "s/^dns_nameservers = .*/dns_nameservers = 127.0.0.1@$(cat "$tmp/proxy.port")/" "$tmp/pw.conf"

pw_start

# one_pass LABEL FILE - a full session must end with dkim=pass
one_pass() {
	local out
	out=$(miltc -n 1 -m 1 -W 60 "$2" 2>&1)
	if printf '%s\n' "$out" | grep -Eq "^S1 M1 .* continue .*ar=\"pw\.test; $PASS_RE" &&
		printf '%s\n' "$out" | grep -q 'violations=0'; then
		return 0
	fi
	echo "  ($1: $(printf '%s' "$out" | tr '\n' '|'))"
	return 1
}
fds_back() { [ "$(pw_fds)" -le "$base" ]; }

one_pass warm-up "$tmp/signed.eml" || bad "warm-up message did not pass"
base=$(pw_fds)
echo "baseline: $base descriptors in postward's worker (pid $PW_WORKER)"

# ---- 1. clients that vanish -----------------------------------------------------------------
for stage in connect helo mail rcpt header eoh body; do
	out=$(miltc -P -x "$stage" -n 1 -m 1 "$tmp/signed.eml" 2>&1)
	if printf '%s\n' "$out" | grep -Eq "^VANISH S1 M[01] $stage" && ! printf '%s\n' "$out" | grep -q VIOLATION; then
		ok "vanish at $stage: the client went away there"
	else
		bad "vanish at $stage: $(printf '%s' "$out" | tr '\n' '|')"
	fi
	if one_pass "after $stage" "$tmp/signed.eml"; then ok "vanish at $stage: the next session passes"; else bad "vanish at $stage: the next session does not pass"; fi
	if wait_for "descriptors back to $base" 30 fds_back; then ok "vanish at $stage: descriptors back to $base"; else bad "vanish at $stage: $(pw_fds) descriptors, baseline $base"; fi
done

# end of message: the client sends it and waits; postward's key lookup is held at the proxy's
# gate; once the query is seen there (postward is inside end of message) the client goes away,
# and only then is the DNS answer let through, so postward writes its verdict into a socket
# whose peer is gone.
echo "ed2._domainkey.secure.test TXT hold $tmp/gate" >"$tmp/rules"
"$PW_MILTC" -s "unix:$tmp/pw.sock" -P -x eom -X "$tmp/gone" -n 1 -m 1 "$tmp/sel02.eml" >"$tmp/eom.out" 2>&1 &
client=$!
if wait_for "the held key query" 60 grep -q '^ed2._domainkey.secure.test TXT hold' "$tmp/proxy.log"; then
	ok "vanish at eom: postward is inside end of message (its key query is held)"
else
	bad "vanish at eom: no key query reached the proxy"
fi
touch "$tmp/gone"
wait "$client"
client=""
if grep -q '^VANISH S1 M1 eom' "$tmp/eom.out"; then ok "vanish at eom: the client went away during end of message"; else bad "vanish at eom: $(tr '\n' '|' <"$tmp/eom.out")"; fi
touch "$tmp/gate"
if wait_for "the verdict of the abandoned message" 30 grep -q 's=ed2 key-dnssec=secure' "$tmp/pw.log"; then
	ok "vanish at eom: postward finished the message after the client had gone"
else
	bad "vanish at eom: no verdict logged for the abandoned message"
fi
rm -f "$tmp/rules"
if one_pass "after eom" "$tmp/signed.eml"; then ok "vanish at eom: the next session passes"; else bad "vanish at eom: the next session does not pass"; fi
if wait_for "descriptors back to $base" 30 fds_back; then ok "vanish at eom: descriptors back to $base"; else bad "vanish at eom: $(pw_fds) descriptors, baseline $base"; fi
if kill -0 "$PW_WORKER" 2>/dev/null; then ok "the same worker survived every vanished client"; else bad "postward's worker is gone"; fi

# ---- 2. SIGHUP every second under load ------------------------------------------------------
hups0=$(grep -c 'SIGHUP: asking the worker' "$tmp/pw.log")
"$PW_MILTC" -s "unix:$tmp/pw.sock" -q -c 20 -t 3600 -m 5 -W 60 -A "$PASS_RE" "$tmp/signed.eml" >"$tmp/hup.out" 2>&1 &
client=$!
n=0
while [ $n -lt 8 ]; do
	sleep 1	# the fault itself: a SIGHUP every second
	kill -HUP "$PW_PID"
	n=$((n + 1))
done
# the load ends once all eight reloads are logged (an event), not after some time
wait_for "eight reloads" 60 sh -c "[ \$(grep -c 'SIGHUP: asking the worker' '$tmp/pw.log') -ge $((hups0 + 8)) ]" &&
	ok "SIGHUP: 8 signals relayed to the worker" || bad "SIGHUP: fewer than 8 relayed"
kill -TERM "$client"
wait "$client"
rc=$?
client=""
line=$(grep '^load:' "$tmp/hup.out")
echo "  $line"
if [ "$rc" = 0 ] && printf '%s\n' "$line" | grep -Eq ' wrong=0 lost=0 violations=0$' &&
	printf '%s\n' "$line" | grep -Eq ' tempfail=0 ' && ! printf '%s\n' "$line" | grep -q ' messages=0 '; then
	ok "SIGHUP under load: every verdict a DNSSEC-secure pass, none lost, no violation"
else
	bad "SIGHUP under load: exit $rc: $line $(grep -m3 'VIOLATION\|lost' "$tmp/hup.out" | tr '\n' '|')"
fi
reloads=$(grep -c 'reloaded: ' "$tmp/pw.log")
[ "$reloads" -ge 8 ] && ok "SIGHUP: the worker reloaded ($reloads reload lines)" || bad "SIGHUP: only $reloads reload lines"

# ---- 3 and 4: the DNS server killed, frozen --------------------------------------------------
pw_stop || bad "postward exit status not 0 after part 1-2"
sed -i -e "s/^dns_nameservers = .*/dns_nameservers = $DNS_SERVER/" "$tmp/pw.conf"
echo "dns_cache_size = 16" >>"$tmp/pw.conf"
pw_start
sels=$(ls "$tmp"/sel*.eml | grep -v "sel4[23]\.eml$")

# the fixture's NSD and all its descendants (its server processes are children of children)
descendants() { local c; for c in $(pgrep -P "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done; }
nsd_all() { echo "$NSD_PID" $(descendants "$NSD_PID"); }
answers() { drill -p "$DNS_PORT" @127.0.0.1 SOA test. 2>/dev/null | grep -q 'rcode: NOERROR'; }
# the log grows fast under load: count only what was written since the phase's mark
mark() { stat -c %s "$tmp/pw.log"; }
count() { tail -c +"$((from + 1))" "$tmp/pw.log" | grep -c -- "$1"; }
# more_than PATTERN N - the log since the mark has more than N lines matching PATTERN
more_than() { [ "$(count "$1")" -gt "$2" ]; }

# dns_fault NAME BREAK MEND - load, BREAK the DNS once passes flow, MEND once failures show
dns_fault() {
	local name=$1 brk=$2 mend=$3 fresh=$4 p0 f0 p1 rc line
	"$PW_MILTC" -s "unix:$tmp/pw.sock" -q -c 5 -t 3600 -m 3 -W 120 -A "$PASS_RE" -O 'dkim=temperror' $sels >"$tmp/$name.out" 2>&1 &
	client=$!
	from=$(mark)
	wait_for "20 passes" 60 more_than 'dkim=pass d=secure.test' 20 || bad "$name: load did not start"
	from=$(mark)
	$brk
	if wait_for "key lookups failing" 90 more_than 'dkim=temperror' 5; then
		ok "$name: the outage is felt (temperror logged)"
	else
		bad "$name: no key lookup failed during the outage"
	fi
	$mend
	from=$(mark)
	# recovery: the first message sent once the server answers again, signed under a selector
	# that nothing asked for before (so its key must come from a query), passes
	out=$(miltc -n 1 -m 1 -W 60 "$fresh" 2>&1)
	if printf '%s\n' "$out" | grep -Eq "^S1 M1 .* continue eom=[0-9.]+ms ar=\"pw\.test; $PASS_RE"; then
		ok "$name: the first message after the DNS is back passes (a key never cached)"
	else
		bad "$name: first message after the DNS is back: $(printf '%s' "$out" | head -1)"
	fi
	if wait_for "passes again" 60 more_than 'dkim=pass d=secure.test' 20; then
		ok "$name: passes resume after the DNS is back"
	else
		bad "$name: no recovery"
	fi
	kill -TERM "$client"
	wait "$client"
	rc=$?
	client=""
	line=$(grep '^load:' "$tmp/$name.out")
	echo "  $line"
	if printf '%s\n' "$line" | grep -Eq ' wrong=0 lost=0 violations=0$' && [ "$rc" = 0 ]; then
		ok "$name: every message passed or tempfailed; none lost, no violation"
	else
		bad "$name: exit $rc: $line; $(grep -m3 'VIOLATION\|lost' "$tmp/$name.out" | tr '\n' '|'); $(grep -m3 'dmarc=fail\|practice reply: 5' "$tmp/pw.log" | tr '\n' '|')"
	fi
}
kill_dns() { "$FIXTURE" stop "$tmp/dns" >/dev/null 2>&1; }
restore_dns() {
	setsid nsd -d -c "$tmp/dns/nsd.conf" </dev/null >>"$tmp/dns/nsd.out" 2>&1 &
	NSD_PID=$!
	echo "$NSD_PID" >"$tmp/dns/fixture.pid"
	wait_for "NSD answering again" 20 answers || bad "NSD did not come back"
	NSD_PID=$(cat "$tmp/dns/nsd.pid" 2>/dev/null || echo "$NSD_PID")	# setsid may fork
	echo "$NSD_PID" >"$tmp/dns/fixture.pid"
}
frozen=""
freeze_dns() { frozen=$(nsd_all); kill -STOP $frozen; }
thaw_dns() { kill -CONT $frozen; frozen=""; }

dns_fault dns-killed kill_dns restore_dns "$tmp/sel42.eml"
dns_fault dns-frozen freeze_dns thaw_dns "$tmp/sel43.eml"

if pw_stop; then ok "postward stopped cleanly (sanitizers quiet)"; else bad "postward exit status not 0"; tail -30 "$tmp/pw.log"; fi
finish
