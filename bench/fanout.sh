#!/bin/bash
# bench/fanout.sh - the crypto of an encrypted list's fan-out: postward's re-wrap (one decrypt,
# one bulk key fetch, one PKESK per subscriber) against one gpg process per subscriber, one run.
#
# usage: bench/fanout.sh [SUBSCRIBERS]          (default 1000)
#
# Makes, in one temporary directory (mktemp -d; removed on exit, every gpg-agent started
# here stopped first): postward's GnuPG home with a list key (ed25519/cv25519), a poster's
# home, and SUBSCRIBERS Curve25519 subscriber keys (primary ed25519, encryption subkey
# cv25519) whose public halves end up in postward's home, the way a list's keys arrive there
# (imported; see "Keys" in bench/README for how, and why not generated in place).  The poster
# signs and encrypts a post (BENCH_POST_KB KB of text in a MIME entity) to the list key and
# wraps it as PGP/MIME.  Then, one after the other:
#   postward  bench/pw-fanout (built here with -O2 from milter/lists/pgp.c, openpgp.c, listpost.c,
#             openpgp-armor.c, openpgp-wrap.c, listpost-mime.c, listpost-copy.c, fanout.c, copies.c,
#             smime.c, smime-readdress.c) does what milter/lists/pool.c run_openpgp() does for the
#             post, less the SMTP sending: (a) decrypt once (gpgme, session key exported), (b) fetch
#             all subscriber keys with pgp.c's key cache empty (two gpg runs: a list's first post)
#             and again from the cache (later posts), (c) build every subscriber's copy (PKESK + the
#             post's encrypted data + armor + MIME) through copies.c and fanout.c, for each thread
#             count in BENCH_THREADS; ROUNDS rounds, the median of each phase counts;
#   gpg       one `gpg --batch --trust-model always --armor -e -r FPR` process per
#             subscriber encrypting the decrypted content, in postward's home: sequentially
#             (xargs -P1), then two at a time (xargs -P2); the faster of the two is the
#             gpg approach's time;
# checks that the copies of three subscribers (first, middle, last; from the build with the
# last BENCH_THREADS value, 2 threads by default) decrypt with real gpg in those subscribers'
# own homes to the poster's text with a good signature by the poster, carry exactly one PKESK
# and do not decrypt in another subscriber's home; and, with BENCH_BIG=1 (the default), adds
# subscribers up to BENCH_BIG_N (10000) and runs postward's part again for the "10,000 copies
# in under 2 s" figure.
#
# Output: a header (CPUs, load, versions, what 2 threads of X25519 get, sizes), postward's
# lines (pw-fanout, with the attestation path's: one unwrap, one list signature, one
# encryption, then the same build over the new data; the summary gives its time a
# subscriber against the re-wrap's), the gpg lines, the checks, the big run, a summary
# with two speedups,
#   "speedup, first post: X" = the gpg approach's time / postward's decrypt and keys (cache
#       empty: a list's first post, or the first after a keyring change; run at once, as
#       pool.c does) + build, and as
#   the LAST line "speedup: X" (two decimals) = the gpg approach's time / postward's
#       decrypt + keys (from the cache: a list's later posts) + build,
#   both for SUBSCRIBERS subscribers and the build with the last BENCH_THREADS value (by
#   default one thread per CPU, as list_build_threads = 0 does).
# Exit 1, without a speedup line, when anything fails.
#
# Environment:
#   BENCH_SUBSCRIBERS  like the argument (default 1000)
#   BENCH_THREADS      build thread counts for pw-fanout, comma-separated (default 1,CPUS)
#   BENCH_ROUNDS       postward rounds, median counted (default 3)
#   BENCH_POST_KB      size of the post's text in KB (default 4)
#   BENCH_BIG          1: also the 10,000-subscriber build (default 1), 0: skip it
#   BENCH_BIG_N        subscribers of the big run (default 10000)
#   BENCH_JOBS         parallel key-generation jobs (default: the CPU count)
#   BENCH_CHUNK        keys generated per job (default 500; keybox inserts cost O(size))
#   BENCH_CFLAGS       compiler flags for pw-fanout (default -O2; CC is honoured)
#   BENCH_KEEP=1       keep the temporary directory (homes, post, copies, logs)
#
# Needs gpg 2.2+ and gpgconf, a C compiler, pkg-config with gpgme (or gpgme-config) and
# libcrypto, xargs, od.  No network.  Not part of the test suite.
# shellcheck disable=SC2015  # "A && B || die" is meant
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

N=${1:-${BENCH_SUBSCRIBERS:-1000}}
THREADS=${BENCH_THREADS:-}
ROUNDS=${BENCH_ROUNDS:-3}
POST_KB=${BENCH_POST_KB:-4}
BIG=${BENCH_BIG:-1}
BIG_N=${BENCH_BIG_N:-10000}
CPUS=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
JOBS=${BENCH_JOBS:-$CPUS}
if [ -z "$THREADS" ]; then THREADS=1; [ "$CPUS" -gt 1 ] && THREADS=1,$CPUS; fi
CHUNK=${BENCH_CHUNK:-500}
KEEP=${BENCH_KEEP:-0}

die() { echo "fanout.sh: $*" >&2; exit 1; }
case "$N$ROUNDS$POST_KB$BIG_N$JOBS$CHUNK" in *[!0-9]*) die "numbers expected";; esac
[ "$N" -ge 3 ] || die "at least 3 subscribers"
case "$THREADS" in '' | *[!0-9,]*) die "BENCH_THREADS: e.g. 1,2";; esac
for t in gpg gpgconf xargs od pkg-config "${CC:-cc}"; do
	command -v "$t" >/dev/null || die "$t is not installed"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pw-fanout.XXXXXX") || exit 1
G=$tmp/g			# every GnuPG home lives under here, so cleanup finds them all
mkdir -p "$G" "$tmp/chunks" "$tmp/copies"

# cleanup - stop the gpg-agents of every home made here, remove the directory
cleanup() {
	local h
	for h in "$G"/*/; do
		[ -d "$h" ] && GNUPGHOME=${h%/} gpgconf --kill all >/dev/null 2>&1
	done
	if [ "$KEEP" = 1 ]; then
		echo "fanout.sh: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# g HOME ARGS... - gpg in home G/HOME, never prompting
g() {
	local h=$1
	shift
	gpg --homedir "$G/$h" --batch --no-tty --quiet --pinentry-mode loopback --passphrase '' "$@"
}
# mkhome NAME - a new GnuPG home; gpg-agent makes test keys with quick (weak) randomness
mkhome() {
	mkdir -m 700 "$G/$1" || return 1
	echo debug-quick-random > "$G/$1/gpg-agent.conf"	# test keys only
}
# ms START END - nanoseconds to milliseconds, two decimals
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e6 }'; }
now() { date +%s%N; }

# ---- build pw-fanout ---------------------------------------------------------------------
# pgp.c includes "build-config.h".  The tree's own (configure's output) is used when there is
# one; in a fresh clone an empty stand-in is made: pgp.c, openpgp.c and listpost.c use none
# of its macros (it only holds package names and HAVE_*_H), so running configure - with all
# of postward's build dependencies - just for this would buy nothing.
if [ -f "$top/build-config.h" ]; then
	inc=$top
	incwhat="$top/build-config.h"
else
	inc=$tmp/include
	mkdir -p "$inc"
	echo "/* bench/fanout.sh: empty stand-in, the tree is not configured */" > "$inc/build-config.h"
	incwhat="empty stand-in (tree not configured)"
fi
if pkg-config --exists gpgme 2>/dev/null; then
	gpgme_flags=$(pkg-config --cflags --libs gpgme)
	gpgme_version=$(pkg-config --modversion gpgme)
elif command -v gpgme-config >/dev/null; then
	gpgme_flags="$(gpgme-config --cflags) $(gpgme-config --libs)"
	gpgme_version=$(gpgme-config --version)
else
	die "gpgme not found (libgpgme-dev)"
fi
PW=$tmp/pw-fanout
# shellcheck disable=SC2046,SC2086
${CC:-cc} ${BENCH_CFLAGS:--O2} -std=c11 -D_DEFAULT_SOURCE -I"$inc" -I"$top/milter" -I"$top/policy" \
	"$top/milter/lists/pgp.c" "$top/milter/lists/openpgp.c" "$top/milter/lists/listpost.c" \
	"$top/milter/lists/openpgp-armor.c" "$top/milter/lists/openpgp-wrap.c" \
	"$top/milter/lists/listpost-mime.c" "$top/milter/lists/listpost-copy.c" \
	"$top/milter/lists/smime-readdress.c" \
	"$top/milter/lists/fanout.c" "$top/milter/lists/copies.c" "$top/milter/lists/smime.c" \
	"$top/milter/lists/attest.c" "$top/milter/lists/openpgp-seipd.c" \
	"$here/pw-fanout.c" $(pkg-config --cflags --libs libcrypto) $gpgme_flags -lpthread -lz \
	-o "$PW" 2>"$tmp/cc.log" || { cat "$tmp/cc.log" >&2; die "cannot build pw-fanout"; }

# ---- header --------------------------------------------------------------------------------
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
echo "fanout.sh: $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(uname -n)"
echo "cpus: $CPUS${cpu:+ ($cpu)}; load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "gpg $(gpg --version | awk 'NR == 1 { print $3 }'), libgcrypt $(gpg --version |
	awk '$1 == "libgcrypt" { print $2 }'), gpgme $gpgme_version, $(pkg-config --modversion libcrypto |
	sed 's/^/OpenSSL /')"
echo "pw-fanout: ${CC:-cc} ${BENCH_CFLAGS:--O2}, build-config.h: $incwhat"
[ "$CPUS" -gt 1 ] && "$PW" -S "$CPUS"
echo "subscribers: $N (Curve25519); post text ${POST_KB} KB; postward build threads $THREADS," \
	"$ROUNDS rounds (median); big run: $([ "$BIG" = 1 ] && echo "$BIG_N subscribers" || echo off)"

# ---- keys --------------------------------------------------------------------------------
# gen_chunk C FIRST COUNT - subscribers FIRST..FIRST+COUNT-1: generated in home gC (one
# --generate-key run), exported, imported into home iC (what postward's home would hold);
# "INDEX ADDRESS FPR C" lines in chunks/C.subs; chunks/C.ok when all went well
gen_chunk() {
	local c=$1 first=$2 count=$3 k
	mkhome "g$c" && mkhome "i$c" || return 1
	for ((k = first; k < first + count; k++)); do
		printf 'Key-Type: eddsa\nKey-Curve: ed25519\nSubkey-Type: ecdh\nSubkey-Curve: cv25519\n'
		printf 'Name-Email: sub%d@bench.test\nExpire-Date: 0\n%%no-protection\n%%commit\n' "$k"
	done > "$tmp/chunks/$c.params"
	g "g$c" --generate-key "$tmp/chunks/$c.params" 2>"$tmp/chunks/$c.log" &&
		g "g$c" --export > "$tmp/chunks/$c.pub" &&
		g "i$c" --import "$tmp/chunks/$c.pub" 2>>"$tmp/chunks/$c.log" || return 1
	GNUPGHOME=$G/g$c gpgconf --kill gpg-agent >/dev/null 2>&1
	g "i$c" --with-colons --list-keys 2>>"$tmp/chunks/$c.log" | awk -F: -v c="$c" '
		$1 == "pub" { want = 1; f = "" }
		$1 == "fpr" && want { f = $10; want = 0 }
		$1 == "uid" && f != "" && match($10, /sub[0-9]+@bench\.test/) {
			e = substr($10, RSTART, RLENGTH)
			print substr(e, 4) + 0, e, f, c
			f = ""
		}' | sort -n > "$tmp/chunks/$c.subs"
	[ "$(wc -l < "$tmp/chunks/$c.subs")" -eq "$count" ] || return 1
	touch "$tmp/chunks/$c.ok"
}
# kbx_ok FILE - does FILE start with a keybox header blob (length 32, type 1, version 1,
# any flags, "KBXf")?
kbx_ok() {
	local h
	[ -f "$1" ] && h=$(od -An -tx1 -N12 "$1" | tr -d ' \n') &&
		[ "${h:0:12}" = 000000200101 ] && [ "${h:16:8}" = 4b425866 ]
}
# gen_subs FIRST COUNT - subscribers FIRST.. in chunks of CHUNK, JOBS at a time, then their
# public keys appended to postward's keybox; subs.all holds "INDEX ADDRESS FPR CHUNK" for all
# so far
nextchunk=0
gen_subs() {
	local first=$1 count=$2 c s n running=0 merged=0 t0
	local chunks=()
	t0=$(now)
	for ((s = first; s < first + count; s += CHUNK)); do
		n=$((first + count - s < CHUNK ? first + count - s : CHUNK))
		c=$nextchunk
		nextchunk=$((nextchunk + 1))
		chunks+=("$c")
		gen_chunk "$c" "$s" "$n" &
		running=$((running + 1))
		if [ "$running" -ge "$JOBS" ]; then
			wait -n
			running=$((running - 1))
		fi
	done
	wait
	for c in "${chunks[@]}"; do
		[ -f "$tmp/chunks/$c.ok" ] || { tail -5 "$tmp/chunks/$c.log" >&2; die "key chunk $c failed"; }
	done
	# Append the imported keyboxes' key blobs to postward's (a keybox is a header blob and
	# then self-contained key blobs); a keybox insert copies the whole file, so importing
	# 10,000 keys into one home would take minutes.  Without keyboxes (keyboxd, a legacy
	# pubring.gpg), the exports are imported instead.
	if kbx_ok "$G/pw/pubring.kbx"; then
		merged=1
		for c in "${chunks[@]}"; do
			kbx_ok "$G/i$c/pubring.kbx" || merged=0
		done
	fi
	for c in "${chunks[@]}"; do
		if [ "$merged" = 1 ]; then
			tail -c +33 "$G/i$c/pubring.kbx" >> "$G/pw/pubring.kbx"
		else
			g pw --import "$tmp/chunks/$c.pub" 2>/dev/null || die "import of chunk $c failed"
		fi
		cat "$tmp/chunks/$c.subs" >> "$tmp/subs.all"
	done
	n=$(g pw --with-colons --list-keys 2>/dev/null | grep -c '^pub:')
	[ "$n" -eq $((first + count + 2)) ] ||
		die "postward's home holds $n keys, $((first + count + 2)) expected"
	echo "keygen: $count subscriber keys made in $(ms "$t0" "$(now)") ms" \
		"($(((count + CHUNK - 1) / CHUNK)) homes, $JOBS at a time), $([ "$merged" = 1 ] &&
		echo "keyboxes appended" || echo "imported") into postward's home ($n keys)"
}
# verify_home I - home vI with subscriber I's secret key (from its generating home) and the
# poster's public key
verify_home() {
	local i=$1 fpr c
	[ -d "$G/v$i" ] && return 0
	read -r fpr c < <(awk -v i="$i" '$1 == i { print $3, $4 }' "$tmp/subs.all")
	[ -n "$c" ] || die "no subscriber $i"
	mkhome "v$i" &&
		g "g$c" --export-secret-keys "$fpr" > "$tmp/v$i.sec" &&
		g "v$i" --import "$tmp/v$i.sec" 2>/dev/null &&
		g "v$i" --import "$tmp/poster.pub" 2>/dev/null || die "cannot make home v$i"
	GNUPGHOME=$G/g$c gpgconf --kill gpg-agent >/dev/null 2>&1
}

mkhome pw && mkhome poster || die "cannot make the homes"
g pw --quick-gen-key "List <list@bench.test>" future-default default 0 2>/dev/null ||
	die "cannot make the list key"
g poster --quick-gen-key "Poster <poster@bench.test>" ed25519 sign 0 2>/dev/null ||
	die "cannot make the poster's key"
LIST=$(g pw --with-colons --list-keys list@bench.test | awk -F: '$1 == "fpr" { print $10; exit }')
POSTER=$(g poster --with-colons --list-keys | awk -F: '$1 == "fpr" { print $10; exit }')
g pw --export "$LIST" > "$tmp/list.pub" && g poster --import "$tmp/list.pub" 2>/dev/null &&
	g poster --export "$POSTER" > "$tmp/poster.pub" && g pw --import "$tmp/poster.pub" 2>/dev/null ||
	die "cannot exchange the list's and the poster's keys"
: > "$tmp/subs.all"
gen_subs 0 "$N"

# ---- the post ----------------------------------------------------------------------------
{
	printf 'Content-Type: text/plain; charset=us-ascii\n\n'
	head -c $((POST_KB * 768)) /dev/urandom | base64 -w 76
} > "$tmp/inner.txt"
g poster --trust-model always --armor -s -e -r "$LIST" -u "$POSTER" -o "$tmp/post.asc" \
	"$tmp/inner.txt" || die "the poster cannot encrypt"
{
	printf 'From: Poster <poster@bench.test>\nTo: list@bench.test\nSubject: fan-out benchmark\n'
	printf 'Date: %s\nMessage-ID: <%s@bench.test>\nMIME-Version: 1.0\n' "$(date -R)" "$(now)"
	printf 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\n boundary="=-=b1=-="\n\n'
	printf 'This is an OpenPGP/MIME encrypted message (RFC 3156).\n--=-=b1=-=\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n'
	printf -- '--=-=b1=-=\nContent-Type: application/octet-stream; name="encrypted.asc"\n\n'
	cat "$tmp/post.asc"
	printf -- '--=-=b1=-=--\n'
} > "$tmp/post.eml"

# ---- postward ----------------------------------------------------------------------------
# run_pw COUNT OUT - pw-fanout for the first COUNT subscribers; copies of the first, middle
# and last one in copies/COUNT/
run_pw() {
	local count=$1 out=$2
	mkdir -p "$tmp/copies/$count"
	head -n "$count" "$tmp/subs.all" | awk '{ print $2, $3 }' > "$tmp/subs.$count"
	"$PW" -g "$G/pw" -p "$tmp/post.eml" -s "$tmp/subs.$count" -t "$THREADS" -r "$ROUNDS" \
		-P "$tmp/plain.$count" -o "$tmp/copies/$count" -v "0,$((count / 2)),$((count - 1))" \
		> "$out" 2>"$out.err" || { cat "$out" "$out.err" >&2; die "pw-fanout failed"; }
	sed 's/^/  /' "$out"
	cmp -s "$tmp/plain.$count" "$tmp/inner.txt" ||
		die "pw-fanout's decrypted content differs from the poster's text"
}
# field OUT LABEL - the median (ms) on pw-fanout's line starting with LABEL ("decrypt:",
# "keys:", "build T=1:"): the word after the label
field() { awk -v l="$2" 'index($0, l " ") == 1 { print $(split(l, w, " ") + 1); exit }' "$1"; }

echo "postward (pw-fanout, $N subscribers; times are medians of $ROUNDS rounds):"
run_pw "$N" "$tmp/pw.out"
pw_dec=$(field "$tmp/pw.out" decrypt:)
pw_keys=$(field "$tmp/pw.out" keys:)
pw_cached=$(field "$tmp/pw.out" keys-cached:)
pw_both=$(field "$tmp/pw.out" decrypt+keys:)
t1=${THREADS%%,*}
tn=${THREADS##*,}
pw_build=$(field "$tmp/pw.out" "build T=$t1:")
pw_buildn=$(field "$tmp/pw.out" "build T=$tn:")
[ -n "$pw_dec" ] && [ -n "$pw_keys" ] && [ -n "$pw_cached" ] && [ -n "$pw_both" ] && [ -n "$pw_build" ] &&
	[ -n "$pw_buildn" ] || die "cannot read pw-fanout's output"
pw_att=$(field "$tmp/pw.out" attest:)
pw_attb=$(field "$tmp/pw.out" "attest build T=$tn:")
[ -n "$pw_att" ] && [ -n "$pw_attb" ] || die "cannot read pw-fanout's attestation lines"
pw_total=$(awk -v a="$pw_both" -v c="$pw_buildn" 'BEGIN { printf "%.2f", a + c }')
pw_later=$(awk -v a="$pw_dec" -v b="$pw_cached" -v c="$pw_buildn" 'BEGIN { printf "%.2f", a + b + c }')

# ---- gpg, one process per subscriber -----------------------------------------------------
awk '{ print $2 }' "$tmp/subs.$N" > "$tmp/fprs.$N"
[ "$(grep -c '^[0-9A-F]\{40\}$' "$tmp/fprs.$N")" -eq "$N" ] || die "cannot list the fingerprints"
# gpg_each P - every subscriber's gpg -e, P at a time; prints the milliseconds
gpg_each() {
	local t0 t1
	t0=$(now)
	xargs -a "$tmp/fprs.$N" -I'{}' -P "$1" gpg --homedir "$G/pw" --batch --no-tty --quiet \
		--trust-model always --armor -e -r '{}' -o - "$tmp/plain.$N" > /dev/null ||
		die "a gpg -e failed"
	t1=$(now)
	ms "$t0" "$t1"
}
gpg_seq=$(gpg_each 1) || exit 1
gpg_par=$(gpg_each 2) || exit 1
gpg_best=$(awk -v s="$gpg_seq" -v p="$gpg_par" 'BEGIN { printf "%.2f", p < s ? p : s }')
echo "gpg (one process per subscriber, $N subscribers, encrypting the post's $(wc -c < "$tmp/plain.$N")-octet content):"
awk -v s="$gpg_seq" -v p="$gpg_par" -v n="$N" 'BEGIN {
	printf "  sequential (xargs -P1): %.2f ms, %.2f ms a subscriber\n", s, s / n
	printf "  2 parallel (xargs -P2): %.2f ms, %.2f ms a subscriber\n", p, p / n }'

# ---- checks with real gpg ----------------------------------------------------------------
# check_copy COUNT I OTHER - subscriber I's copy from the COUNT run decrypts in home vI (the
# poster's text, good signature by the poster, one PKESK) and not in home vOTHER
check_copy() {
	local count=$1 i=$2 other=$3 copy=$tmp/copies/$1/copy-$2.eml
	local a=$tmp/copies/$1/copy-$2.asc st=$tmp/copies/$1/status-$2
	[ -s "$copy" ] || die "no copy for subscriber $i"
	grep -q $'^List-Id: <list.bench.test>\r$' "$copy" &&
		grep -q '^Content-Type: multipart/encrypted' "$copy" ||
		die "copy for subscriber $i: List-Id or Content-Type missing"
	tr -d '\r' < "$copy" | sed -n '/^-----BEGIN PGP MESSAGE-----$/,/^-----END PGP MESSAGE-----$/p' > "$a"
	g "v$i" --status-fd 3 --decrypt -o "$a.out" "$a" 3>"$st" 2>/dev/null ||
		die "copy for subscriber $i does not decrypt in its home"
	cmp -s "$a.out" "$tmp/inner.txt" || die "copy for subscriber $i: wrong content"
	grep -q "^\[GNUPG:\] VALIDSIG .* $POSTER\$" "$st" && grep -q '^\[GNUPG:\] GOODSIG ' "$st" ||
		die "copy for subscriber $i: no good signature by the poster"
	[ "$(grep -c '^\[GNUPG:\] ENC_TO ' "$st")" -eq 1 ] || die "copy for subscriber $i: not one PKESK"
	if g "v$other" --decrypt -o /dev/null "$a" 2>/dev/null; then
		die "copy for subscriber $i decrypts in subscriber $other's home"
	fi
}
# check_run COUNT - the three saved copies of a run
check_run() {
	local count=$1 a=0 b=$(($1 / 2)) c=$(($1 - 1))
	verify_home "$a" && verify_home "$b" && verify_home "$c"
	check_copy "$count" "$a" "$b" && check_copy "$count" "$b" "$c" && check_copy "$count" "$c" "$a"
	echo "  checked with gpg: copies of subscribers $a, $b, $c ($count-subscriber run," \
		"${THREADS##*,}-thread build) decrypt in their own homes only, one PKESK each," \
		"poster's text, good signature by the poster"
}
echo "checks:"
check_run "$N"
# the gpg approach's output for subscriber 0 decrypts too (same command, to a file)
g pw --trust-model always --armor -e -r "$(head -1 "$tmp/fprs.$N")" -o "$tmp/gpg0.asc" "$tmp/plain.$N" &&
	g v0 --decrypt -o "$tmp/gpg0.out" "$tmp/gpg0.asc" 2>/dev/null && cmp -s "$tmp/gpg0.out" "$tmp/inner.txt" ||
	die "the gpg approach's copy for subscriber 0 does not decrypt"
echo "  checked with gpg: the gpg approach's copy for subscriber 0 decrypts in its home"

# ---- the big run -------------------------------------------------------------------------
big_line=""
if [ "$BIG" = 1 ] && [ "$BIG_N" -gt "$N" ]; then
	echo "big run: $BIG_N subscribers"
	gen_subs "$N" $((BIG_N - N))
	run_pw "$BIG_N" "$tmp/pw.big"
	check_run "$BIG_N"
	big_line=$(awk -v n="$BIG_N" -v tl="$THREADS" -v g="$gpg_best" -v n1="$N" '
		$1 == "decrypt:" { d = $2 } $1 == "decrypt+keys:" { k = $2 } $1 == "keys-cached:" { kc = $2 }
		$1 == "build" { t = $2; sub(/^T=/, "", t); sub(/:$/, "", t); b[t] = $3 }
		END {
			nt = split(tl, ts, ",")
			for (i = 1; i <= nt; i++)
				s = s sprintf("%sT=%s %.0f ms", i > 1 ? ", " : "", ts[i], b[ts[i]])
			printf "%d copies built: %s (goal: under 2000 ms on 2 cores)\n", n, s
			printf "  %d subscribers, postward total: decrypt and keys (gpg) at once %.0f," \
				" or decrypt %.0f + keys (cache) %.0f, + build (T=%s) %.0f = %.0f or" \
				" %.0f ms; gpg at %.2f ms a subscriber: about %.1f s (extrapolated," \
				" not run)", n, k, d, kc, ts[nt], b[ts[nt]], k + b[ts[nt]],
				d + kc + b[ts[nt]], g / n1, g / n1 * n / 1000
		}' "$tmp/pw.big")
elif [ "$BIG" = 1 ]; then
	big_line="(big run skipped: BENCH_BIG_N=$BIG_N is not more than $N)"
fi

# ---- summary -----------------------------------------------------------------------------
echo "summary ($N subscribers):"
awk -v d="$pw_dec" -v k="$pw_keys" -v dk="$pw_both" -v kc="$pw_cached" -v b="$pw_build" -v bn="$pw_buildn" \
	-v t="$pw_total" -v tl="$pw_later" -v s="$gpg_seq" -v p="$gpg_par" -v g="$gpg_best" \
	-v n="$N" -v t1="$t1" -v tn="$tn" -v ap="$pw_att" -v ab="$pw_attb" 'BEGIN {
	printf "  postward, first post:  decrypt %.2f and keys %.2f (gpg) at once %.2f + build (T=%s) %.2f = %.2f ms, %.1f us a subscriber\n",
		d, k, dk, tn, bn, t, t * 1000 / n
	printf "  postward, later posts: decrypt %.2f + keys %.2f (cache) + build (T=%s) %.2f = %.2f ms, %.1f us a subscriber\n",
		d, kc, tn, bn, tl, tl * 1000 / n
	at = d + kc + ap + ab
	printf "  postward, attestation path (later posts): decrypt %.2f + keys %.2f (cache) + attest %.2f (unwrap, sign, encrypt once) + build (T=%s) %.2f = %.2f ms, %.1f us a subscriber\n",
		d, kc, ap, tn, ab, at, at * 1000 / n
	printf "  attestation path / re-wrap: %.2f a subscriber (%.2f for the build alone); gpg / attestation path: %.1f\n",
		at / tl, ab / bn, g / at
	printf "  gpg:      sequential %.2f ms, 2 parallel %.2f ms; the faster, %.2f ms, counts\n", s, p, g
	printf "  gpg / postward build alone: %.1f (T=%s), %.1f (T=%s)\n", g / b, t1, g / bn, tn
	printf "speedup, first post (key cache empty): %.2f\n", g / t }'
[ -n "$big_line" ] && echo "  $big_line"
awk -v g="$gpg_best" -v t="$pw_later" 'BEGIN { printf "speedup: %.2f\n", g / t }'
