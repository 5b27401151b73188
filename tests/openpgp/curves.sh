#!/bin/bash
# tests/openpgp/curves.sh - milter/lists/openpgp*.c re-wrapping list posts for subscribers whose
# encryption keys are ECDH on NIST P-256, P-384, P-521 and brainpoolP256r1/384r1/512r1
# (RFC 6637, RFC 9580 sections 5.1.4 and 11.5), checked by each subscriber's own tool.
#
# Usage: tests/openpgp/curves.sh [PW-OPGP]
#
# Parties, each in its own home directory under one temporary directory:
#   - the list and the poster: gpg 2.2 (future-default keys);
#   - g-CURVE: gpg 2.2 subscribers, `--quick-gen-key UID CURVE sign` plus `--quick-add-key FPR
#     CURVE encr`, for all six curves (gpg picks the KDF: SHA2-256/AES-128 on the 256-bit
#     curves, SHA2-384/AES-192 on the 384-bit ones, SHA2-512/AES-256 above);
#   - r-CURVE: RNP subscribers (rnpkeys --expert, "ECDSA + ECDH"), all six curves;
#   - s-CURVE: Sequoia subscribers (sq decrypt --recipient-key) on P-256, P-384, P-521 with
#     keys made by rnpkeys (sq 0.27 generates only RSA and Curve25519 keys, and its Nettle
#     backend has no brainpool curves), and s-cv25519 with a key sq generated itself.
# The poster signs and encrypts posts to the list's key with gpg (AES-256, and AES-128 for
# the gpg subscribers); the list decrypts each once with --show-session-key; pw-opgp rewrap
# builds one copy per subscriber from the subscriber's exported public key block.  For every
# copy: pw-opgp key names the right curve; the list's gpg lists exactly one PKESK, algorithm
# 18, with the subscriber's subkey ID, then the post's data packet byte for byte; the
# subscriber's own tool decrypts it to the original and verifies the poster's signature
# (gpg GOODSIG/VALIDSIG, rnp "Signature(s) verified successfully", sq "1 good signature");
# another subscriber's home cannot decrypt it.  Two wraps for the same key carry different
# ephemeral points.  Then the refusals, on key blocks edited from real ones: a point off its
# curve and a compressed point (OPGP_E_FORMAT), a curve OID we do not know and gpg's own
# secp256k1 key, KDF hashes MD5 and SHA-1 (forbidden, RFC 9580 section 9.5), KEK ciphers
# other than AES and KDF parameters of another version (OPGP_E_UNSUPPORTED), each with its
# reason.  Sanitizer reports count as failures.
#
# PW-OPGP as for tests/openpgp/rewrap.sh ($PW_OPGP, else tests/openpgp/pw-opgp, else built
# here with ${CC:-cc} and $PW_CFLAGS).  Needs gpg 2.2+, rnp/rnpkeys 0.16+, sq 0.27+ (a tool
# that is missing fails its cells), /usr/bin/python3; no network.  Prints PASS/FAIL lines
# and ends with "N passed, M failed"; exit 1 on any failure.
# shellcheck source=tests/openpgp/lib.sh
. "$(dirname "$0")/lib.sh"
opgp_tmp pw-curves

# ---- the tools ----------------------------------------------------------------------------
opgp_tool "${1:-}"
for t in gpg gpgconf rnp rnpkeys sq /usr/bin/python3; do
	command -v "$t" >/dev/null || ko "$t not installed"
done
command -v gpg >/dev/null || finish
cd "$tmp" || exit 1

# ---- homes and keys -----------------------------------------------------------------------
# rnewkey - rnp home H with an "ECDSA + ECDH" key on curve number N of rnpkeys' menu
rnewkey() {
	local h=$1 uid=$2 n=$3
	mkdir -m 700 "$tmp/$h" &&
		printf '19\n%s\n' "$n" | rnpkeys --homedir "$tmp/$h" --generate-key --expert \
			--userid "$uid" --password '' --notty >/dev/null 2>&1 &&
		rnpkeys --homedir "$tmp/$h" --export-key "$h@example.org" 2>/dev/null |
		rnp --dearmor > "$tmp/$h.pub" 2>/dev/null && [ -s "$tmp/$h.pub" ]
}
# renc - fingerprint of the encryption subkey of rnp home H
renc() {
	rnpkeys --homedir "$tmp/$1" --list-keys 2>/dev/null |
		awk '$1 == "sub" && /\[E\]/ { e = 1; next } e && NF == 1 { print toupper($1); exit }'
}

# curves: tag, gpg name, rnpkeys menu number, name as pw-opgp prints it, sq-capable
curves="p256:nistp256:1:NIST_P-256:sq p384:nistp384:2:NIST_P-384:sq p521:nistp521:3:NIST_P-521:sq
bp256:brainpoolP256r1:4:brainpoolP256r1:- bp384:brainpoolP384r1:5:brainpoolP384r1:-
bp512:brainpoolP512r1:6:brainpoolP512r1:-"

keys_ok=0
newkey list 'List <list@example.org>' future-default default &&
newkey poster 'Poster <poster@example.org>' future-default default || keys_ok=1
check $keys_ok "gpg generated the list's and the poster's keys"
[ $keys_ok -eq 0 ] || finish
LIST=$(cat list.fpr)
POSTER=$(cat poster.fpr)
g list --export "$LIST" | g poster --import 2>/dev/null
g poster --export "$POSTER" > poster.pub

subs=""		# every subscriber home, tool-curve
for c in $curves; do
	IFS=: read -r tag gname rnum pname sqok <<< "$c"
	h=g-$tag
	if newkey "$h" "G $tag <g-$tag@example.org>" "$gname" sign "$gname"; then
		g "$h" --export "$(cat "$h.fpr")" > "$h.pub"
		g poster --export "$POSTER" | g "$h" --import 2>/dev/null
		enc_fprs "$h" | tail -1 > "$h.enc"
		echo "gpg ${pname/_/ }" > "$h.info"
		subs="$subs $h"
		ok "gpg made an ECDH $gname subkey for $h"
	else
		ko "gpg could not make an ECDH $gname subkey"
	fi
	for h in r-$tag s-$tag; do
		[ "$h" = "s-$tag" ] && [ "$sqok" != sq ] && continue
		if rnewkey "$h" "${h%%-*} $tag <$h@example.org>" "$rnum"; then
			renc "$h" > "$h.enc"
			if [ "${h%%-*}" = r ]; then
				rnpkeys --homedir "$tmp/$h" --import poster.pub >/dev/null 2>&1
				echo "rnp ${pname/_/ }" > "$h.info"
			else
				# the sq subscriber keeps only its key file, in its own directory
				mkdir -m 700 "$h.sq" &&
					rnpkeys --homedir "$tmp/$h" --export-key --secret "$h@example.org" \
						> "$h.sq/key.pgp" 2>/dev/null && rm -rf "${tmp:?}/$h"
				echo "sq ${pname/_/ }" > "$h.info"
			fi
			subs="$subs $h"
			ok "rnpkeys made an ECDH ${pname/_/ } subkey for $h ($(cat "$h.enc"))"
		else
			ko "rnpkeys could not make an ECDH ${pname/_/ } key for $h"
		fi
	done
done
# a Sequoia subscriber whose key sq made itself (Curve25519), beside the curves above
h=s-cv25519
if mkdir -m 700 "$h.sq" &&
	sq key generate --userid "<$h@example.org>" --cannot-sign --cannot-authenticate \
		--export "$h.sq/key.pgp" 2>/dev/null &&
	sq key extract-cert -B "$h.sq/key.pgp" -o "$h.pub" 2>/dev/null; then
	sq inspect "$h.pub" 2>/dev/null |
		awk '/Subkey:/ { s = $2 } /Key flags:.*encryption/ && s != "" { print s; exit }' \
		> "$h.enc"
	echo "sq Curve25519" > "$h.info"
	subs="$subs $h"
	ok "sq made a Curve25519 key for $h ($(cat "$h.enc"))"
else
	ko "sq could not make a key"
fi

# ---- posts --------------------------------------------------------------------------------
cat > plain.txt <<'EOF'
Subject: encrypted list test, ECDH curves

Hello list.  This post was encrypted to the list's key once and re-wrapped for
each subscriber: one new PKESK on the subscriber's curve, the same encrypted data.
EOF
posts="aes256 aes128"
g poster -e -s -u "$POSTER" -r "$LIST" -o aes256.post plain.txt 2>/dev/null &&
	g poster -e -s -u "$POSTER" --cipher-algo AES -r "$LIST" -o aes128.post plain.txt 2>/dev/null
check $? "the poster signs and encrypts two posts to the list (AES-256, AES-128)"
for p in $posts; do
	g list --show-session-key --status-file "$p.lst" -o "$p.out" -d "$p.post" 2>/dev/null
	awk '$2 == "SESSION_KEY" { print $3 }' "$p.lst" > "$p.sk"
	cmp -s "$p.out" plain.txt && [ -s "$p.sk" ]
	check $? "post $p: the list decrypts it once and exports its session key"
	"$PW" split "$p.post" > "$p.split" 2>/dev/null
done

# ---- one copy per subscriber ----------------------------------------------------------------
# decrypt_own H COPY OUT: the subscriber's own tool, in its own home, with the poster's
# signature checked; status text in COPY.st
decrypt_own() {
	local h=$1 copy=$2 out=$3
	rm -f "$out"
	case $h in
	g-*)
		g "$h" --status-file "$copy.st" -o "$out" -d "$copy" 2>/dev/null &&
			grep -q "^\[GNUPG:\] GOODSIG ${POSTER: -16} " "$copy.st" &&
			grep -q "^\[GNUPG:\] VALIDSIG .*$POSTER" "$copy.st" ;;
	r-*)
		rnp --homedir "$tmp/$h" --password '' --decrypt "$copy" --output "$out" \
			> "$copy.st" 2>&1 &&
			grep -q '^Signature(s) verified successfully' "$copy.st" ;;
	s-*)
		sq decrypt --recipient-key "$h.sq/key.pgp" --signer-cert poster.pub -o "$out" \
			"$copy" < /dev/null > "$copy.st" 2>&1 &&
			grep -q '^1 good signature' "$copy.st" ;;
	esac
}
# decrypts_elsewhere H COPY: does COPY decrypt in home H (any other subscriber's)
decrypts_elsewhere() {
	case $1 in
	g-*) g "$1" -o /dev/null -d "$2" 2>/dev/null ;;
	# never an output of /dev/null for rnp and sq: sq 0.27 removes its output file when
	# decryption fails
	r-*) rnp --homedir "$tmp/$1" --password '' --decrypt "$2" --output "$2.elsewhere" \
		>/dev/null 2>&1 ;;
	s-*) sq decrypt --recipient-key "$1.sq/key.pgp" -o "$2.elsewhere" "$2" < /dev/null \
		>/dev/null 2>&1 ;;
	esac
}

prev=""
for h in $subs; do
	read -r tool cname < "$h.info"
	enc=$(cat "$h.enc")
	pw /dev/null "$h.key" key "$h.pub"
	if [ "$rc" -eq 0 ] && grep -qx 'algo 18' "$h.key" && grep -qx "curve $cname" "$h.key" &&
		grep -qx "fpr $enc" "$h.key"; then
		ok "$h: $tool key read: $cname, KDF hash $(awk '$1 == "kdf_hash" { print $2 }' "$h.key"), KEK cipher $(awk '$1 == "kdf_cipher" { print $2 }' "$h.key")"
	else
		ko "$h: pw-opgp key: $(tr '\n' ' ' < "$h.key") $(show) (want $cname, $enc)"
	fi
	for p in $posts; do
		[ "$p" = aes128 ] && [ "${h%%-*}" != g ] && continue
		t="$p for $h ($tool, $cname)"
		copy=$p.$h.copy
		pw "$p.post" "$copy" rewrap "$(cat "$p.sk")" "$h.pub"
		if [ "$rc" -ne 0 ] || grep -q 'Sanitizer\|runtime error' pw.err; then
			ko "$t: pw-opgp rewrap: $(show)"
			continue
		fi
		if decrypt_own "$h" "$copy" "$copy.out" && cmp -s "$copy.out" plain.txt; then
			ok "$t: the subscriber's $tool decrypts the copy and verifies the poster's signature"
		else
			ko "$t: the subscriber's $tool: $(head -c 300 "$copy.st" | tr '\n' ' ')"
		fi
		g list --list-packets "$copy" > "$copy.pk" 2>/dev/null
		n=$(grep -c '^:pubkey enc packet:' "$copy.pk")
		ids=$(sed -n 's/^:pubkey enc packet: version 3, algo 18, keyid \([0-9A-F]*\).*/\1/p' "$copy.pk")
		dlen=$(awk '$1 == "data_len" { print $2 }' "$p.split")
		if [ "$n" -eq 1 ] && [ "$ids" = "${enc: -16}" ] && [ -n "$dlen" ] &&
			cmp -s <(tail -c "$dlen" "$copy") <(tail -c "$dlen" "$p.post"); then
			ok "$t: one PKESK (ECDH, keyid ${enc: -16}), then the post's data packet unchanged"
		else
			ko "$t: packets: $n PKESK(s), ECDH keyid(s) '$ids', want ${enc: -16}"
		fi
		if [ -n "$prev" ] && decrypts_elsewhere "$prev" "$copy"; then
			ko "$t: the copy decrypts for $prev too"
		elif [ -n "$prev" ]; then
			ok "$t: the copy does not decrypt for $prev"
		fi
	done
	prev=$h
done

# two wraps for one key: a fresh ephemeral key each time, both decrypt
for h in g-p256 g-bp512; do
	case " $subs " in *" $h "*) ;; *) continue ;; esac
	pw aes256.post "$h.again" rewrap "$(cat aes256.sk)" "$h.pub"
	plen=$(($(wc -c < "aes256.$h.copy") - $(awk '$1 == "data_len" { print $2 }' aes256.split)))
	if [ "$rc" -eq 0 ] && ! cmp -s <(head -c "$plen" "$h.again") <(head -c "$plen" "aes256.$h.copy") &&
		g "$h" -o /dev/null -d "$h.again" 2>/dev/null; then
		ok "$h: a second wrap carries another ephemeral point and decrypts too"
	else
		ko "$h: a second wrap: the same PKESK or no decryption $(show)"
	fi
done

# ---- refusals ---------------------------------------------------------------------------------
# edit_key IN OUT WHAT: the key block IN with its (last) ECDH subkey edited: WHAT is offcurve
# (the point's last octet changed), compressed (04 -> 02), oid=HEX (same length), hash=N,
# cipher=N, kdfver=N; fingerprints follow the edit, so the edited key is still picked
cat > edit_key.py <<'EOF'
import sys
data = bytearray(open(sys.argv[1], 'rb').read())
what = sys.argv[3]
pos, found = 0, None
while pos < len(data):
    b = data[pos]
    if b & 0x40:
        tag, o = b & 0x3f, data[pos + 1]
        if o < 192:
            hl, ln = 2, o
        elif o < 224:
            hl, ln = 3, ((o - 192) << 8) + data[pos + 2] + 192
        else:
            hl, ln = 6, int.from_bytes(data[pos + 2:pos + 6], 'big')
    else:
        tag, lt = (b >> 2) & 0x0f, b & 3
        n = {0: 1, 1: 2, 2: 4}[lt]
        hl, ln = 1 + n, int.from_bytes(data[pos + 1:pos + 1 + n], 'big')
    body = pos + hl
    if tag == 14 and data[body] == 4 and data[body + 5] == 18:
        found = body
    pos = body + ln
assert found is not None, "no ECDH subkey"
oid = found + 6
p = oid + 1 + data[oid]
bits = int.from_bytes(data[p:p + 2], 'big')
point = p + 2
kdf = point + (bits + 7) // 8
key, _, val = what.partition('=')
if key == 'offcurve':
    data[kdf - 1] ^= 0x01
elif key == 'compressed':
    data[point] = 0x02
elif key == 'oid':
    new = bytes.fromhex(val)
    assert len(new) == data[oid]
    data[oid + 1:oid + 1 + len(new)] = new
elif key == 'kdfver':
    data[kdf + 1] = int(val)
elif key == 'hash':
    data[kdf + 2] = int(val)
elif key == 'cipher':
    data[kdf + 3] = int(val)
open(sys.argv[2], 'wb').write(data)
EOF
# refuse_edit NAME BASE WHAT STATUS PATTERN
refuse_edit() {
	local name=$1 base=$2 what=$3 st=$4 pat=$5
	if ! /usr/bin/python3 edit_key.py "$base.pub" "edit.$name" "$what"; then
		ko "$name: editing $base.pub failed"
		return
	fi
	pw aes256.post out rewrap "$(cat aes256.sk)" "edit.$name"
	refused "$st" && grep -q -- "$pat" pw.err && [ ! -s out ]
	check $? "$name: refused with $st ($(sed 's/.*\]: //' pw.err | head -c 140))"
}
refuse_edit p256-offcurve g-p256 offcurve OPGP_E_FORMAT 'point is not on NIST P-256'
refuse_edit bp384-offcurve g-bp384 offcurve OPGP_E_FORMAT 'point is not on brainpoolP384r1'
refuse_edit p521-offcurve r-p521 offcurve OPGP_E_FORMAT 'point is not on NIST P-521'
refuse_edit p256-compressed g-p256 compressed OPGP_E_FORMAT 'point is not 04 || 64 octets'
refuse_edit p384-secp384-as-secp224 g-p384 oid=2b81040021 OPGP_E_UNSUPPORTED 'curve OID 1.3.132.0.33 is not one of'
refuse_edit bp256-as-bp256t1 g-bp256 oid=2b2403030208010108 OPGP_E_UNSUPPORTED 'curve OID 1.3.36.3.3.2.8.1.1.8 is not one of'
refuse_edit p256-kdf-md5 g-p256 hash=1 OPGP_E_UNSUPPORTED 'KDF hash MD5 is forbidden'
refuse_edit p384-kdf-sha1 r-p384 hash=2 OPGP_E_UNSUPPORTED 'KDF hash SHA-1 is forbidden'
refuse_edit p256-kdf-sha224 g-p256 hash=11 OPGP_E_UNSUPPORTED 'KDF hash 11, KEK cipher 7'
refuse_edit p521-kek-twofish g-p521 cipher=10 OPGP_E_UNSUPPORTED 'KEK cipher 10'
refuse_edit bp512-kek-cast5 g-bp512 cipher=3 OPGP_E_UNSUPPORTED 'KEK cipher 3'
refuse_edit p256-kdf-version2 g-p256 kdfver=2 OPGP_E_UNSUPPORTED 'KDF parameters version 2'
# gpg's own ECDH key on secp256k1, a curve of neither RFC 6637 nor RFC 9580
if newkey k1 'K1 <k1@example.org>' ed25519 sign secp256k1; then
	g k1 --export "$(cat k1.fpr)" > k1.pub
	pw aes256.post out rewrap "$(cat aes256.sk)" k1.pub
	refused OPGP_E_UNSUPPORTED && grep -q 'curve OID 1.3.132.0.10 is not one of' pw.err
	check $? "gpg's secp256k1 ECDH subkey: refused ($(sed 's/.*\]: //' pw.err | head -c 120))"
else
	ko "gpg could not make a secp256k1 ECDH subkey"
fi

finish
