#!/bin/bash
# tests/openpgp/unwrap.sh - a post's SEIPD version 1 data opened in process with its known
# session key (opgp_open, milter/lists/openpgp-open.c; pw-opgp unwrap), against gpg --unwrap.
#
# Usage: tests/openpgp/unwrap.sh [PW-OPGP]
#
# A list key (ed25519 + cv25519) in a gpg home of its own; the poster's gpg signs and
# encrypts posts to it (SEIPD version 1 with an MDC): AES-256 (gpg's default here), AES-128,
# AES-192, Camellia-256, uncompressed (-z 0), a 300 KB post (partial body lengths, several
# chunks), unsigned, binary and armored.  For each, the list's gpg names the session key
# (--show-session-key) and
#  - pw-opgp unwrap gives, byte for byte, what gpg --unwrap gives in the list's home;
#  - refused, with nothing written: one octet of the encrypted data changed in the middle (the
#    MDC, OPGP_E_FORMAT), the MDC's own octets changed (the last octet), a session key off by
#    one bit (the quick check, OPGP_E_FORMAT), a key of the wrong length;
#  - left to gpg (OPGP_E_UNSUPPORTED): 3DES and CAST5 data (8-octet blocks).
# Ends with "N passed, M failed".
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/openpgp/lib.sh
. "$here/lib.sh"
opgp_tmp pw-unwrap
opgp_tool "${1:-}"
cd "$tmp" || exit 1

newkey list "List <list@lists.example>" ed25519 sign cv25519 || { ko "list key"; finish; }
newkey poster "Poster <poster@example.org>" ed25519 sign cv25519 || { ko "poster key"; finish; }
g list --export "$(prim_fpr list)" > list.pub && g poster --import list.pub 2>/dev/null &&
	g poster --export "$(prim_fpr poster)" > poster.pub && g list --import poster.pub 2>/dev/null ||
	{ ko "key exchange"; finish; }
LIST=$(prim_fpr list)
POSTER=$(prim_fpr poster)
printf 'Content-Type: text/plain\n\nthe plan, line %s\n' $(seq 40) > small.txt
/usr/bin/python3 -c 'import random; random.seed(7); print("\n".join("".join(random.choice("abcdefghij klmnop") for _ in range(70)) for _ in range(4300)))' > big.txt

# sk POST: the session key of POST as the list's gpg gives it ("ALGO:HEX")
sk() { g list --show-session-key --decrypt "$1" 2>&1 >/dev/null | sed -n 's/^gpg: session key: .\([0-9]*:[0-9A-F]*\).$/\1/p' | head -1; }

# post NAME INPUT GPG-OPTIONS...: the poster's post to the list
post() {
	local name=$1 in=$2
	shift 2
	g poster "$@" -r "$LIST" -o "$name.pgp" "$in" 2>/dev/null
}
post aes256 small.txt -s -u "$POSTER" -e
post aes128 small.txt -s -u "$POSTER" -e --cipher-algo AES128
post aes192 small.txt -s -u "$POSTER" -e --cipher-algo AES192
post camellia small.txt -s -u "$POSTER" -e --cipher-algo CAMELLIA256
post plain small.txt -s -u "$POSTER" -e -z 0
post big big.txt -s -u "$POSTER" -e
post unsigned small.txt -e
post armored small.txt -s -u "$POSTER" -e -a
for p in aes256 aes128 aes192 camellia plain big unsigned armored; do
	key=$(sk "$p.pgp")
	echo "$key" > "$p.sk"
	if [ -z "$key" ]; then ko "$p: gpg names the session key"; continue; fi
	g list --unwrap -o "$p.gpg-inner" "$p.pgp" 2>/dev/null || { ko "$p: gpg --unwrap"; continue; }
	pw "$p.pgp" "$p.inner" unwrap "@$p.sk"
	if [ "$rc" -eq 0 ] && sane && cmp -s "$p.gpg-inner" "$p.inner" && [ -s "$p.inner" ]; then
		ok "$p (session key ${key%%:*}:...): pw-opgp unwrap gives what gpg --unwrap gives ($(wc -c < "$p.inner") octets)"
	else
		ko "$p: pw-opgp unwrap differs from gpg --unwrap: $(show) $(cmp "$p.gpg-inner" "$p.inner" 2>&1)"
	fi
done
# the big post really has partial body lengths (a new-format length octet 224..254)
/usr/bin/python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
off = 0
while off < len(b):
    h = b[off]
    if h & 0x80 == 0: sys.exit(1)
    if h & 0x40 == 0:                   # old format: the length type in the low bits
        t, lt = (h >> 2) & 0x0f, h & 3
        if lt == 3: sys.exit(1)
        n = (1, 2, 4)[lt]
        off += 1 + n + int.from_bytes(b[off + 1:off + 1 + n], "big")
        continue
    t, l0 = h & 0x3f, b[off + 1]
    if t == 18: sys.exit(0 if 224 <= l0 < 255 else 1)
    if l0 < 192: off += 2 + l0
    elif l0 < 224: off += 3 + ((l0 - 192) << 8) + b[off + 2] + 192
    elif l0 == 255: off += 6 + int.from_bytes(b[off + 2:off + 6], "big")
    else: sys.exit(1)
sys.exit(1)' big.pgp
check $? "the 300 KB post's SEIPD packet has partial body lengths"

# damage DST OFFSET-FROM-END|mid: a copy of aes256.pgp with one octet XORed with 1
damage() {
	/usr/bin/python3 -c '
import sys
b = bytearray(open("aes256.pgp", "rb").read())
i = len(b) // 2 + 40 if sys.argv[2] == "mid" else len(b) - int(sys.argv[2])
b[i] ^= 1
open(sys.argv[1], "wb").write(b)' "$1" "$2"
}
damage mid.pgp mid
pw mid.pgp mid.inner unwrap @aes256.sk
refused OPGP_E_FORMAT && [ ! -s mid.inner ] && ok "an octet changed in the encrypted data: refused (MDC), nothing written" ||
	ko "changed data: $(show)"
damage last.pgp 1
pw last.pgp last.inner unwrap @aes256.sk
refused OPGP_E_FORMAT && [ ! -s last.inner ] && ok "the MDC's last octet changed: refused, nothing written" ||
	ko "changed MDC: $(show)"
key=$(cat aes256.sk)
last=${key: -1}
flip=$(printf '%X' $((0x$last ^ 1)))
echo "${key%?}$flip" > wrong.sk
pw aes256.pgp wrong.inner unwrap @wrong.sk
refused OPGP_E_FORMAT && [ ! -s wrong.inner ] && ok "a session key off by one bit: refused, nothing written" ||
	ko "wrong key: $(show)"
echo "${key%??}" > short.sk
pw aes256.pgp short.inner unwrap @short.sk
refused && [ ! -s short.inner ] && ok "a session key one octet short: refused" || ko "short key: $(show)"
for c in 3DES CAST5; do
	post "old-$c" small.txt -e --cipher-algo "$c" --allow-old-cipher-algos 2>/dev/null ||
		post "old-$c" small.txt -e --cipher-algo "$c"
	[ -s "old-$c.pgp" ] || { ko "$c post made by gpg"; continue; }
	sk "old-$c.pgp" > "old-$c.sk"
	pw "old-$c.pgp" "old-$c.inner" unwrap "@old-$c.sk"
	refused OPGP_E_UNSUPPORTED && ok "$c data: left to gpg (OPGP_E_UNSUPPORTED)" || ko "$c: $(show)"
done
finish
