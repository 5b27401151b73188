#!/bin/bash
# tests/lists/smtp.sh - milter/lists/smtp.c, the re-injection client, against a real SMTP server
# (tests/e2e/smtpsink.py, the end-to-end test's sink): the message arrives unchanged (lines
# that start with a dot, bare LF line ends, no final line end), several messages share one
# connection, the envelope is right, and a refused connection is a temporary failure.
# Env: PW_SMTPSEND (default tests/lists/pw-smtpsend).  Ends with "N passed, M failed".
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
SEND=${PW_SMTPSEND:-$here/pw-smtpsend}
PY=/usr/bin/python3
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "PASS: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw-smtp.XXXXXX") || exit 1
sink=""
cleanup() { [ -n "$sink" ] && kill "$sink" 2>/dev/null && wait "$sink" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
mkdir "$tmp/box"
"$PY" "$here/../e2e/smtpsink.py" "$tmp/ready" "box=$tmp/box" > "$tmp/sink.log" 2>&1 &
sink=$!
for _ in $(seq 100); do [ -s "$tmp/ready" ] && break; sleep 0.05; done
port=$(awk '$1 == "box" { print $2 }' "$tmp/ready" 2>/dev/null)
[ -n "$port" ] || { bad "sink started"; echo "$passed passed, $failed failed"; exit 1; }

printf 'From: a@example.org\nSubject: dots\n\n.leading dot\n..two dots\n.\nlast line without LF' > "$tmp/msg"
out=$("$SEND" "127.0.0.1:$port" bounce@list.example sub@example.net "$tmp/msg" 3)
rc=$?
[ $rc -eq 0 ] && ok "three messages sent (exit 0)" || bad "three messages sent: $out"
if printf '%s\n' "$out" | tail -1 | grep -q "^SENT 250 .*(on connection: 3)$"; then
	ok "one connection carried all three"
else
	bad "one connection carried all three: $out"
fi
n=$(ls "$tmp/box"/*.eml 2>/dev/null | wc -l)
[ "$n" -eq 3 ] && ok "the sink stored 3 messages" || bad "the sink stored $n messages"
f=$(ls "$tmp/box"/*.eml | head -1)
want=$(printf 'From: a@example.org\r\nSubject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nlast line without LF\r\n')
if [ "$(cat "$f")" = "$want" ]; then ok "message arrived unchanged, CRLF, dots unstuffed by the server"
else bad "message arrived changed: $(od -c "$f" | head -5)"; fi
m=${f%.eml}.meta
grep -q "bounce@list.example" "$m" && ok "MAIL FROM is the bounce address" || bad "MAIL FROM: $(cat "$m")"
grep -q "sub@example.net" "$m" && ok "RCPT TO is the subscriber" || bad "RCPT TO: $(cat "$m")"

kill "$sink"; wait "$sink" 2>/dev/null; sink=""
out=$("$SEND" "127.0.0.1:$port" bounce@list.example sub@example.net "$tmp/msg")
rc=$?
if [ $rc -eq 1 ] && printf '%s' "$out" | grep -q "^TEMP 0 connect to 127.0.0.1 port $port: Connection refused"; then
	ok "no server: temporary failure ($out)"
else
	bad "no server: temporary failure (exit $rc: $out)"
fi
out=$("$SEND" "bad-target" a b "$tmp/msg" 2>&1)
[ $? -eq 2 ] && ok "a target without a port is a usage error" || bad "bad target: $out"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
