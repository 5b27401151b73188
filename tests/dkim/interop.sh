#!/bin/bash
# tests/dkim/interop.sh - milter/dkim/dkim.c against two independent DKIM implementations.
#
# Usage: tests/dkim/interop.sh [PW-DKIMVERIFY]
#
# Generates an RSA 2048 and an Ed25519 key (openssl genpkey), signs a few messages (plain,
# white space and folding, empty body, ~10 KB) with
#   - dkimpy (Debian python3-dkim, run by /usr/bin/python3): rsa-sha256 and ed25519-sha256,
#     relaxed/relaxed and simple/simple, with and without l=, plus relaxed/simple under a key
#     published as PKCS#1 RSAPublicKey;
#   - OpenDKIM (Debian opendkim + miltertest): the opendkim milter in signing mode, driven
#     through the milter protocol by miltertest (no MTA), one opendkim per configuration:
#     rsa-sha256 relaxed/relaxed, simple/simple, relaxed/relaxed with l= (BodyLengthDB),
#     ed25519-sha256 relaxed/relaxed and relaxed/simple; and rsa-sha1, which must be refused.
# then checks with pw-dkimverify (no DNS: keys from a file) that each signed message passes,
# also when fed in 1-octet chunks with the key handed in after the body, that altering a
# signed header or the body fails, that text appended past l= still passes (RFC 6376 8.2),
# and that dkimpy's own verifier reaches the same verdict on every one of those files.
#
# OpenDKIM 2.11.0 with Ed25519 and simple header canonicalisation hashes its own field with
# "b=" on the h= line but inserts it refolded onto a new line, so those signatures verify
# nowhere; that case is run as an agreement check only (pw-dkimverify and dkimpy must agree).
# Likewise OpenDKIM's milter, given a message with an empty body (no body chunk, as an MTA
# sends it), writes the same bh= under relaxed and simple, matching neither empty-body rule
# (RFC 6376 3.4.3: CRLF; 3.4.4: nothing); those are agreement checks too.
#
# Without an argument pw-dkimverify is built into the temporary directory with ${CC:-cc}
# and $PW_CFLAGS (e.g. PW_CFLAGS="-g -fsanitize=address,undefined").  Prints PASS/FAIL
# lines (SKIP when OpenDKIM is not installed) and ends with "N passed, M failed"; exit 1 on
# any failure.
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
PY=/usr/bin/python3
passed=0
failed=0
od_pid=""
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw-dkim-interop.XXXXXX") || exit 1

# stop_opendkim - end the opendkim this script started, if any
stop_opendkim() {
	if [ -n "$od_pid" ]; then
		kill "$od_pid" 2>/dev/null
		wait "$od_pid" 2>/dev/null
		od_pid=""
	fi
}
cleanup() {
	stop_opendkim
	rm -rf "$tmp"
}
trap cleanup EXIT
ok() { echo "PASS $*"; passed=$((passed + 1)); }
ko() { echo "FAIL $*"; failed=$((failed + 1)); }
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

# ---- the verifier -----------------------------------------------------------------------
PWV=${1:-${PW_DKIMVERIFY:-}}
if [ -z "$PWV" ]; then
	PWV=$tmp/pw-dkimverify
	# shellcheck disable=SC2086
	if ! ${CC:-cc} -std=c11 -D_DEFAULT_SOURCE -O2 ${PW_CFLAGS:-} -I"$top/milter" -I"$top/policy" \
		"$top/tests/dkim/pw-dkimverify.c" "$top/milter/dkim/dkim.c" \
		"$top/milter/dkim/dkim-tags.c" "$top/milter/dkim/dkim-canon.c" \
		"$top/milter/dkim/dkim-verify.c" "$top/milter/dkim/keycache.c" \
		$(pkg-config --cflags --libs libcrypto) -o "$PWV" 2>"$tmp/cc.log"; then
		cat "$tmp/cc.log"
		ko "build pw-dkimverify"
		finish
	fi
fi
[ -x "$PWV" ] || { ko "pw-dkimverify not executable: $PWV"; finish; }
if ! $PY -c 'import dkim' 2>/dev/null; then
	ko "dkimpy not importable by $PY (apt-get install python3-dkim)"
	finish
fi

# ---- keys ---------------------------------------------------------------------------------
cd "$tmp" || exit 1
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -out rsa.pem 2>/dev/null &&
	openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null ||
	{ ko "openssl genpkey"; finish; }
rsa_spki=$(openssl pkey -in rsa.pem -pubout -outform DER | base64 -w0)
rsa_pkcs1=$(openssl rsa -in rsa.pem -RSAPublicKey_out -outform DER 2>/dev/null | base64 -w0)
ed_pub=$(openssl pkey -in ed.pem -pubout -outform DER | tail -c 32 | base64 -w0)
openssl pkey -in ed.pem -outform DER | tail -c 32 | base64 -w0 > ed.seed	# dkimpy's form
{
	# the SPKI record folded with a space inside p=, as a TXT record may be written
	echo "rsa._domainkey.example.com v=DKIM1; k=rsa; p=${rsa_spki:0:120} ${rsa_spki:120}"
	echo "rsa1._domainkey.example.com v=DKIM1; k=rsa; p=$rsa_pkcs1"
	echo "ed._domainkey.example.com v=DKIM1; k=ed25519; p=$ed_pub"
	echo "odrsa._domainkey.example.com v=DKIM1; k=rsa; p=$rsa_spki"
	echo "oded._domainkey.example.com v=DKIM1; h=sha256; k=ed25519; s=email; p=$ed_pub"
} > keys

# ---- messages (CRLF) ----------------------------------------------------------------------
crlf() { sed 's/$/\r/'; }
crlf > m-plain.txt <<'EOF'
From: Alice <alice@example.com>
To: Bob <bob@example.org>
Subject: interop test one
Date: Mon, 01 Jan 2024 10:00:00 +0000
Message-ID: <one@example.com>

Hello Bob.
This is the body.
EOF
printf 'From: "Alice  Example"   <alice@example.com>\nTo: Bob <bob@example.org>,\n\tCarol <carol@example.org>\nSubject: white   space\n   and\tfolding\nDate: Mon, 01 Jan 2024 10:00:00 +0000\nMessage-ID: <two@example.com>\nX-Unsigned: whatever\n\n  leading spaces\ntrailing spaces   \n\ttab\t\tinside  and   out\t\n   \n\n  \t \nlast line\n\n\n\n' | crlf > m-spaces.txt
printf 'From: Alice <alice@example.com>\nTo: Bob <bob@example.org>\nSubject: empty body\nDate: Mon, 01 Jan 2024 10:00:00 +0000\nMessage-ID: <three@example.com>\n\n' | crlf > m-empty.txt
{
	printf 'From: Alice <alice@example.com>\nTo: Bob <bob@example.org>\nSubject: ten kilobytes\n'
	printf 'Date: Mon, 01 Jan 2024 10:00:00 +0000\nMessage-ID: <four@example.com>\n\n'
	for i in $(seq 1 140); do
		printf 'Line %03d of a longer body, with  some   spaces and a tab\there. \n' "$i"
	done
} | crlf > m-large.txt
messages="m-plain m-spaces m-empty m-large"

# cases: FILE EXPECT LABEL; EXPECT is pass, fail, permerror, or agree (verifiers must agree)
: > cases
# add_case - one signed file, plus its altered copies
add_case() {	# FILE LABEL EXPECT HAS_L
	local f=$1 label=$2 expect=$3 has_l=$4
	echo "$f $expect $label" >> cases
	[ "$expect" = pass ] || return 0
	echo "$f stream $label (1-octet chunks, key after body)" >> cases
	sed '0,/^Subject:/s/^Subject:.*/Subject: altered subject\r/' "$f" > "$f.hdr"
	echo "$f.hdr fail $label, signed header altered" >> cases
	if grep -q $'^\r$' "$f" && [ -n "$(sed '1,/^\r$/d' "$f")" ]; then
		# change the first body line (inside any l= count)
		awk 'inbody && !done { $0 = "X" $0; done = 1 } /^\r?$/ { inbody = 1 } { print }' \
			"$f" > "$f.body"
	else
		printf 'tampered\r\n' | cat "$f" - > "$f.body"
	fi
	echo "$f.body fail $label, body altered" >> cases
	if [ "$has_l" = l ]; then
		printf 'appended after the signed length\r\n' | cat "$f" - > "$f.app"
		echo "$f.app pass $label, text appended past l=" >> cases
	fi
}

# ---- dkimpy signing -----------------------------------------------------------------------
: > dkimpy.jobs
for m in $messages; do
	for alg in rsa-sha256 ed25519-sha256; do
		for canon in relaxed/relaxed simple/simple; do
			for l in nol l; do
				[ "$m" = m-empty ] && [ "$l" = l ] && continue
				sel=rsa; key=rsa.pem
				[ "$alg" = ed25519-sha256 ] && { sel=ed; key=ed.seed; }
				out="dkimpy-$m-$alg-${canon%/*}-${canon#*/}-$l.eml"
				echo "$m.txt $out $alg $canon $l $sel $key" >> dkimpy.jobs
			done
		done
	done
	echo "$m.txt dkimpy-$m-pkcs1-relaxed-simple-nol.eml rsa-sha256 relaxed/simple nol rsa1 rsa.pem" >> dkimpy.jobs
done
$PY - dkimpy.jobs <<'EOF' > dkimpy-sign.log 2>&1
import sys, dkim
for line in open(sys.argv[1]):
    src, out, alg, canon, l, sel, keyfile = line.split()
    msg = open(src, 'rb').read()
    key = open(keyfile, 'rb').read().strip()
    hc, bc = canon.encode().split(b'/')
    try:
        sig = dkim.sign(msg, sel.encode(), b'example.com', key, canonicalize=(hc, bc),
                        signature_algorithm=alg.encode(), length=(l == 'l'),
                        include_headers=[b'from', b'to', b'subject', b'date', b'message-id',
                                         b'from'])
        open(out, 'wb').write(sig + msg)
    except Exception as e:
        print(out, 'sign error:', e)
EOF
while read -r src out alg canon l sel key; do
	if [ -s "$out" ]; then
		ok "dkimpy signed ${out%.eml}"
		add_case "$out" "${out%.eml}" pass "$l"
	else
		ko "dkimpy signed ${out%.eml}: $(grep -F "$out" dkimpy-sign.log)"
	fi
done < dkimpy.jobs

# ---- OpenDKIM signing (opendkim milter driven by miltertest) ------------------------------
cat > sign.lua <<'EOF'
-- sign MT_MESSAGE through the milter at MT_SOCKET; print the DKIM-Signature field it adds
local ok, err = pcall(function()
local f = assert(io.open(os.getenv("MT_MESSAGE"), "rb"))
local data = string.gsub(f:read("*a"), "\r\n", "\n")
f:close()
local hdr, body = string.match(data, "^(.-)\n\n(.*)$")
if hdr == nil then hdr = data; body = "" end
local conn = mt.connect(os.getenv("MT_SOCKET"), 40, 0.25)
if conn == nil then error("connect failed") end
mt.set_timeout(10)
if mt.negotiate(conn, nil, nil, nil) ~= nil then error("negotiate") end
if mt.conninfo(conn, "localhost", "127.0.0.1") ~= nil then error("conninfo") end
mt.macro(conn, SMFIC_MAIL, "i", "INTEROP")
if mt.mailfrom(conn, "<alice@example.com>") ~= nil then error("mailfrom") end
if mt.rcptto(conn, "<bob@example.org>") ~= nil then error("rcptto") end
-- fields as an MTA passes them: folds kept (LF), the one space after the colon left out
-- (miltertest puts it back for a filter that asked for SMFIP_HDR_LEADSPC)
local fields = {}
for line in string.gmatch(hdr .. "\n", "(.-)\n") do
  if string.match(line, "^[ \t]") and #fields > 0 then
    fields[#fields].value = fields[#fields].value .. "\n" .. line
  else
    local n, v = string.match(line, "^([^:]+):(.*)$")
    if n ~= nil then
      v = string.gsub(v, "^ ", "", 1)
      table.insert(fields, { name = n, value = v })
    end
  end
end
for _, fl in ipairs(fields) do
  if mt.header(conn, fl.name, fl.value) ~= nil then error("header") end
end
if mt.eoh(conn) ~= nil then error("eoh") end
if #body > 0 then
  local crlf = string.gsub(body, "\n", "\r\n")
  if mt.bodystring(conn, crlf) ~= nil then error("body") end
end
if mt.eom(conn) ~= nil then error("eom") end
local sig = mt.getheader(conn, "DKIM-Signature", 0)
if sig == nil then error("no DKIM-Signature added") end
io.write("DKIM-Signature:" .. sig .. "\n")
mt.disconnect(conn)
end)
-- miltertest is silent about script errors: say what went wrong
if not ok then io.stderr:write("sign.lua: " .. tostring(err) .. "\n"); os.exit(1) end
EOF
echo '*' > bodylength.db
# od_sign - start opendkim with one configuration, sign MESSAGES, stop it
od_sign() {	# NAME SELECTOR KEY ALG CANON EXPECT HAS_L MESSAGES...
	local name=$1 sel=$2 key=$3 alg=$4 canon=$5 expect=$6 has_l=$7
	shift 7
	{
		echo "Mode s"
		echo "Domain example.com"
		echo "Selector $sel"
		echo "KeyFile $tmp/$key"
		echo "SignatureAlgorithm $alg"
		echo "Canonicalization $canon"
		echo "OversignHeaders From"
		echo "Socket local:$tmp/od.sock"
		echo "Background no"
		echo "Syslog no"
		echo "RequireSafeKeys false"
		[ "$has_l" = l ] && echo "BodyLengthDB refile:$tmp/bodylength.db"
	} > "od-$name.conf"
	rm -f od.sock
	opendkim -f -x "od-$name.conf" > "od-$name.log" 2>&1 &
	od_pid=$!
	for _ in $(seq 1 50); do [ -S od.sock ] && break; sleep 0.1; done
	for m in "$@"; do
		local out="opendkim-$m-$name.eml"
		if MT_SOCKET=local:$tmp/od.sock MT_MESSAGE=$m.txt miltertest -s sign.lua \
			> "$out.sig" 2> "$out.err" && [ -s "$out.sig" ]; then
			cat "$out.sig" "$m.txt" > "$out"
			ok "opendkim signed ${out%.eml}"
			local want=$expect
			[ "$m" = m-empty ] && [ "$want" = pass ] && want=agree
			add_case "$out" "${out%.eml}" "$want" "$has_l"
		else
			ko "opendkim signed ${out%.eml}: $(cat "$out.err" "od-$name.log" | tr '\n' ' ')"
		fi
	done
	stop_opendkim
}
if command -v opendkim > /dev/null && command -v miltertest > /dev/null; then
	od_sign rsa-relaxed-relaxed odrsa rsa.pem rsa-sha256 relaxed/relaxed pass nol $messages
	od_sign rsa-simple-simple odrsa rsa.pem rsa-sha256 simple/simple pass nol $messages
	od_sign rsa-relaxed-relaxed-l odrsa rsa.pem rsa-sha256 relaxed/relaxed pass l \
		m-plain m-spaces m-large
	od_sign ed25519-relaxed-relaxed oded ed.pem ed25519-sha256 relaxed/relaxed pass nol $messages
	od_sign ed25519-relaxed-simple oded ed.pem ed25519-sha256 relaxed/simple pass nol $messages
	od_sign ed25519-simple-simple oded ed.pem ed25519-sha256 simple/simple agree nol m-plain
	od_sign rsa-sha1 odrsa rsa.pem rsa-sha1 relaxed/relaxed permerror nol m-plain
else
	echo "SKIP opendkim signing: opendkim or miltertest not installed (apt-get install opendkim miltertest)"
fi

# ---- verify: pw-dkimverify, then dkimpy on the same files ----------------------------------
cut -d' ' -f1 cases | sort -u > files
$PY - keys files <<'EOF' > dkimpy-verify.out 2>&1
import sys, dkim
keys = {}
for line in open(sys.argv[1]):
    name, value = line.split(None, 1)
    keys[name.rstrip('.').lower()] = value.strip().encode()
def dnsfunc(name, timeout=5):
    return keys.get(name.decode().rstrip('.').lower())
for f in open(sys.argv[2]).read().split():
    try:
        ok = dkim.DKIM(open(f, 'rb').read(), minkey=1024).verify(dnsfunc=dnsfunc)
    except Exception:
        ok = False
    print(f, 'pass' if ok else 'fail')
EOF
while read -r f expect label; do
	if [ "$expect" = stream ]; then
		got=$("$PWV" -L -c 1 -k keys "$f" 2>&1)
		want=pass
	else
		got=$("$PWV" -k keys "$f" 2>&1)
		want=$expect
	fi
	res=$(printf '%s\n' "$got" | sed -n 's/.* result=\([a-z]*\) .*/\1/p' | head -1)
	nlines=$(printf '%s\n' "$got" | grep -c ' result=')
	py=$(awk -v f="$f" '$1 == f { print $2 }' dkimpy-verify.out)
	case $want in
	agree)
		cat=$([ "$res" = pass ] && echo pass || echo fail)
		if [ -n "$py" ] && [ "$cat" = "$py" ]; then
			ok "agree $label: pw-dkimverify $res, dkimpy $py"
		else
			ko "agree $label: pw-dkimverify '$got', dkimpy '$py'"
		fi
		continue
		;;
	esac
	if [ "$nlines" -eq 1 ] && [ "$res" = "$want" ]; then
		ok "pw-dkimverify $want: $label"
	else
		ko "pw-dkimverify $want: $label: got '$got'"
	fi
	[ "$expect" = stream ] && continue
	if [ "$want" = permerror ]; then
		# dkimpy still accepts rsa-sha1; RFC 8301 says a verifier must not
		case $got in
		*"rsa-sha1 not accepted"*) ok "reason rsa-sha1 refused: $label" ;;
		*) ko "reason rsa-sha1 refused: $label: got '$got'" ;;
		esac
		continue
	fi
	if [ "$py" = "$want" ]; then
		ok "dkimpy agrees $want: $label"
	else
		ko "dkimpy agrees $want: $label: dkimpy said '${py:-nothing}'"
	fi
done < cases
finish
