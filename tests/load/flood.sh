#!/bin/bash
# tests/load/flood.sh - header floods through the real daemon with a strict milter client:
# every session gets exactly one reply per command that expects one, no reply where a no-reply
# flag was agreed, modification actions only at end of message, nothing after QUIT
# (tests/load/pw-miltc checks all of that and counts any deviation as a violation).
#
# Regression test for stray "continue" replies seen under a flood of DKIM-Signature fields.
# On the wire there were none: postward and libmilter send exactly one reply per command here
# (libmilter's sendreply() turns any answer of a callback into no reply where the MTA agreed to
# SMFIP_NR_HDR/NR_BODY, and fakes the "continue" only for an MTA that did not).  What differs
# with a DKIM-Signature flood is the end of message: the Authentication-Results field postward
# adds lists every signature up to dkim_max_signatures and grows to ~4 KB, while a flood of
# other fields leaves it short.  Debian's miltertest (OpenDKIM 2.11) reads each milter packet
# into a 1024-octet stack buffer with a single unbounded read() (mt_milter_read), so a longer
# packet overruns its stack (90 of 90 such sessions abort with "stack smashing detected") or,
# without a stack protector, corrupts the client's idea of the reply.  This test therefore
# uses tests/load/pw-miltc, which reads whole packets of any length and checks each.
# Cases, each 30 parallel sessions x 3 messages:
#   dkim-flood     a valid Ed25519 signature, then 4,000 DKIM-Signature fields (junk and
#                  well-formed ones for keys that do not exist) and 500 other fields, as Postfix
#                  3.7 negotiates (every SMFIP_NR_* offered: no reply per field or chunk)
#   dkim-flood-nr  the same, the client offering no no-reply flag at all (an older MTA): one
#                  reply per header field, exactly
#   other-flood    4,500 ordinary fields (the control)
# then the daemon still answers a plain signed message with dkim=pass, and stops with exit
# status 0 (sanitizers quiet).
# Env: POSTWARD, PW_MILTC.  Ends with "N passed, M failed".
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
load_setup

"$PY" - "$tmp" <<'EOF' || { bad "making the flood messages"; finish; }
import sys
d = sys.argv[1]
signed = open(d + '/signed.eml', 'rb').read()
head, body = signed.split(b'\n\n', 1)
junk = []
for i in range(4000):
    if i % 2:
        junk.append(b'DKIM-Signature: x\n')
    else:
        junk.append(b'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=secure.test;\n'
                    b' s=nokey%d; h=from:to:subject; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\n'
                    b' b=AAAA\n' % i)
other = [b'X-Filler-%d: some value %d\n' % (i, i) for i in range(500)]
open(d + '/dkim-flood.eml', 'wb').write(head + b'\n' + b''.join(junk) + b''.join(other) + b'\n' + body)
many = [b'X-Other-%d: another value %d\n' % (i, i) for i in range(4500)]
open(d + '/other-flood.eml', 'wb').write(head + b'\n' + b''.join(many) + b'\n' + body)
EOF

# The client's own check first: against tests/load/badmilter.py, which breaks the protocol on
# purpose, it must find every kind of stray reply (otherwise a green result below means nothing).
for mode in good stray-header stray-eoh early-action after-quit; do
	rm -f "$tmp/bad.sock"
	"$PY" "$here/badmilter.py" "$tmp/bad.sock" "$mode" &
	bpid=$!
	extra_cleanup="kill $bpid 2>/dev/null"
	wait_for "badmilter's socket" 10 test -S "$tmp/bad.sock"
	for offer in 0x1FFFFF 0x00F7F; do
		"$PW_MILTC" -s "unix:$tmp/bad.sock" -p "$offer" -n 2 -m 2 -q -W 20 "$tmp/dkim-flood.eml" >"$tmp/bad-$mode" 2>&1
		rc=$?
		v=$(grep -c '^VIOLATION' "$tmp/bad-$mode")
		if [ "$mode" = good ]; then
			[ "$rc" = 0 ] && [ "$v" = 0 ] && ok "client self-check ($offer): a correct milter passes" ||
				bad "client self-check ($offer): a correct milter gave exit $rc, $v violations"
		else
			[ "$rc" = 1 ] && [ "$v" -gt 0 ] && ok "client self-check ($offer): $mode found ($v violations)" ||
				bad "client self-check ($offer): $mode not found (exit $rc)"
		fi
	done
	kill "$bpid" 2>/dev/null
	wait "$bpid" 2>/dev/null
	extra_cleanup=""
done

pw_start

# flood NAME FILE [CLIENT OPTIONS] - 30 sessions x 3 messages, strict
flood() {
	local name=$1 file=$2 out rc v
	shift 2
	out=$tmp/out-$name
	"$PW_MILTC" -s "unix:$tmp/pw.sock" -n 30 -m 3 -W 300 -q "$@" "$tmp/$file" >"$out" 2>&1
	rc=$?
	v=$(grep -c '^VIOLATION' "$out")
	if [ "$v" -eq 0 ]; then
		ok "$name: no protocol violation in 90 messages"
	else
		bad "$name: $v protocol violations: $(grep -m3 '^VIOLATION' "$out" | tr '\n' '|')"
	fi
	if grep -q '^summary: sessions=30 messages=90 .* lost=0 violations=0 ' "$out" && [ "$rc" -eq 0 ]; then
		ok "$name: 30 sessions, 90 verdicts, none lost"
	else
		bad "$name: client exit $rc, $(grep -m1 '^summary' "$out"); $(grep -m3 'lost' "$out" | tr '\n' '|')"
	fi
	if [ "$(grep -c '^S[0-9]* done: 3 messages, 0 violations$' "$out")" -eq 30 ]; then
		ok "$name: every session: 3 messages, 0 violations"
	else
		bad "$name: sessions with fewer messages or violations: $(grep -v ' done: 3 messages, 0 violations$' "$out" | grep -m3 done | tr '\n' '|')"
	fi
}

flood dkim-flood dkim-flood.eml
# an MTA without any no-reply flag (SMFIP_NR_*) and without SMFIP_HDR_LEADSPC: everything but those
flood dkim-flood-nr dkim-flood.eml -p 0x00F7F
flood other-flood other-flood.eml

out=$(miltc -n 1 -m 1 "$tmp/signed.eml" 2>&1)
if printf '%s\n' "$out" | grep -q '^S1 M1 .* continue .*ar="pw.test; dkim=pass (key DNSSEC secure) header.d=secure.test'; then
	ok "after the floods a signed message still passes"
else
	bad "after the floods: $out"
fi
if kill -0 "$PW_WORKER" 2>/dev/null; then ok "the same worker process served every flood"; else bad "the worker process is gone"; fi
if pw_stop; then ok "postward stopped cleanly (sanitizers quiet)"; else bad "postward exit status not 0"; tail -30 "$tmp/pw.log"; fi
if grep -q 'claimed not to reply' "$tmp/pw.log"; then bad "libmilter says a callback replied where no reply was agreed"; else ok "no callback replied where no reply was agreed"; fi
finish
