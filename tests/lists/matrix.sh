#!/bin/bash
# tests/lists/matrix.sh - the encrypted lists' interop matrix, end to end through postward
# (driven by miltertest, tests/lists/post.lua; copies re-injected into tests/lists/holdsink.py).
#
# Subscribers: one key per (tool, algorithm) cell, each made by its tool in a home of its own:
#   gpg  RSA 2048, Curve25519, NIST P-256/384/521, brainpoolP256r1/384r1/512r1
#   rnp  the same eight (rnpkeys --expert)
#   sq   RSA 3072 and Curve25519 (the only suites sq 0.27 generates), and NIST P-256/384/521
#        keys that gpg makes and sq is given as a key file (Sequoia users with smartcard
#        keys; sq's Nettle backend has no brainpool); sq 0.27 keeps no keyring: its home is a
#        directory with the key file and the posters' and the list's certificates
# Posters: one per tool, each a subscriber too (gpg: its NIST P-256 key, rnp: its RSA key, sq:
# its Curve25519 key), posting a PGP/MIME post its own tool signed and encrypted to the list.
#
# A cell (poster tool -> subscriber tool/algorithm) passes when the subscriber got exactly one
# copy of the post, the copy has exactly one PKESK (counted by gpg --list-packets), for the
# subscriber's encryption subkey, the subscriber's own tool, in the subscriber's own home,
# decrypts it to the post's text and verifies a good signature - the poster's, or on the list
# attestation path (posts whose signature cannot travel) the list key's with the post's text
# inside - and postward re-wrapped the post's session key (every algorithm here is one OpenSSL
# has: the gpg fallback is for keys the re-wrap cannot serve).  One line per cell,
#   matrix: POSTER -> TOOL/ALGO: ok (...) | FAIL (reason) | expected failure (known gap: ...)
# then a table (rows: subscriber cells, columns: posters) and the counts.
#
# EXPECT_FAIL names the cells whose support is not in the tree yet: they run like the others
# and, failing with the entry's symptom, count as known gaps, not as passes; failing otherwise
# they count as failures, and passing they are reported as "now works: remove from
# EXPECT_FAIL" and count as failures too, so the table cannot go stale.
# Env: POSTWARD.
# Ends with "N passed, M failed".

# ---- the cells whose support is not in the tree yet ------------------------------------------
# "CELLS|SYMPTOM|reason": CELLS a glob on "POSTER -> TOOL/ALGO", SYMPTOM an extended regular
# expression the cell's failure must match (a known-gap cell failing otherwise is a FAIL); a
# cell matching several entries needs each of them, its failure may show any one's symptom
EXPECT_FAIL=(
)

# shellcheck source=tests/openpgp/lib.sh
. "$(dirname "$0")/../openpgp/lib.sh"
opgp_tmp pw-matrix
POSTWARD=${POSTWARD:-$top/milter/postward}
PY=/usr/bin/python3
gaps=0
pid=""
sink=""
# stop_all - postward and the SMTP sink (lib.sh runs it at exit)
stop_all() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$sink" ] && kill "$sink" 2>/dev/null && wait "$sink" 2>/dev/null
}
opgp_atexit=stop_all
# report - the known gaps, postward's log when anything failed, then the counts (lib.sh)
report() {
	[ "$failed" -eq 0 ] || { echo "--- postward log"; tail -40 "$tmp/pw.log" 2>/dev/null; }
	echo "$gaps known gaps (expected failures, counted apart from passes)"
	finish
}
for t in gpg gpgconf rnp rnpkeys sq miltertest; do
	command -v "$t" > /dev/null || { ko "$t not installed (tests/install-deps)"; report; }
done
GPG_ALGOS="rsa2048 cv25519 nistp256 nistp384 nistp521 brainpoolP256r1 brainpoolP384r1 brainpoolP512r1"
RNP_ALGOS="$GPG_ALGOS"
SQ_ALGOS="rsa3k cv25519 nistp256 nistp384 nistp521"
CELLS=""
for a in $GPG_ALGOS; do CELLS="$CELLS gpg/$a"; done
for a in $RNP_ALGOS; do CELLS="$CELLS rnp/$a"; done
for a in $SQ_ALGOS; do CELLS="$CELLS sq/$a"; done
POSTERS="gpg sq rnp"
declare -A POSTER_CELL=([gpg]=gpg/nistp256 [rnp]=rnp/rsa2048 [sq]=sq/cv25519)
cd "$tmp" || exit 1

# home CELL - the home directory of a cell in $tmp (gpg/nistp256 -> gpg-nistp256); addr CELL -
# its address
home() { echo "${1/\//-}"; }
addr() { local a=${1/\//-}; echo "${a,,}@example.net"; }

# ---- keys: each made by its own tool in its own home ---------------------------------------
# mkkey CELL - make the cell's key and write its public key to CELL's home/pub.pgp
mkkey() {
	local tool=${1%%/*} algo=${1#*/} h u fpr sign choice
	h=$(home "$1")
	u=$(addr "$1")
	case $tool in
	gpg)
		mkhome "$h" || return 1
		sign=$algo
		[ "$algo" = cv25519 ] && sign=ed25519
		g "$h" --quick-gen-key "Cell $1 <$u>" "$sign" sign 0 &&
			fpr=$(g "$h" --with-colons --list-keys "$u" | awk -F: '/^fpr/ { print $10; exit }') &&
			g "$h" --quick-add-key "$fpr" "$algo" encr 0 &&
			g "$h" --export "$u" > "$h/pub.pgp"
		;;
	rnp)
		mkdir -m 700 "$h" || return 1
		# rnpkeys --expert menu: 19 ECDSA + ECDH (then the curve), 22 EdDSA + X25519
		case $algo in
		rsa2048) choice="" ;;
		cv25519) choice="22" ;;
		nistp256) choice="19 1" ;;
		nistp384) choice="19 2" ;;
		nistp521) choice="19 3" ;;
		brainpoolP256r1) choice="19 4" ;;
		brainpoolP384r1) choice="19 5" ;;
		brainpoolP512r1) choice="19 6" ;;
		*) return 1 ;;
		esac
		if [ -z "$choice" ]; then
			rnpkeys --homedir "$h" --generate-key --userid "Cell $1 <$u>" --password '' < /dev/null
		else
			printf '%s\n' $choice | rnpkeys --homedir "$h" --generate-key --expert \
				--userid "Cell $1 <$u>" --password ''
		fi && rnpkeys --homedir "$h" --export-key --output "$h/pub.pgp" "$u"
		;;
	sq)
		mkdir -m 700 "$h" || return 1
		case $algo in
		nistp*)	# sq 0.27 cannot generate these: gpg makes the key, sq gets it as a file
			mkhome "$h.gpg" &&
				g "$h.gpg" --quick-gen-key "Cell $1 <$u>" "$algo" sign 0 &&
				fpr=$(g "$h.gpg" --with-colons --list-keys "$u" | awk -F: '/^fpr/ { print $10; exit }') &&
				g "$h.gpg" --quick-add-key "$fpr" "$algo" encr 0 &&
				g "$h.gpg" --export-secret-keys "$u" > "$h/key.pgp" &&
				sq key extract-cert --output "$h/pub.pgp" "$h/key.pgp"
			;;
		*)
			sq key generate --cipher-suite "$algo" --cannot-authenticate --userid "Cell $1 <$u>" \
				--export "$h/key.pgp" && sq key extract-cert --output "$h/pub.pgp" "$h/key.pgp"
			;;
		esac
		;;
	esac
}
# the list's key, in postward's home
mkhome pw && mkhome scratch || { ko "GnuPG homes"; report; }
: > keys.log
{
	g pw --quick-gen-key "Matrix <matrix@lists.test>" ed25519 sign 0 &&
	LIST=$(g pw --with-colons --list-keys matrix@lists.test | awk -F: '/^fpr/ { print $10; exit }') &&
	g pw --quick-add-key "$LIST" cv25519 encr 0 &&
	g pw --export "$LIST" > list.pgp
} >> keys.log 2>&1 || { ko "the list's key: $(tail -3 keys.log)"; report; }
made=""
for c in $CELLS; do
	if mkkey "$c" >> keys.log 2>&1 && [ -s "$(home "$c")/pub.pgp" ] &&
		g pw --import "$(home "$c")/pub.pgp" >> keys.log 2>&1; then
		made="$made $c"
	else
		ko "key for $c: $(tail -2 keys.log | tr '\n' ' ')"
	fi
done
# FPR[cell]: the primary key's fingerprint; SUBID[cell]: the encryption subkey's key ID;
# KEYIDS[cell]: the key IDs of the primary and every subkey (as postward's keyring sees them)
declare -A FPR SUBID KEYIDS
for c in $made; do
	g pw --with-colons --list-keys "<$(addr "$c")>" > colons.out 2>/dev/null
	FPR[$c]=$(awk -F: '/^fpr/ { print $10; exit }' colons.out)
	SUBID[$c]=$(awk -F: '$1 == "sub" && $12 ~ /e/ { print $5; exit }' colons.out)
	KEYIDS[$c]=$(awk -F: '$1 == "pub" || $1 == "sub" { print $5 }' colons.out | tr '\n' ' ')
done
KEYIDS[list]=$(g pw --with-colons --list-keys "$LIST" | awk -F: '$1 == "pub" || $1 == "sub" { print $5 }' | tr '\n' ' ')
# each home gets the posters' public keys and the list's (a copy signed by the list)
for c in $made; do
	h=$(home "$c")
	for p in $POSTERS; do
		pc=${POSTER_CELL[$p]}
		# a gpg or rnp poster's home has its own key already
		[ "$pc" = "$c" ] && [ "${c%%/*}" != sq ] && continue
		case ${c%%/*} in
		gpg) g "$h" --import "$(home "$pc")/pub.pgp" ;;
		rnp) rnpkeys --homedir "$h" --import "$(home "$pc")/pub.pgp" ;;
		sq) cp "$(home "$pc")/pub.pgp" "$h/poster-$p.pgp" ;;
		esac
	done >> keys.log 2>&1
	case ${c%%/*} in
	gpg) g "$h" --import list.pgp ;;
	rnp) rnpkeys --homedir "$h" --import list.pgp ;;
	sq) cp list.pgp "$h/list.pgp" ;;
	esac >> keys.log 2>&1
done
n_made=$(echo $made | wc -w)
n_cells=$(echo $CELLS | wc -w)
[ "$n_made" -eq "$n_cells" ] && ok "keys: $n_made subscriber keys, each made by its own tool in its own home" ||
	ko "keys: $n_made of $n_cells made"
for p in $POSTERS; do
	[ -n "${FPR[${POSTER_CELL[$p]}]:-}" ] || { ko "the $p poster's key (${POSTER_CELL[$p]}) is missing"; report; }
done

# ---- the list, postward, the SMTP server ---------------------------------------------------
mkdir lists box spool
{
	echo "list matrix@lists.test"
	echo "from_rewrite never"
	echo "owner owner@example.org"
	echo "bounce matrix-bounces@lists.test"
	echo "openpgp_key $LIST"
	echo "list_id Interop matrix"
	for c in $made; do echo "subscriber $(addr "$c") openpgp=${FPR[$c]}"; done
} > lists/matrix.list
# postward's configuration; the SMTP server's port is added once it listens
printf '%s\n' "sender_practices =" "list_directory = $tmp/lists" "gnupg_home = $tmp/pw" \
	"list_spool_directory = $tmp/spool" "list_workers = 2" > pw.conf
"$PY" "$here/holdsink.py" "$tmp/ready" "box=$tmp/box" > sink.log 2>&1 &
sink=$!
for _ in $(seq 600); do [ -s ready ] && break; kill -0 "$sink" 2>/dev/null || break; sleep 0.05; done
port=$(awk '$1 == "box" { print $2 }' ready 2>/dev/null)
[ -n "$port" ] || { ko "SMTP sink started: $(tail -3 sink.log)"; report; }
echo "list_reinject = 127.0.0.1:$port" >> pw.conf
"$POSTWARD" -f -c pw.conf -p "unix:$tmp/pw.sock" 2> pw.log &
pid=$!
for _ in $(seq 200); do grep -q "listening on" pw.log && break; sleep 0.05; done
grep -q "listening on" pw.log || { ko "postward started: $(tail -5 pw.log)"; report; }

# ---- the posts: one per poster tool, signed and encrypted to the list's key by that tool ----
secret="matrix text $RANDOM$RANDOM"
printf 'Content-Type: text/plain; charset=us-ascii\n\n%s\n' "$secret" > inner.txt
pgpmime() {	# pgpmime ARMORFILE FROM SUBJECT > message
	printf 'From: <%s>\nTo: matrix@lists.test\nSubject: %s\nMessage-ID: <%s.%s@example.net>\nMIME-Version: 1.0\n' \
		"$2" "$3" "$RANDOM" "$RANDOM"
	printf 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\n boundary="=-=b1=-="\n\n'
	printf 'This is an OpenPGP/MIME encrypted message (RFC 3156).\n--=-=b1=-=\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n'
	printf -- '--=-=b1=-=\nContent-Type: application/octet-stream; name="encrypted.asc"\n\n'
	cat "$1"
	printf -- '--=-=b1=-=--\n'
}
encrypt_as() {	# encrypt_as POSTER OUT: the poster's tool signs and encrypts inner.txt to the list
	local pc=${POSTER_CELL[$1]} h
	h=$(home "$pc")
	case $1 in
	gpg) g "$h" --armor -s -e -r "$LIST" -u "${FPR[$pc]}" -o "$2" inner.txt ;;
	rnp) rnp --homedir "$h" -e -s -r "$LIST" -u "${FPR[$pc]}" --password '' --armor \
		--overwrite --output "$2" inner.txt ;;
	sq) sq encrypt --recipient-cert list.pgp --signer-key "$h/key.pgp" --output "$2" inner.txt ;;
	esac
}
# the posters' homes need the list's key to encrypt to it (done above for every home)
send() {	# send NAME MSGFILE SENDER -> out-NAME
	timeout 120 miltertest -D sock="unix:$tmp/pw.sock" -D msgfile="$tmp/$2" -D qid="Q$1" \
		-D sender="<$3>" -D rcpts="<matrix@lists.test>" -s "$here/post.lua" > "out-$1" 2>&1
}
for p in $POSTERS; do
	pc=${POSTER_CELL[$p]}
	if encrypt_as "$p" "post-$p.asc" > "enc-$p.log" 2>&1 && grep -q "BEGIN PGP MESSAGE" "post-$p.asc"; then
		pgpmime "post-$p.asc" "$(addr "$pc")" "matrix post from $p" > "post-$p.eml"
		send "$p" "post-$p.eml" "$(addr "$pc")"
		grep -q "^EOM discard$" "out-$p" && ok "the $p post (signed by $pc) accepted: the pool delivers it" ||
			ko "the $p post: $(tr '\n' '|' < "out-$p") $(grep "Q$p:" pw.log | tail -2 | tr '\n' '|')"
	else
		ko "$p cannot make the post: $(tail -3 "enc-$p.log" | tr '\n' ' ')"
	fi
done
# bounded wait until the pool has finished: each accepted post logged as done, no job left
posted=$(grep -l "^EOM discard$" out-* 2>/dev/null | wc -l)
for _ in $(seq 3000); do
	[ "$(grep -c "^postward.*: Q[a-z]*: list matrix@lists.test: post .* done: " pw.log)" -ge "$posted" ] &&
		! ls spool/*.job > /dev/null 2>&1 && break
	sleep 0.1
done
ls spool/*.job > /dev/null 2>&1 && ko "posts still in the spool after 300 s"

# ---- each cell ------------------------------------------------------------------------------
# copies POSTER ADDR: the stored messages to ADDR that carry the poster's post
copies() {
	grep -l "^rcpt: .*<$2>" box/*.meta 2>/dev/null | sed 's/\.meta$/.eml/' |
		xargs -r grep -l "^Subject: matrix post from $1" 2>/dev/null
}
# text_in FILE: the post's text is in FILE, or in one of its MIME parts (transfer encoding
# undone), or in the literal data of an OpenPGP message inside it (an attested copy that
# carries the original signed message), unpacked by gpg in an empty home
text_in() {
	grep -qF "$secret" "$1" && return 0
	"$PY" - "$1" "$1.parts" <<'EOF' 2>/dev/null
import email, email.policy, os, sys
msg = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.compat32)
os.makedirs(sys.argv[2], exist_ok=True)
for i, part in enumerate(msg.walk()):
    if not part.is_multipart():
        open(os.path.join(sys.argv[2], str(i)), "wb").write(part.get_payload(decode=True) or b"")
EOF
	local f
	for f in "$1.parts"/* "$1"; do
		[ -f "$f" ] || continue
		grep -qF "$secret" "$f" && return 0
		g scratch --decrypt "$f" 2>/dev/null | grep -qF "$secret" && return 0
	done
	return 1
}
# signed_parts OUT DIR: split a decrypted attestation (multipart/signed, RFC 3156) into
# DIR/content (the signed octets) and DIR/sig.asc; false when OUT is not one
signed_parts() {
	"$PY" - "$1" "$2" <<'EOF' 2>/dev/null
import os, re, sys
raw = open(sys.argv[1], 'rb').read()
head, _, body = raw.partition(b'\r\n\r\n')
m = re.search(rb'multipart/signed;.*?boundary="([^"]+)"', head, re.S | re.I)
if not m or b'application/pgp-signature' not in head:
    sys.exit(1)
b = m.group(1)
rest = body[body.index(b'--' + b + b'\r\n') + len(b) + 4:]
content, _, sigpart = rest.partition(b'\r\n--' + b + b'\r\n')
sig = sigpart[sigpart.index(b'-----BEGIN PGP SIGNATURE-----'):]
sig = sig[:sig.index(b'-----END PGP SIGNATURE-----') + 27] + b'\n'
os.makedirs(sys.argv[2], exist_ok=True)
open(os.path.join(sys.argv[2], 'content'), 'wb').write(content)
open(os.path.join(sys.argv[2], 'sig.asc'), 'wb').write(sig)
EOF
}
# attested TOOL HOME OUT: OUT (a decrypted copy) is the list's attestation and TOOL, in HOME,
# finds a good detached signature by the list key on it
attested() {
	local d=$3.signed
	signed_parts "$3" "$d" || return 1
	case $1 in
	gpg)
		g "$2" --status-file "$d/status" --verify "$d/sig.asc" "$d/content" > /dev/null 2>&1 &&
			awk '$2 == "VALIDSIG" { print $NF }' "$d/status" | grep -qx "$LIST" ;;
	rnp)
		rnp --homedir "$2" --verify "$d/sig.asc" --source "$d/content" > "$d/log" 2>&1 &&
			grep -q "Signature(s) verified successfully" "$d/log" || return 1
		local id k
		id=$(sed -n 's/^using .* key \([0-9a-fA-F]\{16\}\)$/\1/p' "$d/log" | head -1)
		for k in ${KEYIDS[list]}; do [ "${id^^}" = "$k" ] && return 0; done
		return 1 ;;
	sq)
		sq verify --signer-cert "$2/list.pgp" --detached "$d/sig.asc" "$d/content" \
			> "$d/log" 2>&1 && grep -q "good signature" "$d/log" ;;
	esac
}
# opens CELL POSTER COPY: the cell's own tool, in its own home, decrypts COPY and verifies a
# good signature by the poster (or by the list, with the post's text inside); sets why/how
opens() {
	local tool=${1%%/*} h out=$3.out pf=${FPR[${POSTER_CELL[$2]}]} signer=""
	h=$(home "$1")
	case $tool in
	gpg)
		g "$h" --status-file "$3.status" --output "$out" --decrypt "$3" > "$3.log" 2>&1
		grep -q "^\[GNUPG:\] DECRYPTION_OKAY" "$3.status" ||
			{ why="gpg cannot decrypt: $(grep -v '^gpg: encrypted\|^ ' "$3.log" | tail -2 | tr '\n' ' ')"; return 1; }
		grep -q "^\[GNUPG:\] BADSIG" "$3.status" && { why="gpg: bad signature"; return 1; }
		case " $(awk '$2 == "VALIDSIG" { print $NF }' "$3.status" | tr '\n' ' ') " in
		*" $pf "*) signer=poster ;;
		*" $LIST "*) signer=list ;;
		esac
		[ -n "$signer" ] || ! attested gpg "$h" "$out" || signer=list
		;;
	rnp)
		rnp --homedir "$h" -d --password '' --overwrite --output "$out" "$3" > "$3.log" 2>&1 ||
			{ why="rnp: $(grep -iv '^$' "$3.log" | tail -2 | tr '\n' ' ')"; return 1; }
		if attested rnp "$h" "$out"; then
			signer=list
		else
			grep -q "Signature(s) verified successfully" "$3.log" && ! grep -qi "bad signature\|invalid signature" "$3.log" ||
				{ why="rnp: no good signature: $(grep -i 'signature' "$3.log" | tail -2 | tr '\n' ' ')"; return 1; }
			# rnp names the signing key (a subkey for sq's keys) by its key ID
			local id k
			id=$(sed -n 's/^using .* key \([0-9a-fA-F]\{16\}\)$/\1/p' "$3.log" | head -1)
			for k in ${KEYIDS[${POSTER_CELL[$2]}]}; do [ "${id^^}" = "$k" ] && signer=poster; done
			for k in ${KEYIDS[list]}; do [ "${id^^}" = "$k" ] && signer=list; done
		fi
		;;
	sq)
		# sq decrypt fails unless a signature by the given certificate is good
		if [ -f "$h/poster-$2.pgp" ] && sq --force decrypt --recipient-key "$h/key.pgp" \
			--signer-cert "$h/poster-$2.pgp" --output "$out" "$3" > "$3.log" 2>&1 &&
			grep -q "good signature" "$3.log"; then
			signer=poster
		elif sq --force decrypt --recipient-key "$h/key.pgp" --signer-cert "$h/list.pgp" \
			--output "$out" "$3" > "$3.list.log" 2>&1 && grep -q "good signature" "$3.list.log"; then
			signer=list
		elif sq --force decrypt --recipient-key "$h/key.pgp" --output "$out" "$3" \
			> "$3.plain.log" 2>&1 && attested sq "$h" "$out"; then
			signer=list
		else
			why="sq: $(grep -i 'bad signature\|^Error' "$3.log" | head -2 | sed 's/^ *//' | tr '\n' ' ')"
			return 1
		fi
		;;
	esac
	[ -n "$signer" ] || { why="$tool: no good signature by the poster or the list"; return 1; }
	text_in "$out" || { why="$tool: the post's text is not in the decrypted copy"; return 1; }
	how="$tool decrypts, $([ "$signer" = poster ] && echo "the poster's signature good" || echo "the list's attestation good")"
	return 0
}
# check_cell POSTER CELL: sets why (on failure) or how (on success)
check_cell() {
	local a f n pk kid
	a=$(addr "$2")
	why=""
	how=""
	f=$(copies "$1" "$a")
	n=$(printf '%s\n' "$f" | grep -c .)
	if [ "$n" -ne 1 ]; then
		why="$n copies of the post"
		[ "$n" -eq 0 ] && why="no copy (log: $(grep "Q$1: .*<$a>" pw.log | tail -1 | sed 's/^[^:]*: //'))"
		return 1
	fi
	local c=$tmp/copy-$1-${2/\//-}
	tr -d '\r' < "$f" | sed -n '/^-----BEGIN PGP MESSAGE-----/,/^-----END PGP MESSAGE-----/p' > "$c.asc"
	[ -s "$c.asc" ] || { why="no OpenPGP message in the copy"; return 1; }
	grep -qF "$secret" "$f" && { why="the post's text is in the copy in clear"; return 1; }
	g scratch --list-packets "$c.asc" > "$c.packets" 2>&1
	pk=$(grep -c "^:pubkey enc packet:" "$c.packets")
	kid=$(sed -n 's/^:pubkey enc packet: .* keyid \([0-9A-Fa-f]*\).*/\1/p' "$c.packets" | head -1)
	[ "$pk" -eq 1 ] || { why="$pk PKESKs in the copy"; return 1; }
	[ "${kid^^}" = "${SUBID[$2]}" ] || { why="the PKESK is for $kid, not the subscriber's subkey ${SUBID[$2]}"; return 1; }
	opens "$2" "$1" "$c.asc" || return 1
	# every algorithm here is one OpenSSL has: the post's session key is re-wrapped, gpg
	# encrypts only copies for keys the re-wrap cannot serve (postward(8))
	if grep -q "Q$1: list matrix@lists.test: copy for <$a> encrypted by gpg" pw.log; then
		why="$how, but gpg encrypted the copy, the session key was not re-wrapped"
		return 1
	fi
	how="$how; the session key re-wrapped"
	return 0
}
# expected CELLNAME: the EXPECT_FAIL reasons for "POSTER -> TOOL/ALGO" ("; " between), or nothing
# symptom CELLNAME WHY: WHY shows the symptom of one of the cell's EXPECT_FAIL entries
expected() {
	local e r=""
	for e in "${EXPECT_FAIL[@]}"; do
		# shellcheck disable=SC2053
		[[ $1 == ${e%%|*} ]] && r="${r:+$r; }${e##*|}"
	done
	echo "$r"
}
symptom() {
	local e sym
	for e in "${EXPECT_FAIL[@]}"; do
		sym=${e#*|}
		sym=${sym%%|*}
		# shellcheck disable=SC2053
		[[ $1 == ${e%%|*} ]] && printf '%s\n' "$2" | grep -Eq -- "$sym" && return 0
	done
	return 1
}
declare -A RESULT
# record WORD COUNTER TEXT - the cell $p,$c: WORD in the table, COUNTER counted, its line
record() {
	RESULT[$p,$c]=$1
	eval "$2=\$(($2 + 1))"
	echo "matrix: $p -> $c: $3"
}
for p in $POSTERS; do
	for c in $CELLS; do
		name="$p -> $c"
		gap=$(expected "$name")
		if [ -z "${FPR[$c]:-}" ]; then
			why="no key"
			res=1
		else
			check_cell "$p" "$c"
			res=$?
		fi
		if [ -n "$gap" ] && [ "$res" -eq 0 ]; then
			record NOW failed "now works: remove from EXPECT_FAIL ($how)"
		elif [ -n "$gap" ] && symptom "$name" "$why"; then
			record gap gaps "expected failure (known gap: $gap) [$why]"
		elif [ -n "$gap" ]; then
			record FAIL failed "FAIL, not the known gap's symptom ($why; known gap: $gap)"
		elif [ "$res" -eq 0 ]; then
			record ok passed "ok ($how)"
		else
			record FAIL failed "FAIL ($why)"
		fi
	done
done

# ---- the summary table ---------------------------------------------------------------------
echo
printf '%-22s' "subscriber \\ poster"
for p in $POSTERS; do printf ' %-6s' "$p"; done
echo
for c in $CELLS; do
	printf '%-22s' "$c"
	for p in $POSTERS; do printf ' %-6s' "${RESULT[$p,$c]}"; done
	echo
done
echo "(ok: passed; FAIL: failed; gap: known gap (EXPECT_FAIL); NOW: known gap that passes, a failure)"
echo

kill "$pid"; wait "$pid"; st=$?; pid=""
[ "$st" -eq 0 ] && ok "postward stopped cleanly (sanitizers quiet)" || ko "postward exit status $st"
report
