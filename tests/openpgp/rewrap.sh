#!/bin/bash
# tests/openpgp/rewrap.sh - milter/lists/openpgp.c against GnuPG: per-subscriber copies of list posts.
#
# Usage: tests/openpgp/rewrap.sh [PW-OPGP]
#
# Each party has its own GNUPGHOME under one temporary directory: the list (future-default:
# ed25519 + cv25519), a poster, and subscribers whose encryption subkeys are cv25519 (made with
# --quick-add-key, and by future-default), RSA 2048, RSA 3072, two subkeys at once (cv25519
# then RSA 2048), an RSA 2048 primary key that encrypts itself, a sign-only key, and one with
# an ECDH subkey on secp256k1 (a curve of neither RFC 6637 nor RFC 9580; the curves they name
# are tests/openpgp/curves.sh).  No subscriber holds the list's secret key.  The poster encrypts
# posts to the list (plain, signed, armored, AES-128 forced and preferred, AES-192/256,
# Twofish, Camellia, 3DES, CAST5, two recipients, hidden recipient, 200 KB from a pipe with
# partial body lengths); the list decrypts each once with --show-session-key; pw-opgp rewrap
# builds one copy per subscriber (the subscriber's exported public key block, the session
# key) and each subscriber's gpg must decrypt it to the original, verify the poster's
# signature where there is one, and list exactly one PKESK with the subscriber's subkey ID
# followed by the post's data packet byte for byte; the copy must not decrypt in another
# subscriber's home nor in the list's.  Then the refusals: key blocks without a usable key
# (OPGP_E_NOKEY, OPGP_E_UNSUPPORTED), bad session keys, bad armor, posts cut short (must be
# refused with a message), octets changed and random data (refused or accepted, never a
# crash), bogus huge lengths, the OPGP_MAX_PACKETS limit; and pw-opgp mutate, which runs the
# parsers in-process on every prefix and every one-octet change of a post, on every prefix
# of its armor and on every prefix and ~5 changes per octet of three key blocks.
#
# PW-OPGP defaults to $PW_OPGP, then tests/openpgp/pw-opgp under the top directory; when
# that is missing it is built into the temporary directory with ${CC:-cc} and $PW_CFLAGS
# (e.g. PW_CFLAGS="-g -fsanitize=address,undefined").  Sanitizer reports count as failures.
# gpg-agent runs with debug-quick-random (test keys only) so RSA keys generate fast.  Needs
# gpg 2.2+, gpgconf, openssl(1); no network.  Prints PASS/FAIL lines and ends with
# "N passed, M failed"; exit 1 on any failure.
# shellcheck source=tests/openpgp/lib.sh
. "$(dirname "$0")/lib.sh"
opgp_tmp pw-opgp

# ---- the tool -----------------------------------------------------------------------------
opgp_tool "${1:-}"
command -v gpg >/dev/null && command -v gpgconf >/dev/null || { ko "gpg not installed"; finish; }
cd "$tmp" || exit 1

# ---- homes and keys -----------------------------------------------------------------------
keys_ok=0
newkey list 'List <list@example.org>' future-default default &&
newkey poster 'Poster <poster@example.org>' future-default default &&
newkey s-cv 'Carol <carol@example.org>' ed25519 sign cv25519 &&
newkey s-fd 'Fred <fred@example.org>' future-default default &&
newkey s-r2 'Rita <rita@example.org>' ed25519 sign rsa2048 &&
newkey s-r3 'Ralf <ralf@example.org>' ed25519 sign rsa3072 &&
newkey s-two 'Tom <tom@example.org>' ed25519 sign cv25519 rsa2048 &&
newkey s-rp 'Paul <paul@example.org>' rsa2048 sign,encr &&
newkey s-sign 'Sam <sam@example.org>' ed25519 sign &&
newkey s-k1 'Nina <nina@example.org>' ed25519 sign secp256k1 || keys_ok=1
check $keys_ok "gpg generated the list, poster and subscriber keys (ed25519/cv25519, rsa2048, rsa3072)"
[ $keys_ok -eq 0 ] || finish
LIST=$(prim_fpr list)
POSTER=$(prim_fpr poster)
LIST_ENC=$(enc_fprs list | tail -1)
subs="s-cv s-fd s-r2 s-r3 s-two s-rp"
for h in $subs s-sign s-k1; do
	g "$h" --export "$(prim_fpr "$h")" > "$h.pub"
	g poster --export "$POSTER" | g "$h" --import 2>/dev/null
done
g list --export "$LIST" | g poster --import 2>/dev/null
held=0
for h in $subs; do
	g "$h" --list-secret-keys "$LIST" >/dev/null 2>&1 && held=1
done
check $held "no subscriber home holds the list's secret key"

# ---- posts --------------------------------------------------------------------------------
cat > plain.txt <<'EOF'
Subject: encrypted list test

Hello list.  This post was encrypted to the list's key once and re-wrapped for
each subscriber: one new PKESK, the same encrypted data packet.
Umlauts survive too: Grüße.
EOF
# ~200 KB, sent through a pipe without compression, so gpg uses partial body lengths
for i in $(seq 1 2500); do
	printf 'Line %05d of the long post, padded to about eighty octets with filler text.\n' "$i"
done > big.txt

# post NAME SIGNED CIPHER-ID INPUT GPG-OPTIONS...: encrypt in the poster's home
posts=""
post() {
	local name=$1 signed=$2 cipher=$3 input=$4
	shift 4
	if [ "$input" = pipe ]; then
		g poster -e "$@" < big.txt > "$name.post" 2>/dev/null
	else
		g poster -e -o "$name.post" "$@" plain.txt 2>/dev/null
	fi || { ko "gpg encrypts post $name"; return; }
	echo "$signed $cipher $([ "$input" = pipe ] && echo big.txt || echo plain.txt)" > "$name.info"
	posts="$posts $name"
}
post plain no 9 file -r "$LIST"
post signed yes 9 file -s -u "$POSTER" -r "$LIST"
post armor yes 9 file -a -s -u "$POSTER" -r "$LIST"
post aes128 yes 7 file -s -u "$POSTER" --cipher-algo AES -r "$LIST"
post aes128pref no 7 file --personal-cipher-preferences 'AES AES256' -r "$LIST"
post aes192 no 8 file --cipher-algo AES192 -r "$LIST"
post aes256 yes 9 file -s -u "$POSTER" --cipher-algo AES256 -r "$LIST"
post twofish no 10 file --cipher-algo TWOFISH -r "$LIST"
post camellia no 11 file --cipher-algo CAMELLIA128 -r "$LIST"
post 3des no 2 file --cipher-algo 3DES -r "$LIST"
post cast5 no 3 file --cipher-algo CAST5 -r "$LIST"
post multi yes 9 file -s -u "$POSTER" -r "$LIST" -r "$POSTER"
post hidden no 9 file --throw-keyids -r "$LIST"
post big yes 9 pipe -s -u "$POSTER" --compress-algo none -r "$LIST"

# the list decrypts each post once, exporting the session key; split checks its packets
for p in $posts; do
	read -r signed cipher src < "$p.info"
	g list --show-session-key --status-file "$p.lst" -o "$p.out" -d "$p.post" 2>/dev/null
	sk=$(awk '$2 == "SESSION_KEY" { print $3 }' "$p.lst")
	echo "$sk" > "$p.sk"
	if cmp -s "$p.out" "$src" && [ "${sk%%:*}" = "$cipher" ]; then
		ok "post $p: the list decrypts it, session key algorithm $cipher"
	else
		ko "post $p: list decryption or session key '${sk:0:4}...' (want $cipher:)"
	fi
	if [ "$p" = armor ]; then
		g list --dearmor < "$p.post" > "$p.bin"
	else
		cp "$p.post" "$p.bin"
	fi
	pw "$p.post" "$p.split" split
	want_n=1
	want_id=${LIST_ENC: -16}
	[ "$p" = multi ] && want_n=2
	[ "$p" = hidden ] && want_id=0000000000000000
	if [ "$rc" -eq 0 ] && grep -qx "n_pkesk $want_n" "$p.split" &&
		grep -qx "pkesk_keyid $want_id" "$p.split" && grep -qx 'data_tag 18' "$p.split"; then
		ok "post $p: split finds $want_n PKESK(s), keyid $want_id, SEIPD"
	else
		ko "post $p: split: $(tr '\n' ' ' < "$p.split") $(show)"
	fi
done
if g list --list-packets big.post 2>/dev/null | grep -A1 ':encrypted data packet:' |
	grep -q 'length: unknown'; then
	ok "post big: its data packet uses partial body lengths"
else
	ko "post big: expected partial body lengths in its data packet"
fi

# ---- one copy per subscriber ---------------------------------------------------------------
# verify_copy POST HOME SUBKEY-FPR COPY OTHER-HOME LABEL: the subscriber's gpg checks the copy
verify_copy() {
	local p=$1 h=$2 sfpr=$3 copy=$4 other=$5 signed cipher src n ids dlen
	local t=$6
	read -r signed cipher src < "$p.info"
	rm -f "$copy.out"
	if g "$h" --status-file "$copy.st" -o "$copy.out" -d "$copy" 2>/dev/null &&
		cmp -s "$copy.out" "$src" && grep -q '^\[GNUPG:\] DECRYPTION_OKAY' "$copy.st" &&
		grep -q '^\[GNUPG:\] GOODMDC' "$copy.st"; then
		ok "$t: gpg decrypts the copy to the original"
	else
		ko "$t: gpg does not decrypt the copy"
	fi
	if [ "$signed" = yes ]; then
		if grep -q "^\[GNUPG:\] GOODSIG ${POSTER: -16} " "$copy.st" &&
			grep -q "^\[GNUPG:\] VALIDSIG .*$POSTER" "$copy.st"; then
			ok "$t: the poster's signature verifies"
		else
			ko "$t: the poster's signature does not verify"
		fi
	fi
	g "$h" --list-packets "$copy" > "$copy.pk" 2>/dev/null
	n=$(grep -c '^:pubkey enc packet:' "$copy.pk")
	ids=$(sed -n 's/^:pubkey enc packet: .*keyid \([0-9A-F]*\).*/\1/p' "$copy.pk")
	"$PW" split "$copy" > "$copy.split" 2>/dev/null
	dlen=$(awk '$1 == "data_len" { print $2 }' "$copy.split")
	if [ "${copy%.asc}" != "$copy" ]; then
		g "$h" --dearmor < "$copy" > "$copy.bin" 2>/dev/null
	else
		cp "$copy" "$copy.bin"
	fi
	if [ "$n" -eq 1 ] && [ "$ids" = "${sfpr: -16}" ] && [ -n "$dlen" ] &&
		grep -qx 'n_pkesk 1' "$copy.split" && grep -qx "data_len $dlen" "$p.split" &&
		cmp -s <(tail -c "$dlen" "$copy.bin") <(tail -c "$dlen" "$p.bin"); then
		ok "$t: one PKESK, keyid ${sfpr: -16}, then the post's data packet unchanged"
	else
		ko "$t: packets: $n PKESK(s), keyid(s) '$ids', want ${sfpr: -16}, data_len '$dlen'"
	fi
	if ! g "$other" -o /dev/null -d "$copy" 2>/dev/null &&
		! g list -o /dev/null -d "$copy" 2>/dev/null; then
		ok "$t: the copy does not decrypt for $other nor for the list"
	else
		ko "$t: the copy decrypts for $other or for the list"
	fi
}

# rewrap POST HOME SUBKEY-FPR OTHER-HOME [FPR-ARG] [-a]
rewrap() {
	local p=$1 h=$2 sfpr=$3 other=$4 fpr_arg=${5:-} armor=${6:-} copy
	copy=$p.$h${fpr_arg:+.fpr}${armor:+.asc}
	# shellcheck disable=SC2086
	pw "$p.post" "$copy" rewrap $armor "$(cat "$p.sk")" "$h.pub" $fpr_arg
	if [ "$rc" -ne 0 ] || ! sane; then
		ko "$p for $h: pw-opgp rewrap: $(show)"
		return
	fi
	verify_copy "$p" "$h" "$sfpr" "$copy" "$other" \
		"$p for $h${fpr_arg:+ (subkey by fingerprint)}${armor:+ (armored copy)}"
}

CV=$(enc_fprs s-cv)
FD=$(enc_fprs s-fd)
R2=$(enc_fprs s-r2)
R3=$(enc_fprs s-r3)
TWO_CV=$(enc_fprs s-two | head -1)
TWO_RSA=$(enc_fprs s-two | tail -1)
RP=$(enc_fprs s-rp)
[ "$RP" = "$(prim_fpr s-rp)" ]
check $? "s-rp: gpg made its RSA primary key encryption-capable"
for p in $posts; do
	rewrap "$p" s-cv "$CV" s-r2
	rewrap "$p" s-r2 "$R2" s-r3
	rewrap "$p" s-r3 "$R3" s-cv
done
rewrap signed s-fd "$FD" s-cv
rewrap armor s-cv "$CV" s-fd "" -a
rewrap armor s-r3 "$R3" s-fd "$R3" -a
rewrap signed s-two "$TWO_RSA" s-cv
rewrap signed s-two "$TWO_CV" s-cv "$TWO_CV"
rewrap aes128 s-two "$TWO_RSA" s-cv "$TWO_RSA"
rewrap signed s-rp "$RP" s-r2
rewrap signed s-cv "$CV" s-two "$CV"
# the key the tool picks, compared with gpg's listing
pw /dev/null key.out key s-two.pub
grep -qx "fpr $TWO_RSA" key.out
check $? "s-two without a fingerprint: the last encryption subkey (RSA) is chosen"
pw /dev/null key.out key s-cv.pub
grep -qx "fpr $CV" key.out && grep -qx 'algo 18' key.out && grep -qx 'kdf_hash 8' key.out &&
	grep -qx 'kdf_cipher 7' key.out
check $? "s-cv: cv25519 subkey found with KDF SHA-256 / AES-128"
pw /dev/null key.out key s-r3.pub
grep -qx "fpr $R3" key.out && grep -qx 'bits 3072' key.out
check $? "s-r3: RSA 3072 subkey found"

# ---- armor ---------------------------------------------------------------------------------
pw signed.post signed.asc armor
g list --dearmor < signed.asc 2>/dev/null | cmp -s - signed.post && [ "$rc" -eq 0 ]
check $? "armor: gpg --dearmor reads pw-opgp's armor back to the same octets (CRC-24 accepted)"
pw armor.post armor.bin2 dearmor
cmp -s armor.bin2 armor.bin && [ "$rc" -eq 0 ]
check $? "dearmor: the same octets as gpg --dearmor"
{ echo 'Some mail text before the block.'; echo; sed 's/^-----BEGIN PGP MESSAGE-----$/&\nComment: a header line/' armor.post; echo 'trailer'; } |
	sed 's/$/\r/' > armor.crlf
pw armor.crlf armor.bin3 dearmor
cmp -s armor.bin3 armor.bin && [ "$rc" -eq 0 ]
check $? "dearmor: CRLF lines, text around the block, an armor header"
grep -v '^=' armor.post > armor.nocrc
pw armor.nocrc armor.bin4 dearmor
cmp -s armor.bin4 armor.bin && [ "$rc" -eq 0 ]
check $? "dearmor: a block without the CRC line"
# the CRC line's first base64 digit replaced by another (rotating letters alone left a CRC
# of digits, + and / as it was: about 1 run in 800 failed)
awk '/^=/ { c = substr($0, 2, 1); $0 = "=" (c == "A" ? "B" : "A") substr($0, 3) } { print }' \
	armor.post > armor.badcrc
! cmp -s armor.post armor.badcrc
check $? "dearmor: the CRC line of the bad-CRC case differs"
pw armor.badcrc out dearmor
refused OPGP_E_FORMAT
check $? "dearmor: a wrong CRC-24 is refused"
grep -v '^-----END' armor.post > armor.noend
pw armor.noend out rewrap "$(cat armor.sk)" s-cv.pub
refused OPGP_E_FORMAT
check $? "rewrap: armor without its END line is refused"
sed '3s/./*/' armor.post > armor.badchar
pw armor.badchar out dearmor
refused OPGP_E_FORMAT
check $? "dearmor: a character outside base64 is refused"

# ---- keys that cannot be used -------------------------------------------------------------
pw signed.post out rewrap "$(cat signed.sk)" s-sign.pub
refused OPGP_E_NOKEY && [ ! -s out ]
check $? "sign-only key block: OPGP_E_NOKEY, nothing written ($(head -c 120 pw.err))"
pw signed.post out rewrap "$(cat signed.sk)" s-r2.pub "$(prim_fpr s-r2)"
refused OPGP_E_NOKEY
check $? "fingerprint of a signing key: OPGP_E_NOKEY"
pw signed.post out rewrap "$(cat signed.sk)" s-r2.pub 0123456789ABCDEF0123456789ABCDEF01234567
refused OPGP_E_NOKEY
check $? "fingerprint not in the key block: OPGP_E_NOKEY"
pw signed.post out rewrap "$(cat signed.sk)" s-k1.pub "$(enc_fprs s-k1)"
refused OPGP_E_UNSUPPORTED && grep -q 'curve OID 1.3.132.0.10 is not one of' pw.err
check $? "ECDH subkey on secp256k1: OPGP_E_UNSUPPORTED, the OID named"
pw signed.post out rewrap "$(cat signed.sk)" s-k1.pub
refused OPGP_E_UNSUPPORTED
check $? "only a secp256k1 encryption subkey, no fingerprint given: OPGP_E_UNSUPPORTED"
: > empty
pw signed.post out rewrap "$(cat signed.sk)" empty
refused OPGP_E_FORMAT
check $? "empty key block refused"
g s-cv --export-secret-keys "$(prim_fpr s-cv)" > s-cv.sec
pw s-cv.sec key.out key s-cv.sec
refused OPGP_E_NOKEY
check $? "a secret key block is not read as public keys: OPGP_E_NOKEY"

# ---- session keys --------------------------------------------------------------------------
sk=$(cat signed.sk)
bad_sks=("" "9" "9:" "9:${sk:2:62}" "9:${sk:2}00" "7:${sk:2}" "99:${sk:2}" "9:${sk:2:63}x"
	"9:${sk:2}:x" "x:${sk:2}" "0:${sk:2}" "1234:${sk:2}" "9 :${sk:2}")
bad=0
for s in "${bad_sks[@]}"; do
	pw signed.post out rewrap "$s" s-cv.pub
	refused || { bad=1; echo "  session key '$s': $(show)"; }
done
check $bad "${#bad_sks[@]} malformed session keys refused"
echo "$sk" > sk.file
pw signed.post sk.copy rewrap @sk.file s-cv.pub
[ "$rc" -eq 0 ] && g s-cv -o /dev/null -d sk.copy 2>/dev/null
check $? "session key from a file (@FILE, trailing newline)"

# ---- malformed posts -----------------------------------------------------------------------
# cut the signed post: at every offset through its PKESK and the data packet's header, then
# every 9th; each cut must be refused with a message (pw-opgp mutate below tries them all)
size=$(wc -c < signed.post)
bad=0
n=0
for ((i = 0; i < size; i += (i < 160 ? 1 : 9))); do
	head -c "$i" signed.post > cut.post
	pw cut.post out rewrap "$sk" s-cv.pub
	n=$((n + 1))
	refused OPGP_E_FORMAT || { bad=1; echo "  cut at $i: $(show)"; }
done
check $bad "signed post ($size octets) cut at $n offsets: all refused with a message"
# the long post: cuts spread over it, inside chunks and at chunk headers
size=$(wc -c < big.post)
bad=0
n=0
for i in 0 1 2 3 500 511 512 513 514 515 $(seq 777 6151 "$size") $((size - 3)) $((size - 2)) $((size - 1)); do
	[ "$i" -lt "$size" ] || continue
	head -c "$i" big.post > cut.post
	pw cut.post out rewrap "$(cat big.sk)" s-cv.pub
	n=$((n + 1))
	refused OPGP_E_FORMAT || { bad=1; echo "  big cut at $i: $(show)"; }
done
check $bad "long post (partial lengths) cut at $n offsets: all refused with a message"
# flip_byte FILE OFFSET VALUE > OUT
flip_byte() {
	head -c "$2" "$1"
	# shellcheck disable=SC2059
	printf "\\$(printf %03o "$3")"
	tail -c +"$(($2 + 2))" "$1"
}
# the first 40 octets changed three ways, through the command line: refused or accepted
bad=0
n=0
for ((i = 0; i < 40; i++)); do
	orig=$(od -An -tu1 -j "$i" -N1 signed.post | tr -d ' ')
	for v in $((orig ^ 255)) $((orig ^ 1)) 255; do
		[ "$v" -eq "$orig" ] && continue
		flip_byte signed.post "$i" "$v" > flip
		pw flip out rewrap "$sk" s-cv.pub
		n=$((n + 1))
		sane || { bad=1; echo "  flip at $i to $v: $(show)"; }
	done
done
check $bad "signed post with $n single-octet changes in its first 40 octets: no crash"
# in-process: every prefix and every one-octet change of the post, its armor, three key blocks
for kb in s-cv s-r3 s-two; do
	pw /dev/null mutate.out mutate "$sk" "$kb.pub" signed.post
	if [ "$rc" -eq 0 ] && sane && [ ! -s pw.err ] &&
		awk '$1 == "post-cuts" && $2 == $4 { c++ }
		     $1 == "armor-cuts" && $4 >= $2 - 1 { a++ }
		     $1 == "post-changes" || $1 == "key-cuts" || $1 == "key-changes" { o++ }
		     END { exit !(c == 1 && a == 1 && o == 3) }' mutate.out; then
		ok "mutate with $kb: $(tr '\n' ',' < mutate.out | sed 's/,$//;s/,/, /g')"
	else
		ko "mutate with $kb: $(tr '\n' ' ' < mutate.out) $(show)"
	fi
done
# random data (deterministic), as post and as key block
# prng N SEED - N pseudo-random octets
prng() {
	head -c "$1" /dev/zero | openssl enc -aes-128-ctr -nosalt -K "$(printf '%032x' "$2")" \
		-iv 00000000000000000000000000000000 2>/dev/null
}
bad=0
for n in 1 2 3 17 100 4096 65536; do
	for seed in 1 2 3; do
		prng "$n" "$seed" > rnd
		pw rnd out rewrap "$sk" s-cv.pub
		refused || { bad=1; echo "  random post $n/$seed: $(show)"; }
		pw signed.post out rewrap "$sk" rnd
		refused || { bad=1; echo "  random key block $n/$seed: $(show)"; }
		{ printf '\xc1'; cat rnd; } > rnd1
		pw rnd1 out rewrap "$sk" s-cv.pub
		refused || { bad=1; echo "  PKESK tag + random $n/$seed: $(show)"; }
	done
done
check $bad "random data as post, as key block and after a PKESK tag: refused cleanly"
pw empty out rewrap "$sk" s-cv.pub
refused OPGP_E_FORMAT
check $? "empty post refused"
pw empty out split
refused OPGP_E_FORMAT
check $? "empty post refused by split"

# bogus lengths: bogus NAME OCTETS-AS-PRINTF-FORMAT [nopad]; else 64 zero octets follow
bogus() {
	# shellcheck disable=SC2059
	printf "$2" > bogus
	[ "${3:-}" = nopad ] || head -c 64 /dev/zero >> bogus
	pw bogus out rewrap "$sk" s-cv.pub
	refused OPGP_E_FORMAT
	check $? "$1: refused ($(sed 's/.*\]: //' pw.err | head -c 90))"
}
bogus "PKESK claiming 4 GB (new format)" '\xc1\xff\xff\xff\xff\xff'
bogus "PKESK claiming 4 GB (old format)" '\x86\xff\xff\xff\xff'
bogus "data packet claiming 4 GB" '\xd2\xff\xff\xff\xff\xf0\x01'
bogus "data packet with a 1 GB partial chunk" '\xd2\xfe\x01'
bogus "partial length on a PKESK" '\xc1\xe9\x03'
bogus "old-format 4-octet length truncated" '\x86\x00\x00' nopad
bogus "old-format PKESK of length 0" '\x86\x00\x00\x00\x00'
bogus "reserved tag 0" '\xc0\x01\x00'
bogus "literal data instead of encrypted data" '\xcb\x05b\x00\x00\x00\x00'
bogus "data packet whose partial chain never ends" "\\xd2\\xe0\\x01$(printf '\\xe0\\x01%.0s' $(seq 1 200))" nopad
# a partial chain of 30000 one-octet chunks that does end: accepted, linear work
{
	printf '\xd2\xe0\x01'
	for ((i = 0; i < 30000; i += 1000)); do
		printf '\xe0\x01%.0s' $(seq 1 1000)
	done
	printf '\x00'
} > chain
pw chain out split
[ "$rc" -eq 0 ] && grep -qx 'data_tag 18' out
check $? "data packet of 30001 one-octet chunks split (length chain walked to its end)"

# ---- the packet limit (OPGP_MAX_PACKETS 4096) ------------------------------------------------
data=$(awk '$1 == "data_off" { print $2 }' signed.split)
markers() { local i; for ((i = 0; i < $1; i += 100)); do printf '\xca\x03PGP%.0s' $(seq 1 100); done; }
{ markers 4000; tail -c +"$((data + 1))" signed.post; } > many
pw many out split
[ "$rc" -eq 0 ] && grep -qx 'n_pkesk 0' out
check $? "4000 marker packets before the data: accepted"
{ markers 4100; tail -c +"$((data + 1))" signed.post; } > toomany
pw toomany out split
refused OPGP_E_FORMAT && grep -q 'more than 4096 packets' pw.err
check $? "4100 marker packets before the data: refused at OPGP_MAX_PACKETS"
{ cat s-cv.pub; for ((i = 0; i < 4200; i += 100)); do printf '\xcd\x01u%.0s' $(seq 1 100); done; } > manyuid
pw signed.post out rewrap "$sk" manyuid
refused OPGP_E_FORMAT && grep -q 'more than 4096 packets' pw.err
check $? "key block with 4200 extra user IDs: refused at OPGP_MAX_PACKETS"

finish
