#!/bin/bash
# tests/openpgp/formats.sh - the newer encrypted data formats: GnuPG's AEAD packet (tag 20, what
# GnuPG 2.4 and RNP make with AEAD) and RFC 9580 SEIPD version 2, re-wrapped per subscriber by
# milter/lists/openpgp*.c and opened by implementations that are not ours.
#
# Usage: tests/openpgp/formats.sh [PW-OPGP]
#
# Keys are made with gpg, each party in a home of its own: the list (ed25519 + cv25519), a
# poster, subscribers with a cv25519 and an RSA 2048 encryption subkey; and one by OpenPGP.js
# that announces AEAD, imported into a gpg home.  RNP gets the
# poster's and the subscribers' keys in homes of their own; OpenPGP.js (npm "openpgp" 6,
# driven by tests/openpgp/opgpjs.cjs) gets them as armored files.
#
#  - tag 20: rnp encrypts signed posts to the list with --aead=ocb and --aead=eax; pw-opgp
#    split must name the format with v3 PKESKs; the list's gpg gives the session key
#    ("9.2:HEX"); pw-opgp rewrap makes one copy per subscriber, which must hold exactly one
#    PKESK (v3, the subscriber's key ID) before the post's data, byte for byte, and which
#    rnp and gpg must open in the subscriber's own home to the post, with the poster's
#    signature good; another subscriber's home must not open it;
#  - SEIPD version 2: OpenPGP.js encrypts signed posts to the list (OCB, EAX, GCM; AES-128
#    and AES-256); pw-opgp split must say SEIPD version 2 with v6 PKESKs; the copies must
#    carry one v6 PKESK naming the subscriber's fingerprint, and OpenPGP.js must open each
#    with the subscriber's secret key to the post and verify the poster's signature; a
#    copy with a v3 PKESK (made by hand) must be refused by OpenPGP.js, so the check can fail;
#  - SEIPD version 2 opened with its session key (pw-opgp open, opgp_seipd2_open): OpenPGP.js
#    posts with OCB, GCM and EAX, AES-128/192/256, chunks of 64 octets and of 256 KiB, give
#    the packets inside, which gpg reads to the post with the poster's signature good; a
#    changed octet in a chunk, a chunk tag, the last chunk's tag, the final tag, the salt or
#    the chunk size octet, a chunk removed, the data cut after two chunks, a wrong session
#    key are each refused (OPGP_E_FORMAT, "does not authenticate") with nothing written;
#  - the list's PKESK opened by the list key's gpg-agent (pw-opgp pkesk, pw-agent =
#    pgp_agent_pkdecrypt: gpgme Assuan SETKEY + PKDECRYPT, pw-opgp pkesk with the answer): v6 PKESKs by OpenPGP.js for Curve25519 and
#    RSA, v3 PKESKs by gpg for RSA and NIST P-256 give the session key OpenPGP.js and gpg
#    name; with it the SEIPDv2 posts open and gpg verifies the poster; a changed shared
#    point, an RSA answer without its padding and a post without a PKESK for the key are
#    refused; pw-agent's answer equals gpg-connect-agent's, it starts a stopped agent, and an
#    unknown keygrip is refused;
#  - refusals: each header field of both formats out of range, PKESK versions mixed or not
#    matching the data, headers cut short (OPGP_E_FORMAT / OPGP_E_UNSUPPORTED with a message),
#    and pw-opgp mutate over both posts (never a crash, under the sanitizer build);
#  - through postward (miltertest, tests/lists/post.lua; copies into tests/lists/holdsink.py):
#    the rnp tag 20 post is taken; ada, whose key (made by OpenPGP.js) announces AEAD, gets
#    the post's tag 20 data byte for byte, the other three (gpg keys announce SEIPDv1 only)
#    one SEIPDv1 packet made once for all of them; each copy has one v3 PKESK for the
#    subscriber's subkey and opens with rnp and gpg in the subscriber's home, signature
#    good, and not in another's, and sq (Sequoia, which cannot read the OCB packet) opens the
#    SEIPDv1 copies with the signature good; SEIPDv2 posts (OCB, GCM, EAX) are taken: the list
#    key's agent opens the v6 PKESK, postward the AEAD data, gpg verifies the poster; ada
#    (announces SEIPDv2) gets the post's data byte for byte behind one v6 PKESK, which
#    OpenPGP.js opens with the poster's signature verified, the other three one SEIPDv1
#    packet behind a v3 PKESK, opened by rnp, gpg and sq, signature good; a SEIPDv2 post
#    altered in a chunk or in its final tag is refused in the session with 550 5.7.1.
#
# PW-OPGP defaults to $PW_OPGP, then tests/openpgp/pw-opgp under the top directory; POSTWARD
# to milter/postward.
# OpenPGP.js is installed with npm into $OPENPGPJS (default ~/.cache/postward/openpgpjs) when
# it is not there yet.  Needs gpg 2.2 (with AEAD decryption, as Debian 12's), rnp 0.16, sq, node
# and npm.  Prints PASS/FAIL lines and ends with "N passed, M failed"; exit 1 on any failure.
# shellcheck source=tests/openpgp/lib.sh
. "$(dirname "$0")/lib.sh"
opgp_tmp pw-formats

opgp_tool "${1:-}"
for t in gpg gpgconf rnp rnpkeys sq node npm; do
	command -v "$t" >/dev/null || { ko "$t not installed (tests/install-deps)"; finish; }
done
opgpjs_setup
cd "$tmp" || exit 1

# refused - the last pw run refused cleanly (exit 1, one "pw-opgp: " line naming STATUS)
refused() {
	! grep -q 'Sanitizer\|runtime error' pw.err && [ "$rc" -eq 1 ] &&
		[ "$(wc -l < pw.err)" -eq 1 ] && grep -q "^pw-opgp: .*\[$1\]" pw.err
}
show() { head -c 300 pw.err | tr '\n' ' '; echo "(rc=$rc)"; }
# field - a "NAME VALUE" line of pw-opgp split output in FILE
field() { sed -n "s/^$2 //p" "$1" | head -1; }

# ---- keys -----------------------------------------------------------------------------------
# newkey - H UID: an ed25519 primary key with an encryption subkey of ALGO
newkey() {
	local fpr
	mkhome "$1" && g "$1" --quick-gen-key "$2" ed25519 sign 0 2>/dev/null || return 1
	fpr=$(g "$1" --with-colons --list-keys | awk -F: '$1 == "fpr" { print $10; exit }')
	echo "$fpr" > "$1.fpr"
	g "$1" --quick-add-key "$fpr" "$3" encr 0 2>/dev/null
}
# subkey_id - the key ID of home H's encryption subkey
subkey_id() {
	g "$1" --with-colons --list-keys | awk -F: '$1 == "sub" && $12 ~ /e/ { print $5; exit }'
}
# rnphome - an RNP home for gpg home H, with H's secret key and the public keys of the rest
rnphome() {
	local h=$1
	shift
	mkdir -m 700 "r-$h" && rnpkeys --homedir "r-$h" --import "$h.sec" >/dev/null 2>&1 || return 1
	for o in "$@"; do
		rnpkeys --homedir "r-$h" --import "$o.pub" >/dev/null 2>&1 || return 1
	done
}
SUBS="s-cv s-rsa"
{
	newkey list 'List <list@example.org>' cv25519 &&
	newkey poster 'Poster <poster@example.org>' cv25519 &&
	newkey s-cv 'Carol <carol@example.org>' cv25519 &&
	newkey s-rsa 'Rita <rita@example.org>' rsa2048 &&
	for h in list poster $SUBS; do
		g "$h" --export > "$h.pub" && g "$h" --armor --export > "$h.asc" &&
			g "$h" --export-secret-keys > "$h.sec" &&
			g "$h" --armor --export-secret-keys > "$h.sec.asc" || exit 1
	done &&
	for h in $SUBS; do g "$h" --import poster.pub || exit 1; done &&
	g list --import poster.pub &&
	# ada's key comes from OpenPGP.js and announces AEAD (features 0x0b), as GnuPG 2.4 keys do
	mkhome s-aead && $JS genkey-aead ada@example.org > s-aead.sec.asc &&
	g s-aead --import s-aead.sec.asc && g s-aead --import poster.pub &&
	g s-aead --with-colons --list-keys | awk -F: '$1 == "fpr" { print $10; exit }' > s-aead.fpr &&
	g s-aead --export > s-aead.pub && g s-aead --export-secret-keys > s-aead.sec &&
	rnphome poster list && rnphome s-cv poster && rnphome s-rsa poster && rnphome s-aead poster
} > keys.log 2>&1 && ok "keys: gpg homes, RNP homes, OpenPGP.js files" ||
	{ ko "keys: $(tail -3 keys.log)"; finish; }

secret="formats test $RANDOM$RANDOM"
printf '%s\n' "$secret" > plain.txt

# one_pkesk COPY VERSION KEYID: the copy has exactly one PKESK, of VERSION, for KEYID
one_pkesk() {
	pw "$1" split.out split || return 1
	[ "$(field split.out n_pkesk)" = 1 ] && [ "$(field split.out pkesk_version)" = "$2" ] &&
		[ "$(field split.out pkesk_keyid)" = "$3" ]
}
# same_data POST COPY: the copy's data packet is the post's, byte for byte
same_data() {
	local po pl co
	pw "$1" a.out split || return 1
	po=$(field a.out data_off)
	pl=$(field a.out data_len)
	pw "$2" b.out split || return 1
	co=$(field b.out data_off)
	[ "$pl" = "$(field b.out data_len)" ] &&
		cmp -s <(tail -c +"$((po + 1))" "$1") <(tail -c +"$((co + 1))" "$2")
}

# opens COPY H LABEL: rnp and gpg, each in subscriber H's own home, open COPY to the post with
# the poster's signature good
opens() {
	if rnp --homedir "r-$2" -d --password '' --output "$1.rnp" "$1" > rnp.log 2>&1 &&
		cmp -s plain.txt "$1.rnp" && grep -qi "good signature\|Valid signature" rnp.log; then
		ok "$3: rnp opens it in the subscriber's home, signature good"
	else
		ko "$3 with rnp: $(tail -3 rnp.log | tr '\n' ' ')"
	fi
	if g "$2" --status-fd 1 -d -o "$1.gpg" "$1" > gpg.st 2> gpg.log &&
		cmp -s plain.txt "$1.gpg" && grep -q '^\[GNUPG:\] GOODSIG' gpg.st; then
		ok "$3: gpg opens it, GOODSIG"
	else
		ko "$3 with gpg: $(tail -3 gpg.log | tr '\n' ' ')"
	fi
}

# sq_opens COPY H LABEL: sq (Sequoia) opens COPY with H's secret key to the post, one good
# signature by the poster
sq_opens() {
	if sq decrypt --recipient-key "$2.sec.asc" --signer-cert poster.asc -o "$1.sq" "$1" \
		> sq.log 2>&1 && cmp -s plain.txt "$1.sq" && grep -q "^1 good signature" sq.log; then
		ok "$3: sq opens it, 1 good signature"
	else
		ko "$3 with sq: $(tail -3 sq.log | tr '\n' ' ')"
	fi
}

# ---- tag 20 (GnuPG's OCB packet) from RNP ---------------------------------------------------
for mode in ocb eax; do
	post=tag20-$mode.pgp
	if ! rnp --homedir r-poster -e -s -r list@example.org -u poster@example.org --password '' \
		--aead="$mode" --output "$post" plain.txt > rnp.log 2>&1; then
		ko "rnp --aead=$mode post: $(tail -2 rnp.log)"
		continue
	fi
	pw "$post" split.out split
	if [ "$rc" -eq 0 ] && [ "$(field split.out data_tag)" = 20 ] &&
		[ "$(field split.out pkesk_version)" = 3 ] &&
		[ "$(field split.out data_aead)" = "$([ $mode = eax ] && echo 1 || echo 2)" ]; then
		ok "tag 20 ($mode) post: split names the AEAD packet with v3 PKESKs"
	else
		ko "tag 20 ($mode) post split: $(tr '\n' ' ' < split.out) $(show)"
	fi
	sk=$(g list --show-session-key -d -o /dev/null "$post" 2>&1 |
		sed -n "s/.*session key: '\(.*\)'.*/\1/p")
	case $sk in
	*.*:*) ok "tag 20 ($mode): the list's gpg gives the session key as ALGO.AEAD:HEX" ;;
	*) ko "tag 20 ($mode): session key from gpg: '$sk'"; continue ;;
	esac
	printf '%s\n' "$sk" > sk
	for s in $SUBS; do
		copy=$s-$mode.pgp
		pw "$post" "$copy" rewrap @sk "$s.pub"
		[ "$rc" -eq 0 ] || { ko "tag 20 ($mode) rewrap for $s: $(show)"; continue; }
		one_pkesk "$copy" 3 "$(subkey_id "$s")" && same_data "$post" "$copy" &&
			ok "tag 20 ($mode) copy for $s: one v3 PKESK (its subkey), the post's data unchanged" ||
			ko "tag 20 ($mode) copy for $s: $(tr '\n' ' ' < split.out)"
		opens "$copy" "$s" "tag 20 ($mode) copy for $s"
	done
	other=s-rsa
	if ! g "$other" -d -o /dev/null "s-cv-$mode.pgp" >/dev/null 2>&1 &&
		! g list -d -o /dev/null "s-cv-$mode.pgp" >/dev/null 2>&1; then
		ok "tag 20 ($mode): s-cv's copy opens neither in s-rsa's home nor in the list's"
	else
		ko "tag 20 ($mode): s-cv's copy opened elsewhere"
	fi
done

# ---- SEIPD version 2 from OpenPGP.js --------------------------------------------------------
for suite in ocb:aes256 eax:aes128 gcm:aes256; do
	aead=${suite%%:*}
	cipher=${suite#*:}
	post=v2-$aead.pgp
	if ! $JS encrypt "$aead" "$cipher" sk2 list.asc poster.sec.asc < plain.txt > "$post" 2> js.log; then
		ko "OpenPGP.js SEIPDv2 ($aead, $cipher) post: $(tail -2 js.log)"
		continue
	fi
	pw "$post" split.out split
	if [ "$rc" -eq 0 ] && [ "$(field split.out data_tag)" = 18 ] &&
		grep -q '^format SEIPD version 2' split.out && [ "$(field split.out pkesk_version)" = 6 ]; then
		ok "SEIPDv2 ($aead, $cipher) post: split says SEIPD version 2 with v6 PKESKs"
	else
		ko "SEIPDv2 ($aead, $cipher) split: $(tr '\n' ' ' < split.out) $(show)"
	fi
	for s in $SUBS; do
		copy=$s-v2-$aead.pgp
		pw "$post" "$copy" rewrap @sk2 "$s.pub"
		[ "$rc" -eq 0 ] || { ko "SEIPDv2 ($aead) rewrap for $s: $(show)"; continue; }
		one_pkesk "$copy" 6 "$(subkey_id "$s")" && same_data "$post" "$copy" &&
			ok "SEIPDv2 ($aead) copy for $s: one v6 PKESK (its subkey), the post's data unchanged" ||
			ko "SEIPDv2 ($aead) copy for $s: $(tr '\n' ' ' < split.out)"
		if $JS decrypt "$s.sec.asc" poster.asc < "$copy" > "$copy.js" 2> js.log &&
			cmp -s plain.txt "$copy.js" && grep -q '^pkesk_version 6$' js.log; then
			ok "SEIPDv2 ($aead, $cipher) copy for $s: OpenPGP.js opens it, poster's signature verified"
		else
			ko "SEIPDv2 ($aead) copy for $s with OpenPGP.js: $(tail -3 js.log | tr '\n' ' ')"
		fi
	done
	if ! $JS decrypt s-rsa.sec.asc < "s-cv-v2-$aead.pgp" > /dev/null 2>&1; then
		ok "SEIPDv2 ($aead): s-cv's copy does not open with s-rsa's key"
	else
		ko "SEIPDv2 ($aead): s-cv's copy opened with s-rsa's key"
	fi
done

# ---- SEIPD version 2 opened with the session key (opgp_seipd2_open) ----------------------
# OpenPGP.js posts with chunks of 64 octets (several chunks, a short last one) and of the
# default 256 KiB (one chunk), every AEAD and key size: pw-opgp open must give the packets
# inside, which gpg (poster's key imported in s-cv's home) reads to the post with the
# poster's signature good.
for i in $(seq 60); do printf '%s line %02d of a longer post\n' "$secret" "$i"; done > plain3k.txt
for suite in ocb:aes128:0 ocb:aes256:12 gcm:aes128:12 gcm:aes256:0 eax:aes128:0 eax:aes192:12; do
	IFS=: read -r aead cipher chunk <<< "$suite"
	post=open-$aead-$cipher-$chunk.pgp
	if ! OPGPJS_CHUNK=$chunk $JS encrypt "$aead" "$cipher" "$post.sk" list.asc poster.sec.asc \
		< plain3k.txt > "$post" 2> js.log; then
		ko "OpenPGP.js SEIPDv2 ($aead, $cipher, chunk octet $chunk): $(tail -2 js.log)"
		continue
	fi
	pw "$post" "$post.inner" open "@$post.sk"
	if [ "$rc" -eq 0 ] && g s-cv --status-fd 3 --decrypt "$post.inner" > "$post.out" \
		3> "$post.status" 2> /dev/null && cmp -s plain3k.txt "$post.out" &&
		grep -q "GOODSIG $(g s-cv --with-colons --list-keys poster@example.org |
			awk -F: '$1 == "pub" { print $5; exit }')" "$post.status"; then
		ok "SEIPDv2 ($aead, $cipher, chunk octet $chunk) opened with its session key: gpg reads the post, poster's signature good"
	else
		ko "SEIPDv2 ($aead, $cipher, chunk octet $chunk) open: $(show) $(head -c 200 "$post.status" 2>/dev/null)"
	fi
done
# tamper POST OUT HOW: POST's SEIPDv2 body (partial lengths joined) changed, written back as
# one packet with a five-octet length.  HOW: flip:N (octet N of the body XOR 1; negative from
# the end), drop:A:B (octets A to B removed), keep:A (the first A octets and the final tag)
tamper() {
	pw "$1" a.out split
	/usr/bin/python3 -c '
import sys
b = open(sys.argv[1], "rb").read()
off = int(sys.argv[3])
o, body = off + 1, b""
while True:
    c = b[o]
    if c < 192: n, o, more = c, o + 1, False
    elif c < 224: n, o, more = ((c - 192) << 8) + b[o + 1] + 192, o + 2, False
    elif c == 255: n, o, more = int.from_bytes(b[o + 1:o + 5], "big"), o + 5, False
    else: n, o, more = 1 << (c & 0x1f), o + 1, True
    body += b[o:o + n]
    o += n
    if not more: break
body = bytearray(body)
how = sys.argv[4].split(":")
if how[0] == "flip": body[int(how[1])] ^= 1
elif how[0] == "drop": del body[int(how[1]):int(how[2])]
elif how[0] == "keep": body = body[:int(how[1])] + body[-16:]
open(sys.argv[2], "wb").write(b[:off] + bytes([0xd2, 0xff]) + len(body).to_bytes(4, "big") +
    bytes(body))' "$1" "$2" "$(field a.out data_off)" "$3"
}
# 64-octet chunks (80 with their tag) after 36 octets of header and salt
tp=open-gcm-aes256-0.pgp
for t in "none:same post as one packet" "flip:40:a ciphertext octet of chunk 0" \
	"flip:$((36 + 80 + 64 + 3)):the tag of chunk 1" "flip:-1:the final tag" \
	"flip:-20:the last chunk's tag" "drop:116:196:chunk 1 removed" \
	"keep:196:the first two chunks and the final tag" "flip:10:the salt" \
	"flip:3:the chunk size octet"; do
	how=${t%:*}
	what=${t##*:}
	for p in open-gcm-aes256-0.pgp open-ocb-aes128-0.pgp open-eax-aes128-0.pgp; do
		[ -f "$p" ] || continue
		tamper "$p" tampered.pgp "$how"
		pw tampered.pgp inner.out open "@$p.sk"
		if [ "$how" = none ]; then
			[ "$rc" -eq 0 ] && [ -s inner.out ] && ok "SEIPDv2 $p rewritten as one packet still opens" ||
				ko "SEIPDv2 $p as one packet: $(show)"
		else
			refused OPGP_E_FORMAT && [ ! -s inner.out ] && grep -q 'does not authenticate' pw.err &&
				ok "SEIPDv2 $p, $what: refused, nothing written: $(cat pw.err)" ||
				ko "SEIPDv2 $p, $what: $(show) ($(wc -c < inner.out) octets written)"
		fi
	done
done
# a wrong session key (last hex digit changed) and the right key for another cipher
if [ -f "$tp" ]; then
	sed 's/.$/'"$(tail -c 2 "$tp.sk" | head -c 1 | tr '0-9A-F' '1-9A-F0')"'/' "$tp.sk" > wrong.sk
	pw "$tp" inner.out open @wrong.sk
	refused OPGP_E_FORMAT && [ ! -s inner.out ] && grep -q 'chunk 0 does not authenticate' pw.err &&
		ok "SEIPDv2 opened with a wrong session key: refused at chunk 0" || ko "wrong session key: $(show)"
	pw "$tp" inner.out open "@open-ocb-aes128-0.pgp.sk"
	refused OPGP_E_FORMAT && [ ! -s inner.out ] &&
		ok "SEIPDv2 (AES-256) with an AES-128 session key refused: $(cat pw.err)" || ko "AES-128 key on AES-256 data: $(show)"
fi

# ---- the list's PKESK opened by the list key's gpg-agent (opgp_pkesk_sexp, _finish) ----------
# agent_pkdecrypt H GRIP SEXP OUT: gpg-agent of home H decrypts the ciphertext S-expression SEXP
# with the key GRIP through pgp_agent_pkdecrypt (pw-agent: gpgme's Assuan protocol, SETKEY,
# PKDECRYPT answering the CIPHERTEXT inquiry), its answer into OUT
PWA=${PW_AGENT:-$(dirname "$PW")/pw-agent}
agent_pkdecrypt() {
	rm -f "$4"
	"$PWA" "$tmp/$1" "$2" < "$3" > "$4" 2> agent.log && [ -s "$4" ]
}
# connect_agent: the same with gpg-connect-agent, GnuPG's own client
connect_agent() {
	rm -f "$4"
	gpg-connect-agent --homedir "$tmp/$1" "/definqfile CIPHERTEXT $3" "/datafile $4" \
		"SETKEY $2" PKDECRYPT /bye > agent.log 2>&1 && ! grep -q '^ERR' agent.log && [ -s "$4" ]
}
# grip H FPR - the keygrip of home H's (sub)key FPR
grip() {
	g "$1" --with-keygrip --with-colons -K | awk -F: -v f="$2" '$1 == "fpr" { m = ($10 == f) }
		$1 == "grp" && m { print $10; exit }'
}
# unwrap_case NAME H KEYBLOCK FPR POST WANT: the session key of POST's PKESK for FPR, from the
# agent of H, must be WANT ("ALGO:HEX"); then POST opens with it when it is SEIPDv2
unwrap_case() {
	local name=$1 h=$2 kb=$3 fpr=$4 post=$5 want=$6
	pw "$post" ct.sexp pkesk "$kb" "$fpr"
	[ "$rc" -eq 0 ] || { ko "$name: pkesk: $(show)"; return; }
	agent_pkdecrypt "$h" "$(grip "$h" "$fpr")" ct.sexp value.out ||
		{ ko "$name: the agent: $(tr '\n' ' ' < agent.log)"; return; }
	pw "$post" sk.out pkesk "$kb" "$fpr" value.out
	if [ "$rc" -eq 0 ] && [ "$(cat sk.out)" = "$want" ]; then
		ok "$name: the agent's PKDECRYPT gives the post's session key"
	else
		ko "$name: $(show) got $(cat sk.out) want $want"
	fi
}
{
	newkey l-rsa 'Rsa List <rsalist@example.org>' nistp256 &&
	g l-rsa --quick-add-key "$(cat l-rsa.fpr)" rsa2048 encr 0 &&
	g l-rsa --export > l-rsa.pub && g l-rsa --armor --export > l-rsa.asc
} > keys2.log 2>&1 || ko "RSA/P-256 list key: $(tail -3 keys2.log)"
lcv=$(g list --with-colons --list-keys | awk -F: '$1 == "sub" { s = 1 } $1 == "fpr" && s { print $10; exit }')
lp256=$(g l-rsa --with-colons --list-keys | awk -F: '$1 == "sub" && $4 == 18 { s = 1 } $1 == "fpr" && s { print $10; exit }')
lrsa=$(g l-rsa --with-colons --list-keys | awk -F: '$1 == "sub" && $4 == 1 { s = 1 } $1 == "fpr" && s { print $10; exit }')
# v6 PKESKs (OpenPGP.js) for the cv25519 list key, then the data opened and verified
for post in open-ocb-aes256-12.pgp open-gcm-aes128-12.pgp open-eax-aes128-0.pgp; do
	[ -f "$post" ] || continue
	unwrap_case "v6 PKESK (Curve25519) of $post" list list.pub "$lcv" "$post" "$(cat "$post.sk")"
	pw "$post" inner.out open @sk.out
	[ "$rc" -eq 0 ] && g s-cv --status-fd 3 --decrypt inner.out 3> st.out 2>/dev/null |
		cmp -s - plain3k.txt && grep -q GOODSIG st.out &&
		ok "$post: agent's session key, SEIPDv2 opened by postward's code, gpg verifies the poster" ||
		ko "$post via the agent: $(show)"
done
# a v6 PKESK for the RSA or the P-256 subkey (OpenPGP.js picks the newest encryption subkey;
# both may have the same creation time), v3 PKESKs by gpg for RSA and NIST P-256 (gpg
# --show-session-key gives the key to compare)
if [ -n "$lrsa" ] && [ -n "$lp256" ]; then
	if $JS encrypt gcm aes256 v6l.sk l-rsa.asc < plain3k.txt > v6l.pgp 2> js.log; then
		pw v6l.pgp a.out split
		case $lrsa in
		*"$(field a.out pkesk_keyid)") unwrap_case "v6 PKESK (RSA 2048)" l-rsa l-rsa.pub "$lrsa" v6l.pgp "$(cat v6l.sk)" ;;
		*) unwrap_case "v6 PKESK (NIST P-256)" l-rsa l-rsa.pub "$lp256" v6l.pgp "$(cat v6l.sk)" ;;
		esac
	else
		ko "OpenPGP.js to the RSA/P-256 list key: $(tail -2 js.log)"
	fi
	for f in "$lrsa:RSA 2048" "$lp256:NIST P-256"; do
		for i in 1 2 3; do
			g l-rsa --encrypt -r "${f%%:*}!" < plain3k.txt > v3.pgp
			want=$(g l-rsa --show-session-key --decrypt v3.pgp 2>&1 >/dev/null |
				sed -n "s/.*session key: '\(.*\)'.*/\1/p")
			unwrap_case "v3 PKESK (${f#*:}, gpg, run $i)" l-rsa l-rsa.pub "${f%%:*}" v3.pgp "$want"
		done
	done
	# the answer changed: an ECDH shared point (the unwrap's integrity check fails), an RSA
	# block without its type 2 padding; a post with no PKESK for the key
	for c in "$lp256:20:does not unwrap:a changed ECDH shared point" \
		"$lrsa:12:PKCS#1:an RSA answer without type 2 padding"; do
		IFS=: read -r fpr at text what <<< "$c"
		g l-rsa --encrypt -r "$fpr!" < plain3k.txt > v3.pgp
		pw v3.pgp ct.sexp pkesk l-rsa.pub "$fpr"
		agent_pkdecrypt l-rsa "$(grip l-rsa "$fpr")" ct.sexp value.out
		/usr/bin/python3 -c 'import sys; b = bytearray(open("value.out", "rb").read()); b[int(sys.argv[1])] ^= 0x10; open("bad.val", "wb").write(b)' "$at"
		pw v3.pgp sk.out pkesk l-rsa.pub "$fpr" bad.val
		refused OPGP_E_FORMAT && grep -q "$text" pw.err &&
			ok "$what is refused: $(cat pw.err)" || ko "$what: $(show)"
	done
	# pw-agent and gpg-connect-agent get the same answer; pw-agent starts a stopped agent;
	# a keygrip the agent has no key for is refused
	g l-rsa --encrypt -r "$lrsa!" < plain3k.txt > v3.pgp
	pw v3.pgp ct.sexp pkesk l-rsa.pub "$lrsa"
	gpgconf --homedir "$tmp/l-rsa" --kill gpg-agent
	agent_pkdecrypt l-rsa "$(grip l-rsa "$lrsa")" ct.sexp value.out &&
		ok "pw-agent starts the list's stopped gpg-agent and gets an answer" ||
		ko "pw-agent with the agent stopped: $(cat agent.log)"
	connect_agent l-rsa "$(grip l-rsa "$lrsa")" ct.sexp value2.out &&
		cmp -s value.out value2.out && ok "pw-agent's answer is gpg-connect-agent's" ||
		ko "pw-agent and gpg-connect-agent differ: $(tr '\n' ' ' < agent.log)"
	if ! "$PWA" "$tmp/l-rsa" 0123456789ABCDEF0123456789ABCDEF01234567 < ct.sexp > value.out \
		2> agent.log && grep -q 'No secret key' agent.log && [ ! -s value.out ]; then
		ok "an unknown keygrip is refused: $(cat agent.log)"
	else
		ko "unknown keygrip: $(cat agent.log)"
	fi
	pw v3.pgp ct.sexp pkesk l-rsa.pub "$lp256"
	refused OPGP_E_NOKEY && ok "no PKESK for the key: $(cat pw.err)" || ko "no PKESK: $(show)"
fi

# a v3 PKESK (the tag 20 copy's) before SEIPDv2 data: pw-opgp refuses it, and so does
# OpenPGP.js, which shows the version of the PKESK matters
if [ -f s-cv-ocb.pgp ] && [ -f v2-ocb.pgp ]; then
	pw s-cv-ocb.pgp a.out split
	pkl=$(field a.out data_off)
	pw v2-ocb.pgp b.out split
	doff=$(field b.out data_off)
	{ head -c "$pkl" s-cv-ocb.pgp; tail -c +"$((doff + 1))" v2-ocb.pgp; } > mixed.pgp
	pw mixed.pgp /dev/null split
	refused OPGP_E_FORMAT && grep -q 'version 3 PKESK(s) before SEIPD version 2' pw.err &&
		ok "a v3 PKESK before SEIPDv2 data is refused: $(cat pw.err)" || ko "v3 PKESK + SEIPDv2: $(show)"
	# the same with the session key of the SEIPDv2 post wrapped in a v3 PKESK for s-cv
	pw tag20-ocb.pgp v3.pgp rewrap @sk2 s-cv.pub
	pw v3.pgp a.out split
	{ head -c "$(field a.out data_off)" v3.pgp; tail -c +"$((doff + 1))" v2-ocb.pgp; } > v3v2.pgp
	if ! $JS decrypt s-cv.sec.asc < v3v2.pgp > /dev/null 2>&1; then
		ok "OpenPGP.js refuses a v3 PKESK in front of SEIPDv2 data (the v6 PKESK is needed)"
	else
		ko "OpenPGP.js opened SEIPDv2 data behind a v3 PKESK: the check above proves nothing"
	fi
fi

# ---- refusals: header fields out of range -----------------------------------------------------
# patch POST OUT REL VALUE: OUT is POST with the octet REL octets into its data packet's body
# (past its new-format header) set to VALUE
patch() {
	pw "$1" a.out split
	/usr/bin/python3 -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read())
off = int(sys.argv[3])
o = b[off + 1]
hlen = 2 if o < 192 else 3 if o < 224 else 6 if o == 255 else 2
b[off + hlen + int(sys.argv[4])] = int(sys.argv[5])
open(sys.argv[2], "wb").write(b)' "$1" "$2" "$(field a.out data_off)" "$3" "$4"
}
# refuse_case NAME POST REL VALUE STATUS TEXT
refuse_case() {
	patch "$2" bad.pgp "$3" "$4"
	pw bad.pgp /dev/null split
	refused "$5" && grep -q "$6" pw.err && ok "$1 refused: $(cat pw.err)" || ko "$1: $(show)"
}
if [ -f tag20-ocb.pgp ]; then
	refuse_case "tag 20 version 2" tag20-ocb.pgp 0 2 OPGP_E_UNSUPPORTED "tag 20) version 2"
	refuse_case "tag 20 cipher 2 (3DES)" tag20-ocb.pgp 1 2 OPGP_E_UNSUPPORTED "symmetric algorithm 2"
	refuse_case "tag 20 AEAD 3 (GCM, not in the draft)" tag20-ocb.pgp 2 3 OPGP_E_UNSUPPORTED "AEAD algorithm 3"
	refuse_case "tag 20 chunk size octet 17" tag20-ocb.pgp 3 17 OPGP_E_UNSUPPORTED "chunk size octet 17"
fi
if [ -f v2-ocb.pgp ]; then
	refuse_case "SEIPD version 3" v2-ocb.pgp 0 3 OPGP_E_FORMAT "version 3"
	refuse_case "SEIPDv2 cipher 0" v2-ocb.pgp 1 0 OPGP_E_FORMAT "symmetric algorithm 0"
	refuse_case "SEIPDv2 AEAD 4" v2-ocb.pgp 2 4 OPGP_E_UNSUPPORTED "AEAD algorithm 4"
	refuse_case "SEIPDv2 chunk size octet 200" v2-ocb.pgp 3 200 OPGP_E_UNSUPPORTED "chunk size octet 200"
	# the v6 PKESK: its key version (octet 3 of the packet) and its size octet (octet 2)
	for c in "3 33:v6 PKESK size octet 33 with a v4 fingerprint" "4 5:v6 PKESK key version 5" \
		"3 250:v6 PKESK size octet past its end"; do
		/usr/bin/python3 -c '
import sys
b = bytearray(open("v2-ocb.pgp", "rb").read())
b[int(sys.argv[1])] = int(sys.argv[2])
open("bad.pgp", "wb").write(b)' ${c%%:*}
		pw bad.pgp /dev/null split
		refused OPGP_E_FORMAT && ok "${c#*:} refused: $(cat pw.err)" || ko "${c#*:}: $(show)"
	done
	# cut inside the salt: the data packet's header claims more than there is
	pw v2-ocb.pgp a.out split
	head -c "$(( $(field a.out data_off) + 20 ))" v2-ocb.pgp > cut.pgp
	pw cut.pgp /dev/null split
	refused OPGP_E_FORMAT && ok "SEIPDv2 post cut inside its salt refused" || ko "cut SEIPDv2: $(show)"
	# a SEIPDv2 packet whose body is only its header (no chunk, no tag)
	/usr/bin/python3 -c '
import sys
b = open("v2-ocb.pgp", "rb").read()
off = int(sys.argv[1])
o = b[off + 1]
hlen = 2 if o < 192 else 3 if o < 224 else 6 if o == 255 else 2
body = b[off + hlen:off + hlen + 36]
open("short.pgp", "wb").write(b[:off] + bytes([0xd2, len(body)]) + body)' "$(field a.out data_off)"
	pw short.pgp /dev/null split
	refused OPGP_E_FORMAT && grep -q "too short" pw.err && ok "SEIPDv2 without chunks or tag refused" ||
		ko "short SEIPDv2: $(show)"
fi

# ---- the parsers under damage ------------------------------------------------------------------
for post in tag20-ocb.pgp v2-ocb.pgp; do
	[ -f "$post" ] || continue
	sk=$([ "$post" = v2-ocb.pgp ] && echo @sk2 || echo @sk)
	"$PW" mutate "$sk" s-cv.pub "$post" > mutate.out 2> pw.err
	rc=$?
	[ "$rc" -eq 0 ] && ! grep -q 'Sanitizer\|runtime error' pw.err &&
		ok "pw-opgp mutate on $post: $(tr '\n' ' ' < mutate.out)" || ko "mutate $post: $(show)"
done

# ---- through postward: the session and the pool ---------------------------------------------
# postward (miltertest driving tests/lists/post.lua) with the list's home as its GnuPG home,
# copies re-injected into tests/lists/holdsink.py: the tag 20 post is taken and every
# subscriber gets a copy with one v3 PKESK that rnp and gpg open in the subscriber's home;
# the SEIPDv2 posts are taken too (see below).
POSTWARD=${POSTWARD:-$top/milter/postward}
pid=""
sink=""
# stop_all - postward and the SMTP sink
stop_all() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$sink" ] && kill "$sink" 2>/dev/null && wait "$sink" 2>/dev/null
	pid=""
	sink=""
}
opgp_atexit=stop_all
if [ ! -x "$POSTWARD" ] || ! command -v miltertest >/dev/null; then
	ko "postward ($POSTWARD) or miltertest missing"
	finish
fi
LISTFPR=$(cat list.fpr)
for h in s-cv s-rsa s-aead; do g list --import "$h.pub" 2>/dev/null; done
mkdir -m 755 lists box spool
chmod 755 "$tmp"
cat > lists/board.list <<EOF
list board@lists.test
from_rewrite never
owner owner@example.org
bounce board-bounces@lists.test
openpgp_key $LISTFPR
subscriber poster@example.org openpgp=$(cat poster.fpr)
subscriber carol@example.org openpgp=$(cat s-cv.fpr)
subscriber rita@example.org openpgp=$(cat s-rsa.fpr)
subscriber ada@example.org openpgp=$(cat s-aead.fpr)
EOF
/usr/bin/python3 "$top/tests/lists/holdsink.py" "$tmp/ready" "box=$tmp/box" > sink.log 2>&1 &
sink=$!
for _ in $(seq 600); do [ -s ready ] && break; kill -0 "$sink" 2>/dev/null || break; sleep 0.05; done
port=$(awk '$1 == "box" { print $2 }' ready 2>/dev/null)
[ -n "$port" ] || { ko "SMTP sink: $(tail -3 sink.log)"; finish; }
printf '%s\n' "sender_practices =" "list_directory = $tmp/lists" "gnupg_home = $tmp/list" \
	"list_spool_directory = $tmp/spool" "list_reinject = 127.0.0.1:$port" "list_workers = 1" \
	> pw.conf
"$POSTWARD" -f -c pw.conf -p "unix:$tmp/pw.sock" 2> pw.log &
pid=$!
for _ in $(seq 200); do grep -q "listening on" pw.log && break; sleep 0.05; done
grep -q "listening on" pw.log || { ko "postward started: $(tail -5 pw.log)"; finish; }

# pgpmime BINARYPOST SUBJECT > message: a PGP/MIME post (RFC 3156) from the poster
pgpmime() {
	local armor
	armor=$("$PW" armor "$1") || return 1
	cat <<EOF
From: Poster <poster@example.org>
To: board@lists.test
Subject: $2
Message-ID: <$RANDOM.$RANDOM@example.org>
MIME-Version: 1.0
Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";
 boundary="=-=b1=-="

This is an OpenPGP/MIME encrypted message (RFC 3156).
--=-=b1=-=
Content-Type: application/pgp-encrypted

Version: 1

--=-=b1=-=
Content-Type: application/octet-stream; name="encrypted.asc"

$armor
--=-=b1=-=--
EOF
}
# send NAME MSGFILE [CODE XCODE TEXT] -> out-NAME
send() {
	local name=$1 file=$2 extra=()
	[ $# -ge 5 ] && extra=(-D code="$3" -D xcode="$4" -D text="$5")
	timeout 120 miltertest -D sock="unix:$tmp/pw.sock" -D msgfile="$tmp/$file" -D qid="Q$name" \
		-D sender="<poster@example.org>" -D rcpts="<board@lists.test>" "${extra[@]}" \
		-s "$top/tests/lists/post.lua" > "out-$name" 2>&1
}
mfield() { sed -n "s/^$2 //p" "out-$1"; }
if [ -f tag20-ocb.pgp ]; then
	pgpmime tag20-ocb.pgp "tag 20" > t20.eml
	send t20 t20.eml
	[ "$(mfield t20 EOM)" = discard ] && ok "tag 20 post taken: the milter discards it, the pool delivers" ||
		ko "tag 20 post: $(tr '\n' '|' < out-t20) $(grep Qt20 pw.log | tail -3)"
	for _ in $(seq 600); do
		[ "$(ls box/*.eml 2>/dev/null | wc -l)" -ge 4 ] && break
		sleep 0.1
	done
	grep -q "Qt20: list board@lists.test: .*AEAD encrypted data (tag 20.*v3 PKESKs" pw.log &&
		ok "pool log names the format and the PKESK version" || ko "pool log: $(grep Qt20 pw.log | tail -3)"
	grep -q "Qt20: list board@lists.test: 3 subscriber key(s) do not announce AEAD .*SEIPD version 1" pw.log &&
		ok "pool log: 3 keys without the AEAD feature get one SEIPDv1 re-encryption" ||
		ko "pool log (fallback): $(grep Qt20 pw.log | tail -3)"
	# s-aead announces AEAD: the post's tag 20 data as it came; the others (gpg, rnp keys
	# announce SEIPDv1 only): one SEIPDv1 packet made once for all of them
	for s in s-aead:ada@example.org:20 poster:poster@example.org:18 s-cv:carol@example.org:18 \
		s-rsa:rita@example.org:18; do
		h=${s%%:*}
		addr=${s#*:}
		tag=${addr#*:}
		addr=${addr%:*}
		f=$(grep -l "^rcpt: .*<$addr>" box/*.meta 2>/dev/null | sed 's/\.meta$/.eml/' | head -1)
		[ -n "$f" ] || { ko "$addr: no copy"; continue; }
		tr -d '\r' < "$f" | sed -n '/^-----BEGIN PGP MESSAGE-----/,/^-----END PGP MESSAGE-----/p' > "$h.copy.asc"
		"$PW" dearmor "$h.copy.asc" > "$h.copy.pgp" 2>/dev/null
		pw "$h.copy.pgp" split.out split
		[ "$(field split.out n_pkesk)" = 1 ] && [ "$(field split.out pkesk_version)" = 3 ] &&
			[ "$(field split.out data_tag)" = "$tag" ] &&
			[ "$(field split.out pkesk_keyid)" = "$(subkey_id "$h")" ] &&
			ok "$addr: one v3 PKESK (its subkey) before $(field split.out format)" ||
			ko "$addr copy: $(tr '\n' ' ' < split.out) $(show)"
		opens "$h.copy.asc" "$h" "$addr's copy"
		# Sequoia (sq 0.27) cannot open GnuPG's OCB packet: the SEIPDv1 copies are for it too
		if [ "$tag" = 18 ]; then
			sq_opens "$h.copy.asc" "$h" "$addr's copy"
		fi
	done
	[ -f s-aead.copy.pgp ] && same_data tag20-ocb.pgp s-aead.copy.pgp &&
		ok "ada (AEAD announced): the post's tag 20 data byte for byte" || ko "ada's copy data differs from the post's"
	[ -f s-cv.copy.pgp ] && same_data s-cv.copy.pgp s-rsa.copy.pgp && same_data s-cv.copy.pgp poster.copy.pgp &&
		ok "the SEIPDv1 data is the same in every fallback copy (one re-encryption per post)" ||
		ko "fallback copies carry different data"
	if [ -f s-aead.copy.asc ] && ! g s-cv -d -o /dev/null s-aead.copy.asc >/dev/null 2>&1 &&
		! g s-aead -d -o /dev/null s-cv.copy.asc >/dev/null 2>&1; then
		ok "ada's and carol's copies open only in their own homes"
	else
		ko "a copy opened in another subscriber's home"
	fi
fi
# SEIPD version 2 posts altered in a chunk or in the final tag are refused in the session
if [ -f v2-ocb.pgp ]; then
	for t in "flip:40:a chunk" "flip:-1:the final tag"; do
		tamper v2-ocb.pgp v2bad.pgp "${t%:*}"
		pgpmime v2bad.pgp "SEIPDv2 altered" > v2bad.eml
		send v2bad v2bad.eml 550 5.7.1 "The post's SEIPD version 2 data does not open with this list's key (not encrypted to it, or altered)"
		[ "$(mfield v2bad REPLY)" = true ] && grep -q "Qv2bad: .*does not authenticate" pw.log &&
			ok "SEIPDv2 post with ${t##*:} altered: 550 5.7.1 in the session, the log names the tag" ||
			ko "altered SEIPDv2 (${t##*:}): $(tr '\n' '|' < out-v2bad) $(grep Qv2bad pw.log | tail -2)"
	done
fi
# SEIPD version 2 posts (OpenPGP.js, OCB, GCM and EAX, signed by the poster): the session takes them
# (the list key's agent opens the v6 PKESK, postward the AEAD data, gpg verifies the poster);
# ada, whose key announces SEIPDv2, gets the post's data byte for byte behind one v6 PKESK and
# OpenPGP.js opens it with the poster's signature verified; the others one SEIPDv1 packet
# behind a v3 PKESK, opened by gpg, rnp and sq with the poster's signature good
n=0
for aead in ocb gcm eax; do
	post=v2-$aead.pgp
	[ -f "$post" ] || continue
	n=$((n + 1))
	mkdir -p "done-$n" && mv box/* "done-$n/" 2>/dev/null
	pgpmime "$post" "SEIPDv2 $aead" > "v2$aead.eml"
	send "v2$aead" "v2$aead.eml"
	[ "$(mfield "v2$aead" EOM)" = discard ] &&
		ok "SEIPDv2 ($aead) post taken in the session: the milter discards it, the pool delivers" ||
		ko "SEIPDv2 ($aead) post: $(tr '\n' '|' < "out-v2$aead") $(grep "Qv2$aead" pw.log | tail -3)"
	for _ in $(seq 600); do
		[ "$(ls box/*.eml 2>/dev/null | wc -l)" -ge 4 ] && break
		sleep 0.1
	done
	grep -q "Qv2$aead: list board@lists.test: .*SEIPD version 2 (RFC 9580 AEAD), v6 PKESKs" pw.log &&
		ok "SEIPDv2 ($aead): pool log names the format and v6 PKESKs" ||
		ko "SEIPDv2 ($aead) pool log: $(grep "Qv2$aead" pw.log | tail -3)"
	for s in s-aead:ada@example.org:6 poster:poster@example.org:3 s-cv:carol@example.org:3 \
		s-rsa:rita@example.org:3; do
		IFS=: read -r h addr ver <<< "$s"
		f=$(grep -l "^rcpt: .*<$addr>" box/*.meta 2>/dev/null | sed 's/\.meta$/.eml/' | head -1)
		[ -n "$f" ] || { ko "SEIPDv2 ($aead) $addr: no copy"; continue; }
		tr -d '\r' < "$f" | sed -n '/^-----BEGIN PGP MESSAGE-----/,/^-----END PGP MESSAGE-----/p' > "$h.v2$aead.asc"
		"$PW" dearmor "$h.v2$aead.asc" > "$h.v2$aead.pgp" 2>/dev/null
		pw "$h.v2$aead.pgp" split.out split
		[ "$(field split.out n_pkesk)" = 1 ] && [ "$(field split.out pkesk_version)" = "$ver" ] &&
			[ "$(field split.out pkesk_keyid)" = "$(subkey_id "$h")" ] &&
			ok "SEIPDv2 ($aead) $addr: one v$ver PKESK (its subkey) before $(field split.out format)" ||
			ko "SEIPDv2 ($aead) $addr copy: $(tr '\n' ' ' < split.out) $(show)"
		if [ "$ver" = 6 ]; then
			same_data "$post" "$h.v2$aead.pgp" &&
				ok "SEIPDv2 ($aead) $addr: the post's SEIPDv2 data byte for byte" ||
				ko "SEIPDv2 ($aead) $addr: the data differs from the post's"
			if $JS decrypt "$h.sec.asc" poster.asc < "$h.v2$aead.asc" > "$h.v2$aead.js" 2> js.log &&
				cmp -s plain.txt "$h.v2$aead.js"; then
				ok "SEIPDv2 ($aead) $addr: OpenPGP.js opens the copy, poster's signature verified"
			else
				ko "SEIPDv2 ($aead) $addr with OpenPGP.js: $(tail -3 js.log | tr '\n' ' ')"
			fi
			continue
		fi
		opens "$h.v2$aead.asc" "$h" "SEIPDv2 ($aead) $addr's SEIPDv1 copy"
		sq_opens "$h.v2$aead.asc" "$h" "SEIPDv2 ($aead) $addr's SEIPDv1 copy"
	done
done
# ---- the list key's key IDs in the session (pgp_key_has_subkey and its table) ----------------
# One pw-agent process asks three times whether a subkey made in a copy of the key belongs to
# the list key: no (gpg asked), no (the table answered), then - after the new subkey was
# imported into the list's home - yes: the keyring changed, so gpg is asked again.
if [ -s "$tmp/l-rsa.fpr" ] && mkhome l-sub &&
	{ g l-rsa --export-secret-keys | g l-sub --import &&
	  g l-sub --quick-add-key "$(cat l-rsa.fpr)" cv25519 encr 0 &&
	  g l-sub --export "$(cat l-rsa.fpr)" > l-sub.pub; } > sub.log 2>&1; then
	newsub=$(g l-sub --with-colons --list-keys | awk -F: '$1 == "sub" { k = $5 } END { print k }')
	lrsaid=${lrsa: -16}
	"$PWA" "$tmp/l-rsa" subkeys "$(cat l-rsa.fpr)" "$lrsaid" "$newsub" "$newsub" \
		"run=gpg --homedir '$tmp/l-rsa' --batch --quiet --import '$tmp/l-sub.pub'" "$newsub" \
		> subkeys.out 2> agent.log
	want=$(printf '%s yes\n%s no\n%s no\n%s yes\ncache hits=2 misses=2' "$lrsaid" "$newsub" \
		"$newsub" "$newsub")
	[ "$(cat subkeys.out)" = "$want" ] &&
		ok "the list key's key IDs are cached until the keyring changes: $(tr '\n' ' ' < subkeys.out)" ||
		ko "pgp_key_has_subkey: $(tr '\n' ' ' < subkeys.out) $(cat agent.log) want $(echo "$want" | tr '\n' ' ')"
	# the list key's certificate (the Autocrypt field of rewritten copies): exported once,
	# then from the table; the import of the new subkey makes gpg export it again, with it
	"$PWA" "$tmp/l-sub" cert "$(cat l-rsa.fpr)" "$(cat l-rsa.fpr)" \
		"run=gpg --homedir '$tmp/l-sub' --batch --quiet --pinentry-mode loopback --passphrase '' --quick-add-key $(cat l-rsa.fpr) cv25519 encr 0" \
		"$(cat l-rsa.fpr)" > certs.out 2> agent.log
	g l-sub --export-options export-minimal --export "$(cat l-rsa.fpr)" | sha256sum | cut -d' ' -f1 > certs.want
	mapfile -t cl < certs.out
	if [ "${#cl[@]}" = 4 ] && [ "${cl[0]}" = "${cl[1]}" ] && [ "${cl[2]}" != "${cl[1]}" ] &&
		[ "${cl[2]##* }" = "$(cat certs.want)" ] && [ "${cl[3]}" = "cache hits=1 misses=2" ]; then
		ok "the list key's certificate is cached until the keyring changes"
	else
		ko "pgp_export_cert: $(tr '\n' ' ' < certs.out) $(cat agent.log) want $(cat certs.want)"
	fi
else
	ko "a subkey for the list key in a copy of its home: $(tail -3 sub.log 2>/dev/null)"
fi

stop_all

finish
