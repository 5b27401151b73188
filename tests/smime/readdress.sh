#!/bin/bash
# tests/smime/readdress.sh - milter/lists/smime.c against real `openssl`: posts made by
# `openssl cms -encrypt` to a list certificate (RSA-2048 and EC P-256), EnvelopedData (AES-CBC,
# 3DES) and AuthEnvelopedData (AES-GCM), re-addressed by pw-smime to subscribers (RSA-2048 with
# PKCS#1 v1.5, RSA-2048 certified as id-RSAES-OAEP with and without parameters, EC P-256,
# P-384 and P-521), each copy opened again by `openssl cms -decrypt` and by a second
# implementation that shares none of OpenSSL's CMS code (tests/smime/cmsdec.py), and by
# GnuPG's gpgsm 2.2 for what it reads (RSA PKCS#1 v1.5 with CBC content; it reads neither
# OAEP nor AES-GCM, and cannot import an EC PKCS#12), each subscriber in a home of their own;
# malformed and hostile inputs, and keys no copy can be made for, must be refused with a
# clear status, never a crash.
#
# Usage: tests/smime/readdress.sh   (from anywhere; PW_SMIME names the tool, default
# ./tests/smime/pw-smime relative to the top of the repository; PW_SMIME_BENCH=N runs
# the timing lines with N re-addresses, default 50)
# Prints PASS:/FAIL: lines and one "N passed, M failed" line; exits non-zero on any failure.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
tool=${PW_SMIME:-./tests/smime/pw-smime}
case $tool in /*) ;; *) tool=$top/$tool ;; esac
if [ ! -x "$tool" ]; then
	echo "FAIL: no pw-smime at $tool (build it or set PW_SMIME)"
	echo "0 passed, 1 failed"
	exit 1
fi
command -v openssl >/dev/null || { echo "FAIL: no openssl"; echo "0 passed, 1 failed"; exit 1; }
command -v perl >/dev/null || { echo "FAIL: no perl"; echo "0 passed, 1 failed"; exit 1; }
PY=/usr/bin/python3
$PY -c 'import cryptography' 2>/dev/null ||
	{ echo "FAIL: no python3-cryptography (tests/install-deps)"; echo "0 passed, 1 failed"; exit 1; }
command -v gpgsm >/dev/null || { echo "FAIL: no gpgsm (tests/install-deps)"; echo "0 passed, 1 failed"; exit 1; }
here=$top/tests/smime

work=$(mktemp -d "${TMPDIR:-/tmp}/pw-smime.XXXXXX") || exit 1
trap 'for h in "$work"/gpgsm-*; do [ -d "$h" ] && gpgconf --homedir "$h" --kill all 2>/dev/null; done; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP
cd "$work" || exit 1

passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# run OUT ERR ARGS... - run the tool, stdin inherited; sets rc; a sanitizer report is a failure
run() {
	local out=$1 err=$2
	shift 2
	"$tool" "$@" >"$out" 2>"$err"
	rc=$?
	if grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$err"; then
		fail "sanitizer report from pw-smime $*: $(grep -m1 -E 'runtime error|Sanitizer' "$err")"
	fi
	return 0
}

# mkcert NAME KEYTYPE SERIAL - a key and a certificate from the test CA
mkcert() {
	local name=$1 type=$2 serial=$3 newkey
	case $type in
	rsa) newkey=(-newkey rsa:2048) ;;
	ec) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
	ec384) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-384) ;;
	ec521) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-521) ;;
	rsapss) newkey=(-newkey rsa-pss -pkeyopt rsa_keygen_bits:2048) ;;
	ed25519) newkey=(-newkey ed25519) ;;
	x25519)	# no CSR for a key that cannot sign: the CA's request carries it
		openssl genpkey -algorithm x25519 -out "$name.key" &&
			openssl pkey -in "$name.key" -pubout -out "$name.pub" &&
			openssl req -new -key ca.key -subj "/CN=$name" -out "$name.csr" &&
			openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -set_serial "$serial" \
				-days 30 -force_pubkey "$name.pub" -out "$name.crt" 2>/dev/null
		return ;;
	esac
	openssl req -new "${newkey[@]}" -nodes -keyout "$name.key" -out "$name.csr" \
		-subj "/CN=$name" 2>/dev/null &&
		openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -set_serial "$serial" \
			-days 30 -out "$name.crt" 2>/dev/null
}

# serial NAME - the certificate's serial number in decimal
serial() { echo $((16#$(openssl x509 -in "$1.crt" -noout -serial | sed 's/^serial=//'))); }

# eci FILE OUT - the encryptedContentInfo's octets, found by `openssl asn1parse` (the only
# SEQUENCE at depth 3; it is the last element: openssl adds no unprotectedAttrs)
eci() {
	local file=$1 out=$2 line off hl l size trail
	line=$(openssl asn1parse -inform DER -in "$file" | grep -m1 -E '^ *[0-9]+:d=3 .*cons: SEQUENCE')
	[ -n "$line" ] || return 1
	off=$(echo "$line" | sed -E 's/^ *([0-9]+):.*/\1/')
	hl=$(echo "$line" | sed -E 's/.*hl= *([0-9]+).*/\1/')
	l=$(echo "$line" | sed -E 's/.* l= *([0-9]+|inf).*/\1/')
	size=$(stat -c %s "$file")
	if [ "$l" = inf ]; then
		# up to the end, less the end-of-contents of the indefinite containers around it
		trail=$(openssl asn1parse -inform DER -in "$file" | head -4 | grep -E 'd=[0-2] ' |
			grep -c 'l=inf')
		tail -c +$((off + 1)) "$file" | head -c $((size - off - 2 * trail)) >"$out"
	else
		tail -c +$((off + 1)) "$file" | head -c $((hl + l)) >"$out"
	fi
}

# --- keys, certificates, content
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -subj /CN=pw-smime-test-CA \
	-days 30 -set_serial 1 2>/dev/null || { echo "FAIL: cannot make the CA"; exit 1; }
mkcert list-rsa rsa 100 && mkcert list-ec ec 101 &&
	mkcert sub-rsa1 rsa 201 && mkcert sub-rsa2 rsa 202 &&
	mkcert sub-ec1 ec 211 && mkcert sub-ec2 ec 212 &&
	mkcert sub-p384 ec384 213 && mkcert sub-p521 ec521 214 &&
	mkcert sub-oaep rsa 221 && mkcert sub-oaep0 rsa 222 && mkcert sub-oaepl rsa 223 &&
	mkcert sub-pss rsapss 401 && mkcert sub-x25519 x25519 402 &&
	mkcert sender rsa 300 && mkcert stranger rsa 301 && mkcert sub-ed ed25519 400 ||
	{ echo "FAIL: cannot make the test certificates"; exit 1; }
# RSA keys certified as id-RSAES-OAEP (RFC 4055): with SHA-256 parameters, with none, with a
# label (which CMS cannot carry); same keys, issuer and serial as made above
for o in sub-oaep:sha256 sub-oaep0:none sub-oaepl:label; do
	$PY "$here/oaepcert.py" "${o%%:*}.crt" ca.key "${o#*:}" >"${o%%:*}.oaep" &&
		mv "${o%%:*}.oaep" "${o%%:*}.crt" || { echo "FAIL: oaepcert.py ${o%%:*}"; exit 1; }
done
subs="sub-rsa1 sub-rsa2 sub-ec1 sub-ec2 sub-p384 sub-p521 sub-oaep sub-oaep0"

# gpgsm homes: the RSA PKCS#1 v1.5 subscriber (gpgsm 2.2 imports no EC PKCS#12: it crashes)
gs() {	# gs NAME ARGS... - gpgsm in NAME's own home
	local h=$work/gpgsm-$1
	shift
	gpgsm --homedir "$h" --batch --no-tty --pinentry-mode loopback --passphrase-fd 0 \
		--disable-crl-checks --disable-policy-checks "$@" <<<pw
}
# gpgsm 2.2 refuses about one PKCS#12 file in a hundred that openssl writes ("decryption failed;
# trying charset ...", "error parsing or decrypting the PKCS#12 file"): a property of the file's
# random salt, not of the key - the same file fails every time, the same key exported again
# imports.  So the export is made anew, up to five times, before the import counts as failed.
p12_import() {	# p12_import NAME
	local try
	for try in 1 2 3 4 5; do
		openssl pkcs12 -export -in "$1.crt" -inkey "$1.key" -passout pass:pw -keypbe PBE-SHA1-3DES \
			-certpbe PBE-SHA1-3DES -macalg sha1 -out "$1.p12" || return 1
		gs "$1" --import "$1.p12" 2>"$1.p12.err" && grep -q 'secret keys imported: 1' "$1.p12.err" &&
			return 0
		grep -q 'error parsing or decrypting the PKCS#12 file' "$1.p12.err" || return 1
		echo "note: gpgsm refused $1's PKCS#12 export $try (its parser's known fault); exporting again"
	done
	return 1
}
for s in sub-rsa1; do
	mkdir -m 700 "gpgsm-$s" && echo allow-loopback-pinentry >"gpgsm-$s/gpg-agent.conf" &&
		gs "$s" --import ca.crt 2>/dev/null && p12_import "$s" ||
		{ echo "FAIL: gpgsm cannot import $s's PKCS#12: $(tail -2 "$s.p12.err")"; exit 1; }
done

{
	printf 'Content-Type: text/plain; charset=utf-8\r\nSubject: test\r\n\r\n'
	printf 'Line one\r\nLine two, no final newline: '
	head -c 3000 /dev/urandom | base64
} >msg.eml
head -c 20000 /dev/urandom >binary.bin

# posts: [name]=input list cipher extra-openssl-args
mkpost() {
	local name=$1 in=$2 list=$3 cipher=$4
	shift 4
	openssl cms -encrypt "$cipher" -binary -outform DER -in "$in" -out "$name.der" "$@" \
		"$list.crt" "${extra[@]}" 2>/dev/null
}
extra=()
ok=1
mkpost p-aes256 msg.eml list-rsa -aes256 || ok=0
extra=(sender.crt)
mkpost p-aes256-2rcpt msg.eml list-rsa -aes256 || ok=0	# to the list and to the sender
extra=()
mkpost p-aes128 binary.bin list-rsa -aes128 || ok=0
mkpost p-3des msg.eml list-rsa -des3 || ok=0
mkpost p-eclist msg.eml list-ec -aes256 || ok=0
mkpost p-ber msg.eml list-rsa -aes256 -stream || ok=0	# BER, indefinite lengths
openssl cms -sign -in msg.eml -signer sender.crt -inkey sender.key -out signed.eml 2>/dev/null || ok=0
mkpost p-signed signed.eml list-rsa -aes256 || ok=0
mkpost p-gcm128 msg.eml list-rsa -aes-128-gcm || ok=0	# AuthEnvelopedData (RFC 5083/5084)
mkpost p-gcm256 signed.eml list-rsa -aes-256-gcm || ok=0
mkpost p-gcm-eclist binary.bin list-ec -aes-192-gcm || ok=0
# a poster whose software sends RSA-OAEP to the list's rsaEncryption certificate
openssl cms -encrypt -aes256 -binary -outform DER -in msg.eml -out p-oaep-list.der -recip list-rsa.crt \
	-keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 2>/dev/null || ok=0
[ $ok = 1 ] && pass "openssl cms -encrypt made the posts (aes256, aes128, des3, EC list, BER, signed, AES-GCM, OAEP to the list)" ||
	fail "openssl cms -encrypt could not make every post"
for p in p-gcm128 p-gcm256 p-gcm-eclist; do
	openssl cms -cmsout -print -inform DER -in "$p.der" | grep -q 'contentType: id-smime-ct-authEnvelopedData' ||
		fail "$p is not authEnvelopedData"
done

# contents: post -> original content
declare -A orig=([p-aes256]=msg.eml [p-aes256-2rcpt]=msg.eml [p-aes128]=binary.bin
	[p-3des]=msg.eml [p-eclist]=msg.eml [p-ber]=msg.eml [p-signed]=signed.eml
	[p-gcm128]=msg.eml [p-gcm256]=signed.eml [p-gcm-eclist]=binary.bin [p-oaep-list]=msg.eml)
declare -A listof=([p-eclist]=list-ec [p-gcm-eclist]=list-ec)
posts="p-aes256 p-aes256-2rcpt p-aes128 p-3des p-eclist p-ber p-signed p-gcm128 p-gcm256 p-gcm-eclist p-oaep-list"

# --- opening with the list key gives back the content
for p in $posts; do
	l=${listof[$p]:-list-rsa}
	run "$p.content" "$p.err" open "$l.key" "$l.crt" <"$p.der"
	if [ $rc = 0 ] && cmp -s "$p.content" "${orig[$p]}" &&
		grep -q '^inner-type: 1.2.840.113549.1.7.1$' "$p.err"; then
		pass "$p: open with $l gives the content and inner type id-data"
	else
		fail "$p: open with $l: rc=$rc $(head -c 300 "$p.err")"
	fi
done

# --- re-addressing: each subscriber alone can open the copy, and the ciphertext is untouched
for p in $posts; do
	l=${listof[$p]:-list-rsa}
	mkdir -p "out-$p"
	certs=()
	for s in $subs; do certs+=("$s.crt"); done
	run "$p.ra" "$p.raerr" readdress -d "out-$p" "$l.key" "$l.crt" "${certs[@]}" <"$p.der"
	if [ $rc != 0 ]; then
		fail "$p: readdress to $subs: rc=$rc $(head -c 300 "$p.raerr")"
		continue
	fi
	eci "$p.der" "$p.eci" || fail "$p: asn1parse finds no encryptedContentInfo in the post"
	for s in $subs; do
		c=out-$p/$s.der
		what="$p -> $s"
		# the subscriber gets the original back
		if openssl cms -decrypt -inform DER -in "$c" -recip "$s.crt" -inkey "$s.key" \
			-out "$c.dec" 2>"$c.err" && cmp -s "$c.dec" "${orig[$p]}"; then
			pass "$what: openssl cms -decrypt with the subscriber's key gives the original"
		else
			fail "$what: subscriber cannot decrypt: $(head -c 300 "$c.err")"
		fi
		# exactly one recipientInfo, the subscriber's
		openssl cms -cmsout -print -inform DER -in "$c" >"$c.print" 2>&1
		nri=$(grep -cE '^ +d\.(ktri|kari|kekri|pwri|ori): *$' "$c.print")
		serials=$(grep -E '^ +serialNumber: ' "$c.print" | sed -E 's/^ +//' | sort -u)
		if [ "$nri" = 1 ] && [ "$serials" = "serialNumber: $(serial "$s")" ]; then
			pass "$what: one recipientInfo, the subscriber's (serial $(serial "$s"))"
		else
			fail "$what: $nri recipientInfos, serials: $(echo $serials)"
		fi
		# EnvelopedData version by RFC 5652 6.1: 0 for a sole issuer+serial ktri, else 2;
		# AuthEnvelopedData is always 0 (RFC 5083)
		case $s in sub-rsa* | sub-oaep*) want=0 ;; *) want=2 ;; esac
		case $p in p-gcm*) want=0 ;; esac
		if grep -m1 -E '^    version: ' "$c.print" | grep -q "version: $want\$"; then
			pass "$what: EnvelopedData version $want"
		else
			fail "$what: EnvelopedData $(grep -m1 -E '^    version: ' "$c.print")"
		fi
		# the list's key no longer opens it, nor does another subscriber's
		case $s in sub-rsa1) other=sub-rsa2 ;; sub-rsa2) other=sub-ec1 ;; sub-ec1) other=sub-ec2 ;;
		*) other=sub-rsa1 ;; esac
		for k in "$l" "$other"; do
			a=$(openssl cms -decrypt -inform DER -in "$c" -recip "$k.crt" -inkey "$k.key" \
				-out "$c.$k.a" 2>/dev/null && cmp -s "$c.$k.a" "${orig[$p]}" && echo y)
			b=$(openssl cms -decrypt -inform DER -in "$c" -inkey "$k.key" -out "$c.$k.b" \
				2>/dev/null && cmp -s "$c.$k.b" "${orig[$p]}" && echo y)
			if [ -z "$a$b" ]; then
				pass "$what: $k's key does not decrypt the copy"
			else
				fail "$what: $k's key decrypts the copy"
			fi
		done
		# the encryptedContentInfo (type, algorithm, IV, ciphertext) is the post's, octet for octet
		if eci "$c" "$c.eci" && [ -s "$c.eci" ] && cmp -s "$c.eci" "$p.eci"; then
			pass "$what: encryptedContentInfo identical ($(stat -c %s "$c.eci") octets)"
		else
			fail "$what: encryptedContentInfo differs from the post's"
		fi
		# AuthEnvelopedData: the MAC (the last element, 16 octets and its header) is the post's
		case $p in p-gcm*)
			if cmp -s <(tail -c 18 "$c") <(tail -c 18 "$p.der") &&
				grep -q 'contentType: id-smime-ct-authEnvelopedData' "$c.print"; then
				pass "$what: authEnvelopedData with the post's MAC"
			else
				fail "$what: not authEnvelopedData or the MAC differs"
			fi ;;
		esac
		# the key transport / agreement is the one the subscriber's certificate asks for
		case $s in
		sub-oaep) kt='rsaesOaep.*sha256.*mgf1.*sha256' ;;
		sub-oaep0) kt='rsaesOaep.*sha256.*mgf1.*sha256' ;;
		sub-rsa*) kt='rsaEncryption' ;;
		*) kt='dhSinglePass-stdDH-sha1kdf-scheme.*id-aes(128|192|256)-wrap' ;;
		esac
		if tr '\n' ' ' <"$c.print" | grep -qE "keyEncryptionAlgorithm: +algorithm: $kt"; then
			pass "$what: key encryption /$kt/"
		else
			fail "$what: key encryption is not /$kt/: $(grep -A2 keyEncryptionAlgorithm "$c.print" | tr '\n' ' ')"
		fi
		# a second implementation, sharing none of OpenSSL's CMS code, opens the copy
		# alone (it also refuses a copy with more than one RecipientInfo)
		if $PY "$here/cmsdec.py" "$s.key" <"$c" >"$c.py" 2>"$c.pyerr" && cmp -s "$c.py" "${orig[$p]}"; then
			pass "$what: cmsdec.py opens it ($(sed 's/^cmsdec: //' "$c.pyerr"))"
		else
			fail "$what: cmsdec.py: $(head -c 300 "$c.pyerr")"
		fi
		# and gpgsm, where it can: RSA PKCS#1 v1.5 with CBC content
		case $s:$p in sub-rsa1:p-gcm*) ;; sub-rsa1:*)
			if gs "$s" --decrypt "$c" >"$c.gpgsm" 2>"$c.gpgsmerr" && cmp -s "$c.gpgsm" "${orig[$p]}"; then
				pass "$what: gpgsm decrypts it in $s's home"
			else
				fail "$what: gpgsm: $(tail -2 "$c.gpgsmerr" | tr '\n' ' ')"
			fi ;;
		esac
	done
done

# --- originatorInfo and unprotectedAttrs (openssl 3.0 makes neither): a post rewritten to carry
# the sender's certificate and one attribute keeps both, and the version becomes 2
perl -e '
	local $/; open(F, "<", $ARGV[0]) or die; binmode F; my $d = <F>;
	open(C, "<", $ARGV[1]) or die; binmode C; my $cert = <C>;
	sub hdr { my ($s, $o) = @_; my $l = ord substr($s, $o + 1, 1); my $h = 2;
		if ($l & 0x80) { my $n = $l & 0x7f; $l = 0;
			for (1 .. $n) { $l = $l * 256 + ord substr($s, $o + $h, 1); $h++ } }
		return ($h, $l) }
	sub enc { my ($id, $c) = @_; my $l = length $c; my $lb;
		if ($l < 128) { $lb = chr $l } else { my $b = "";
			for (my $x = $l; $x; $x >>= 8) { $b = chr($x & 255) . $b }
			$lb = chr(128 | length $b) . $b }
		return chr($id) . $lb . $c }
	my ($h, $l) = hdr($d, 0); my $o = $h;
	($h, $l) = hdr($d, $o); my $oid = substr($d, $o, $h + $l); $o += $h + $l;
	($h, $l) = hdr($d, $o); $o += $h;
	($h, $l) = hdr($d, $o); $o += $h; my $body = substr($d, $o, $l);
	($h, $l) = hdr($body, 0); my $rest = substr($body, $h + $l);
	my $orig = enc(0xa0, enc(0xa0, $cert));
	my $attr = enc(0xa1, enc(0x30, enc(0x06, "\x2a\x03\x04\x05") .
		enc(0x31, enc(0x0c, "postward test attribute"))));
	binmode STDOUT;
	print enc(0x30, $oid . enc(0xa0, enc(0x30, "\x02\x01\x02" . $orig . $rest . $attr)));
' p-aes256.der <(openssl x509 -in sender.crt -outform DER) >p-extras.der
run p-extras.copy extras.err readdress list-rsa.key list-rsa.crt sub-ec1.crt <p-extras.der
openssl cms -cmsout -print -inform DER -in p-extras.copy >extras.print 2>&1
eci p-aes256.der p-extras.eci0
if [ $rc = 0 ] &&
	openssl cms -decrypt -inform DER -in p-extras.copy -recip sub-ec1.crt -inkey sub-ec1.key \
		-out extras.dec 2>/dev/null && cmp -s extras.dec msg.eml; then
	pass "p-extras -> sub-ec1: a post with originatorInfo and unprotectedAttrs is re-addressed"
else
	fail "p-extras -> sub-ec1: rc=$rc $(head -c 300 extras.err)"
fi
if [ "$(grep -cE '^ +d\.(ktri|kari|kekri|pwri|ori): *$' extras.print)" = 1 ] &&
	grep -q '^    version: 2$' extras.print && grep -q 'subject: CN=sender' extras.print &&
	grep -q 'postward test attribute' extras.print &&
	eci p-extras.copy p-extras.eci && cmp -s p-extras.eci p-extras.eci0; then
	pass "p-extras -> sub-ec1: one recipientInfo, version 2, originatorInfo, unprotectedAttrs and encryptedContentInfo kept"
else
	fail "p-extras -> sub-ec1: $(grep -E '^    (version|originatorInfo)' extras.print | tr '\n' ' ')"
fi

# --- the signature inside a signed-then-encrypted post still verifies for the subscriber
for s in sub-rsa1 sub-ec1; do
	if openssl cms -verify -in "out-p-signed/$s.der.dec" -CAfile ca.crt -out "verified.$s" \
		2>"verify.$s.err" && grep -q 'Verification successful' "verify.$s.err"; then
		pass "p-signed -> $s: the sender's signature verifies after decryption"
	else
		fail "p-signed -> $s: signature does not verify: $(head -c 300 "verify.$s.err")"
	fi
done

# --- the post itself is left as it was: two copies differ only in the recipientInfo
if cmp -s out-p-aes256/sub-rsa1.der out-p-aes256/sub-rsa2.der; then
	fail "copies for two subscribers are identical"
else
	pass "copies for two subscribers differ (each has its own recipientInfo)"
fi

# --- RFC 3854 enveloped-x400: the outer type is still envelopedData; the inner (encrypted
# content) type is the X.400 content type's OID instead of id-data.  openssl cms -encrypt
# (3.0) ignores -econtent_type, so pw-smime mkpost makes this post through the API.
x400oid=1.3.26.0.4406.0.4.1
printf 'X.400 content stand-in\n' >x400.bin
if "$tool" mkpost "$x400oid" list-rsa.crt <x400.bin >p-x400.der 2>x400.err; then
	run x400.content x400.openerr open list-rsa.key list-rsa.crt <p-x400.der
	if [ $rc = 0 ] && grep -q "^inner-type: $x400oid\$" x400.openerr && cmp -s x400.content x400.bin; then
		pass "enveloped-x400: open reports inner type $x400oid and the content"
	else
		fail "enveloped-x400: open: rc=$rc $(head -c 300 x400.openerr)"
	fi
	run p-x400.copy x400.raerr readdress list-rsa.key list-rsa.crt sub-ec1.crt <p-x400.der
	openssl cms -cmsout -print -inform DER -in p-x400.copy >x400.print 2>&1
	if [ $rc = 0 ] && grep -q "contentType: pkcs7-envelopedData" x400.print &&
		grep -qF "($x400oid)" x400.print &&
		openssl cms -decrypt -inform DER -in p-x400.copy -recip sub-ec1.crt -inkey sub-ec1.key \
			-out x400.dec 2>/dev/null && cmp -s x400.dec x400.bin; then
		pass "enveloped-x400: the copy keeps inner type $x400oid and decrypts for the subscriber"
	else
		fail "enveloped-x400: copy: rc=$rc $(head -c 300 x400.raerr)"
	fi
else
	fail "pw-smime mkpost: $(head -c 300 x400.err)"
fi

# --- refusals: a clear status and message, never a crash
# expect NAME RC PATTERN ARGS... (stdin from the caller)
expect() {
	local name=$1 want=$2 pat=$3
	shift 3
	run "$name.out" "$name.err" "$@"
	if [ "$rc" = "$want" ] && grep -qE "$pat" "$name.err"; then
		pass "$name: refused, exit $rc: $(head -1 "$name.err")"
	else
		fail "$name: exit $rc (want $want /$pat/): $(head -c 300 "$name.err")"
	fi
}
head -c 4000 /dev/urandom >garbage.bin
expect garbage 11 'not an enveloped-data CMS' open list-rsa.key list-rsa.crt <garbage.bin
expect empty 11 'empty input' open list-rsa.key list-rsa.crt </dev/null
openssl cms -encrypt -aes256 -in msg.eml list-rsa.crt >p-pem.txt 2>/dev/null
expect smime-text-not-der 11 'first octet 0x4d is not a SEQUENCE' open list-rsa.key list-rsa.crt <p-pem.txt
openssl cms -sign -binary -nodetach -outform DER -in msg.eml -signer sender.crt -inkey sender.key \
	-out p-signeddata.der 2>/dev/null
expect signed-data 11 'content type is pkcs7-signedData' open list-rsa.key list-rsa.crt <p-signeddata.der
# AuthEnvelopedData whose content cipher is AES-CBC (the GCM OID of the post turned into the
# CBC one): no MAC to check, refused before any key is used
perl -e 'local $/; my $d = <STDIN>; my $p = "\x06\x09\x60\x86\x48\x01\x65\x03\x04\x01";
	$d =~ s/\Q$p\E\x06/$p\x02/ or die "no AES-128-GCM OID"; binmode STDOUT; print $d' \
	<p-gcm128.der >p-gcm-cbc.der || fail "cannot make the CBC-in-AuthEnvelopedData post"
expect cbc-in-auth-enveloped-data 14 'content cipher aes-128-cbc is not one the list accepts in authEnvelopedData \(AES-128-GCM, AES-192-GCM or AES-256-GCM\)' open list-rsa.key list-rsa.crt <p-gcm-cbc.der
# a MAC changed, or a ciphertext octet: refused as a wrong key is
flip() {	# flip FILE OFFSET OUT - XOR one octet with 0x80
	perl -e 'local $/; open(F, "<", $ARGV[0]) or die; binmode F; my $d = <F>;
		substr($d, $ARGV[1], 1) = chr(ord(substr($d, $ARGV[1], 1)) ^ 0x80);
		binmode STDOUT; print $d' "$1" "$2" >"$3"
}
flip p-gcm128.der $(($(stat -c %s p-gcm128.der) - 1)) p-gcm-badmac.der
flip p-gcm128.der $(($(stat -c %s p-gcm128.der) - 19)) p-gcm-badct.der
expect gcm-tampered-mac 13 "the list's key does not open the post" open list-rsa.key list-rsa.crt <p-gcm-badmac.der
expect gcm-tampered-ciphertext 13 "the list's key does not open the post" open list-rsa.key list-rsa.crt <p-gcm-badct.der
# keys no copy can be made for, each with its reason
expect x25519-subscriber 14 "an X25519 key: OpenSSL's CMS has no key agreement for it \\(RFC 8418\\)" readdress list-rsa.key list-rsa.crt sub-x25519.crt <p-aes256.der
expect rsa-pss-subscriber 14 'RSASSA-PSS key, for signatures only' readdress list-rsa.key list-rsa.crt sub-pss.crt <p-aes256.der
expect oaep-label-subscriber 14 'requires a label \(pSourceFunc\), which CMS does not carry' readdress list-rsa.key list-rsa.crt sub-oaepl.crt <p-gcm128.der
# a key-wrap algorithm as the content cipher (regression test: OpenSSL "decrypted" the
# content with it to nothing and postward passed a NULL buffer to memcpy): the post made by
# openssl with AES-CBC, its content-encryption algorithm OID changed to id-aesNNN-wrap
# (2.16.840.1.101.3.4.1.{5,25,45}); refused before any key is used, for open and readdress
kwpost() {	# kwpost IN CBC-LAST-OCTET WRAP-LAST-OCTET OUT
	perl -e 'local $/; my $d = <STDIN>; my $p = "\x06\x09\x60\x86\x48\x01\x65\x03\x04\x01";
		my ($from, $to) = (chr(hex $ARGV[0]), chr(hex $ARGV[1]));
		$d =~ s/\Q$p$from\E/$p$to/ or die "no AES-CBC OID"; binmode STDOUT; print $d' "$2" "$3" <"$1" >"$4"
}
kwpost p-aes128.der 02 05 p-kw128.der && kwpost p-aes256.der 2a 2d p-kw256.der ||
	fail "cannot make the key-wrap posts"
expect keywrap128-open 14 'content cipher id-aes128-wrap is not one the list accepts in enveloped-data \(AES-128-CBC, AES-192-CBC, AES-256-CBC or DES-EDE3-CBC\)' open list-rsa.key list-rsa.crt <p-kw128.der
expect keywrap256-open 14 'content cipher id-aes256-wrap is not one the list accepts' open list-rsa.key list-rsa.crt <p-kw256.der
expect keywrap128-readdress 14 'content cipher id-aes128-wrap is not one the list accepts' readdress list-rsa.key list-rsa.crt sub-ec1.crt <p-kw128.der
expect keywrap-ec-list 14 'content cipher id-aes256-wrap' open list-ec.key list-ec.crt < <(kwpost p-eclist.der 2a 2d /dev/stdout)
openssl cms -encrypt -aes256 -binary -outform DER -in msg.eml -out p-stranger.der stranger.crt sub-ec1.crt 2>/dev/null
expect not-to-the-list 12 'no recipientInfo for the list' open list-rsa.key list-rsa.crt <p-stranger.der
expect not-to-the-ec-list 12 'no recipientInfo for the list' open list-ec.key list-ec.crt <p-stranger.der
expect key-not-matching-cert 13 'does not match' open stranger.key list-rsa.crt <p-aes256.der
expect ed25519-subscriber 14 'an ED25519 key, for signatures only' readdress list-rsa.key list-rsa.crt sub-ed.crt <p-aes256.der
# trailing octets after the ContentInfo
{ cat p-aes256.der; printf 'x'; } >p-trailing.der
expect trailing-data 11 '1 trailing octet after the CMS' open list-rsa.key list-rsa.crt <p-trailing.der

# tampering: the list's encrypted key and the ciphertext fail alike (no padding oracle)
ekoff=$(openssl asn1parse -inform DER -in p-aes256.der | grep -m1 -E 'hl=4 l= 256 prim: OCTET STRING' |
	sed -E 's/^ *([0-9]+):.*/\1/')
flip p-aes256.der $((ekoff + 4 + 100)) p-badkey.der
size=$(stat -c %s p-aes256.der)
flip p-aes256.der $((size - 17)) p-badpad.der	# last octet of the next-to-last block: bad padding
expect tampered-encrypted-key 13 "the list's key does not open the post" open list-rsa.key list-rsa.crt <p-badkey.der
expect tampered-ciphertext 13 "the list's key does not open the post" open list-rsa.key list-rsa.crt <p-badpad.der
if cmp -s tampered-encrypted-key.err tampered-ciphertext.err; then
	pass "a bad encrypted key and a bad ciphertext give the same message"
else
	fail "a bad encrypted key and a bad ciphertext are told apart"
fi

# truncation at many offsets: always a format error
for p in p-aes256 p-eclist p-ber; do
	size=$(stat -c %s "$p.der")
	bad=0
	n=0
	for ((cut = 1; cut < size; cut += (cut < 80 ? 1 : 13))); do
		head -c $cut "$p.der" >cut.der
		run cut.out cut.err open list-rsa.key list-rsa.crt <cut.der
		n=$((n + 1))
		if [ $rc != 11 ] || ! grep -qE 'malformed or truncated|not a CMS|without' cut.err; then
			bad=$((bad + 1))
			[ $bad -le 3 ] && echo "  $p cut at $cut: rc=$rc $(head -c 200 cut.err)"
		fi
	done
	[ $bad = 0 ] && pass "$p truncated at $n offsets: each refused as malformed (exit 11)" ||
		fail "$p truncated: $bad of $n cuts not refused as malformed"
done

# one flipped octet at many offsets: any status, but never a crash or sanitizer report
size=$(stat -c %s p-aes256-2rcpt.der)
bad=0
n=0
for ((off = 0; off < size; off += 7)); do
	flip p-aes256-2rcpt.der $off flipped.der
	run flipped.out flipped.err readdress list-rsa.key list-rsa.crt sub-ec1.crt <flipped.der
	n=$((n + 1))
	case $rc in 0 | 11 | 12 | 13 | 14) ;; *)
		bad=$((bad + 1))
		echo "  flip at $off: rc=$rc $(head -c 200 flipped.err)" ;;
	esac
done
[ $bad = 0 ] && pass "one octet flipped at $n offsets: a status each time, no crash" ||
	fail "one octet flipped: $bad of $n runs crashed or exited oddly"

# size limit: SMIME_MAX_DER (64 MiB) of zeros gets as far as the ASN.1 check, one octet more
# is refused for its size
head -c $((64 * 1024 * 1024)) /dev/zero >max.bin
expect at-size-limit 11 'first octet 0x00 is not a SEQUENCE' open list-rsa.key list-rsa.crt <max.bin
{ cat max.bin; printf 'x'; } >over.bin
expect over-size-limit 11 'exceeds the limit of 67108864' open list-rsa.key list-rsa.crt <over.bin
rm -f max.bin over.bin

# nesting: 100000 SEQUENCE headers, indefinite and definite; the limit is 32 levels
perl -e 'binmode STDOUT; print "\x30\x80" x 100000' >deep-indef.der
expect deep-indefinite 11 'nested deeper than 32' open list-rsa.key list-rsa.crt <deep-indef.der
nest() {	# nest N - N SEQUENCEs with definite lengths around a NULL
	perl -e 'my $n = shift; my @len = (2); my $hdr = sub { my $l = shift; return 2 if $l < 128;
		my $k = 0; for (my $x = $l; $x; $x >>= 8) { $k++ } return 2 + $k };
		for my $i (1 .. $n) { push @len, $len[-1] + $hdr->($len[-1]) }
		binmode STDOUT;
		for (my $i = $n - 1; $i >= 0; $i--) { my $l = $len[$i];
			if ($l < 128) { print "\x30", chr($l) } else { my $b = "";
				for (my $x = $l; $x; $x >>= 8) { $b = chr($x & 255) . $b }
				print "\x30", chr(128 | length $b), $b } }
		print "\x05\x00"' "$1"
}
nest 100000 >deep-def.der
expect deep-definite 11 'nested deeper than 32' open list-rsa.key list-rsa.crt <deep-def.der
nest 33 >depth33.der
expect depth-33 11 'nested deeper than 32' open list-rsa.key list-rsa.crt <depth33.der
nest 32 >depth32.der
run depth32.out depth32.err open list-rsa.key list-rsa.crt <depth32.der
if [ $rc = 11 ] && ! grep -q 'nested deeper' depth32.err; then
	pass "depth-32: nesting accepted, refused later: $(head -1 depth32.err)"
else
	fail "depth-32: rc=$rc $(head -c 300 depth32.err)"
fi

# --- timing (informational; an ASan build is several times slower than -O2)
bn=${PW_SMIME_BENCH:-50}
for s in sub-rsa1 sub-ec1; do
	run bench.$s bench.$s.err bench "$bn" list-rsa.key list-rsa.crt "$s.crt" <p-aes256.der
	if [ $rc = 0 ]; then
		pass "bench $s: $(grep readdress: "bench.$s" | sed 's/^readdress: //'), open $(grep '^open:' "bench.$s" | sed 's/^open: //')"
	else
		fail "bench $s: rc=$rc $(head -c 300 "bench.$s.err")"
	fi
done

echo "$passed passed, $failed failed"
[ $failed = 0 ]
