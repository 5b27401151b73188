#!/bin/bash
# tests/dkim/sign.sh - postward's DKIM signer (milter/dkim/dkim-sign.c) checked by three
# verifiers: dkimpy (Debian python3-dkim, /usr/bin/python3, keys from a dnsfunc), OpenDKIM
# (Debian opendkim 2.11 as a verifying milter driven by miltertest, keys from its
# TestPublicKeys file; tests/dkim/send.lua is the client) and postward's own verifier
# (pw-dkimverify, keys from a file).
#
# Usage: tests/dkim/sign.sh [PW-DKIMSIGN [PW-DKIMVERIFY]]  (default $PW_DKIMSIGN, $PW_DKIMVERIFY)
#
# Keys: RSA 2048 and Ed25519, made by openssl genpkey; the key records are made from the
# public keys by openssl (not by the signer).  Messages: LF and CRLF line ends, folded
# header fields, white space the relaxed canonicalisation changes, trailing blank lines, and
# an empty body.  Each is signed rsa-sha256 alone, ed25519-sha256 alone, and by both keys in
# one call (dual signing: two fields).  Every signed file must pass in all three verifiers,
# with one result per signature; so must a copy with an unsigned field added and one whose
# signed fields were re-spaced (relaxed/relaxed).  Copies with the body changed, the From
# address changed, or a second From, Subject, Reply-To or List-Id added above the
# signatures (oversigning) must fail in all three.  OpenDKIM 2.11's milter verifies
# ed25519-sha256 (RFC 8463) but hashes an empty body wrongly (see tests/dkim/interop.sh):
# for the empty-body message it must fail, as a known gap.  Also: signing is deterministic (same
# key, message and t= give the same fields), a message without From is refused, and key
# files of the wrong kind are refused with a clear reason (EC key, short RSA key, file
# readable by others, passphrase-protected key, not a key).
# Ends with "N passed, M failed"; exit 1 on any failure.
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw-dkim-sign.XXXXXX") || exit 1
od_pid=""		# the opendkim this script starts
trap '[ -z "$od_pid" ] || { kill "$od_pid"; wait "$od_pid"; } 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "PASS $*"; }
ko() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }

PWS=${1:-${PW_DKIMSIGN:-$here/pw-dkimsign}}
PWV=${2:-${PW_DKIMVERIFY:-$here/pw-dkimverify}}
[ -x "$PWS" ] || { ko "pw-dkimsign not built: $PWS (make check builds it)"; finish; }
[ -x "$PWV" ] || { ko "pw-dkimverify not built: $PWV"; finish; }
$PY -c 'import dkim, nacl' 2>/dev/null || { ko "dkimpy not importable by $PY (apt-get install python3-dkim)"; finish; }
command -v opendkim > /dev/null && command -v miltertest > /dev/null ||
	{ ko "opendkim or miltertest missing (tests/install-deps installs them)"; finish; }

cd "$tmp" || exit 1
umask 077
# ---- keys and their records (made by openssl, independently of the signer) -----------------
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -out rsa.pem 2>/dev/null &&
	openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null ||
	{ ko "openssl genpkey"; finish; }
rsa_p=$(openssl pkey -in rsa.pem -pubout -outform DER | base64 -w0)
ed_p=$(openssl pkey -in ed.pem -pubout -outform DER | tail -c 32 | base64 -w0)
{
	echo "rsa._domainkey.lists.example.org v=DKIM1; k=rsa; p=$rsa_p"
	echo "ed._domainkey.lists.example.org v=DKIM1; k=ed25519; p=$ed_p"
} > keys
# the signer's own idea of the records must be the same
if "$PWS" -R -k rsa.pem -d lists.example.org -s rsa -k ed.pem -d lists.example.org -s ed \
	> keys.pw 2>&1 && cmp -s keys keys.pw; then
	ok "key records from the signer match openssl's"
else
	ko "key records: $(diff keys keys.pw | tr '\n' ' ')"
fi

# ---- messages ----------------------------------------------------------------------------------
printf '%s\n' \
	'From: "Alice  Example" <alice@example.com>' \
	'To: Board <board@lists.example.org>,' \
	'	Carol <carol@example.net>' \
	'Subject: [board] minutes   of the' \
	'  meeting' \
	'Date: Mon, 01 Jan 2024 10:00:00 +0000' \
	'Message-ID: <one@example.com>' \
	'MIME-Version: 1.0' \
	'Content-Type: text/plain; charset=utf-8' \
	'List-Id: <board.lists.example.org>' \
	'List-Post: <mailto:board@lists.example.org>' \
	'X-Unsigned: not in h=' \
	'' \
	'  leading spaces' \
	'trailing spaces   ' \
	'	tab		inside  and   out	' \
	'' \
	'last line' \
	'' \
	'' \
	'' > m-lf.txt
sed 's/$/\r/' m-lf.txt > m-crlf.txt
printf 'From: alice@example.com\r\nSubject: empty body\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n\r\n' > m-empty.txt
printf 'To: bob@example.org\nSubject: no From\n\nbody\n' > m-nofrom.txt

now=$(date +%s)
: > cases
# sign - sign message M with configuration CFG into s-M-CFG.eml
sign() {	# M CFG
	local m=$1 cfg=$2 args
	case $cfg in
	rsa) args="-k rsa.pem -d lists.example.org -s rsa" ;;
	ed) args="-k ed.pem -d lists.example.org -s ed" ;;
	dual) args="-k ed.pem -d lists.example.org -s ed -k rsa.pem -d lists.example.org -s rsa" ;;
	esac
	# shellcheck disable=SC2086
	if "$PWS" -t "$now" $args "$m.txt" > "s-$m-$cfg.eml" 2> "s-$m-$cfg.err"; then
		ok "signed $m $cfg"
		return 0
	fi
	ko "signed $m $cfg: $(cat "s-$m-$cfg.err")"
	return 1
}
# variant - FILE with a sed edit applied to its first match only (header edits)
variant() {	# SRC DST EXPECT LABEL SED
	sed "$5" "$1" > "$2"
	if cmp -s "$1" "$2"; then
		ko "test bug: $4 changed nothing"
		return
	fi
	echo "$2 $3 $4" >> cases
}
for m in m-lf m-crlf m-empty; do
	for cfg in rsa ed dual; do
		sign "$m" "$cfg" || continue
		f=s-$m-$cfg.eml
		echo "$f pass $m $cfg" >> cases
		[ "$m" = m-empty ] && continue
		eol=""
		[ "$m" = m-crlf ] && eol=$'\r'
		first=$(grep -n -m1 '^From:' "$f" | cut -d: -f1)
		variant "$f" "$f.unsigned" pass "$m $cfg, unsigned field added" \
			"${first}i X-Added: by a relay$eol"
		variant "$f" "$f.respaced" pass "$m $cfg, signed fields re-spaced" \
			"s/^Subject: \[board\] minutes   of the/Subject:   [board]  minutes of  the/"
		variant "$f" "$f.body" fail "$m $cfg, body changed" "s/^last line/last  lines/"
		variant "$f" "$f.from" fail "$m $cfg, From changed" "s/^From: \(.*\)alice@/From: \1mallory@/"
		for fld in From Subject Reply-To List-Id; do
			variant "$f" "$f.add-$fld" fail "$m $cfg, $fld added (oversigned)" \
				"${first}i $fld: added by an attacker <x@evil.example>$eol"
		done
	done
done

# ---- deterministic; refusals -------------------------------------------------------------------
"$PWS" -t "$now" -k ed.pem -d lists.example.org -s ed -k rsa.pem -d lists.example.org -s rsa \
	m-lf.txt > again.eml 2>&1
if cmp -s again.eml s-m-lf-dual.eml; then ok "same key, message and t=: same fields"
else ko "signing twice gave different fields"; fi
if out=$("$PWS" -k rsa.pem -d lists.example.org -s rsa m-nofrom.txt 2>&1); then
	ko "message without From signed: $out"
else
	case $out in *"no From field"*) ok "message without From refused" ;;
	*) ko "message without From: unclear reason: $out" ;; esac
fi
openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out ec.pem 2>/dev/null
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:768 -out rsa768.pem 2>/dev/null
cp rsa.pem open.pem && chmod 644 open.pem
openssl pkey -in ed.pem -aes256 -passout pass:secret -out enc.pem 2>/dev/null
echo "not a key" > junk.pem
# key_refused - loading KEY must fail with WHY in the message
key_refused() {	# KEY WHY LABEL
	local out
	if out=$("$PWS" -k "$1" -d lists.example.org -s x m-lf.txt 2>&1 < /dev/null); then
		ko "key refused: $3: it signed"
	else
		case $out in *"$2"*) ok "key refused: $3 ($out)" ;;
		*) ko "key refused: $3: expected '$2', got '$out'" ;; esac
	fi
}
key_refused ec.pem "RSA or Ed25519" "P-256 key"
key_refused rsa768.pem "RSA key of 768 bits" "RSA 768"
key_refused open.pem "chmod o-rwx" "mode 0644"
key_refused enc.pem "passphrase" "passphrase-protected key"
key_refused junk.pem "no usable PEM private key" "not a key"
key_refused missing.pem "cannot open" "missing file"

# ---- postward -n loads every dkim_signing_key and names each bad one at its line -----------------
PW=${POSTWARD:-$here/../../milter/postward}
if [ -x "$PW" ]; then
	printf 'sender_practices =\ndkim_signing_key = lists.example.org ed ed.pem\n# a comment\ndkim_signing_key = lists.example.org rsa %s/rsa.pem\n' \
		"$tmp" > good.conf
	if out=$("$PW" -n -c "$tmp/good.conf" 2>&1); then ok "postward -n: two good keys"
	else ko "postward -n: two good keys: $out"; fi
	printf 'sender_practices =\ndkim_signing_key = lists.example.org ed open.pem, example.net ec ec.pem\ndkim_signing_key = example.com rsa missing.pem\n' \
		> bad.conf
	out=$("$PW" -n -c "$tmp/bad.conf" 2>&1)
	rc=$?
	want1="$tmp/bad.conf:2: dkim_signing_key lists.example.org ed: $tmp/open.pem: private key readable or writable by others (mode 0644): chmod o-rwx it"
	want2="$tmp/bad.conf:2: dkim_signing_key example.net ec: $tmp/ec.pem: the key is of type EC; DKIM signs with RSA or Ed25519 keys only"
	want3="$tmp/bad.conf:3: dkim_signing_key example.com rsa: $tmp/missing.pem: cannot open: No such file or directory"
	if [ "$rc" = 1 ] && [ "$out" = "$want1"$'\n'"$want2"$'\n'"$want3" ]; then
		ok "postward -n: each bad key at its line"
	else
		ko "postward -n: bad keys: rc=$rc: $out"
	fi
else
	ko "no postward binary at $PW"
fi

# ---- verify: postward, dkimpy, OpenDKIM ------------------------------------------------------------
cut -d' ' -f1 cases > files
$PY "$here/dkimpy-verify.py" keys $(cat files) > dkimpy.out 2>&1

{
	echo "Mode v"
	echo "Socket local:$tmp/od.sock"
	echo "Background no"
	echo "Syslog no"
	echo "TestPublicKeys $tmp/keys"
	echo "AuthservID sign.test"
	echo "AlwaysAddARHeader yes"
} > od.conf
opendkim -f -x od.conf > od.log 2>&1 &
od_pid=$!
for _ in $(seq 1 100); do [ -S od.sock ] && break; kill -0 "$od_pid" 2>/dev/null || break; sleep 0.1; done
[ -S od.sock ] || ko "opendkim did not start: $(cat od.log)"

while read -r f expect label; do
	nsig=$(grep -ci '^DKIM-Signature:' "$f")
	# postward
	got=$("$PWV" -k keys "$f" 2>&1)
	npass=$(printf '%s\n' "$got" | grep -c ' result=pass ')
	nres=$(printf '%s\n' "$got" | grep -c ' result=')
	if { [ "$expect" = pass ] && [ "$nres" -eq "$nsig" ] && [ "$npass" -eq "$nsig" ]; } ||
		{ [ "$expect" = fail ] && [ "$nres" -eq "$nsig" ] && [ "$npass" -eq 0 ]; }; then
		ok "postward $expect: $label"
	else
		ko "postward $expect: $label: $(printf '%s' "$got" | tr '\n' ' ')"
	fi
	# dkimpy
	py=$(awk -v f="$f" '$1 == f { print $3 }' dkimpy.out)
	want=$(for _ in $(seq 1 "$nsig"); do printf '%s,' "$expect"; done)
	if [ "$py" = "${want%,}" ]; then
		ok "dkimpy $expect: $label"
	else
		ko "dkimpy $expect: $label: got '${py:-nothing}' $(grep -v '^s-' dkimpy.out | head -3)"
	fi
	# OpenDKIM; its milter hashes an empty body wrongly when no body chunk comes (as an MTA
	# sends such a message; an empty chunk makes it drop the connection), so it fails every
	# signature over an empty body: checked as that known failure, so a fix shows here
	[ "${label#m-empty}" != "$label" ] && expect=fail label="$label (OpenDKIM empty-body bug)"
	ar=$(miltertest -D sock="local:$tmp/od.sock" -D msgfile="$f" -D qid=SIGNTEST \
		-s "$here/send.lua" 2>&1 | sed -n 's/^AR //p')
	opass=$(printf '%s' "$ar" | grep -o 'dkim=pass' | wc -l)
	ofail=$(printf '%s' "$ar" | grep -o 'dkim=[a-z]*' | grep -vc 'dkim=pass')
	if { [ "$expect" = pass ] && [ "$opass" -eq "$nsig" ] && [ "$ofail" -eq 0 ]; } ||
		{ [ "$expect" = fail ] && [ "$opass" -eq 0 ] && [ "$ofail" -eq "$nsig" ]; }; then
		ok "opendkim $expect: $label"
	else
		ko "opendkim $expect: $label: $ar"
	fi
done < cases
finish
