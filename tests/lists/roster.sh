#!/bin/bash
# tests/lists/roster.sh - roster mode end to end: posts that gpg, sq and rnp encrypt to the
# list's published roster go through the private Postfix of tests/lists/pfenv.sh and the
# postward daemon to the subscribers without being decrypted.
#
# The list ros@lists.test (roster publish) has five subscribers, each with the OpenPGP tool
# that made their key: s1 and s2 (gpg), bob and dave (Sequoia: sq key generate) and carol
# (rnp: rnpkeys).  Then:
#  1 dave fetches the roster from ros-sendkey@lists.test through Postfix: the answer carries
#    the list's key (its fingerprint checked) and the roster with the list key's signature,
#    which sq verifies with that key; the roster holds the list's and the five subscribers'
#    certificates;
#  2 three posts encrypted to every key of that roster (the list's included, so the list
#    could open them if it tried), each signed by its poster: s1 with gpg (one -r per roster
#    key), dave with sq (sq encrypt --recipient-cert ROSTER --signer-key), carol with rnp
#    (one -r per roster key); each is accepted, postward logs for its queue ID that it was
#    judged from its PKESKs and sent without decryption ("roster post ... not decrypted",
#    "5 copies of the poster's encryption"), and five copies are delivered;
#  3 "without any gpg decrypt run", witnessed outside postward: the list's gpg-agent (the
#    only holder of the list's secret key, through which every decryption postward can make
#    goes - gpg --decrypt, gpg --unwrap and postward's own PKDECRYPT for SEIPD version 2)
#    logs every Assuan command it gets (debug ipc, log-file); it got no PKDECRYPT while the
#    three posts went through, though it is alive (its PKSIGN for the roster and the sendkey
#    answer are in the log); a control post encrypted to the list key alone, re-wrapped
#    (roster_incomplete rewrap), makes the same log show a PKDECRYPT, so the witness sees
#    decryptions when there are any;
#  4 each copy: the post's text does not appear in it, it carries exactly one PKESK, opens
#    for its subscriber with that subscriber's own tool (gpg, sq, rnp) to the text with the
#    poster's good signature, and does not open for the next subscriber (s1 s2 bob dave
#    carol s1); for the Sequoia subscriber bob, sq verifies every poster's signature (gpg's,
#    sq's and rnp's), and the sq post's signature names the list and all five subscribers
#    as Intended Recipients (RFC 9580), so it verifies for each of them.
#
# usage: [POSTWARD=/abs/path/postward] tests/lists/roster.sh [--keep]
# Needs root, Postfix, swaks, gpg, sq, rnp, /usr/bin/python3 (see pfenv.sh).  Prints PASS:/FAIL:
# lines and one final "N passed, M failed" line.  Exit 0 all passed, 1 something failed, 77
# skipped.

HERE=$(cd "$(dirname "$0")" && pwd)
WORKERS=2
HOMES="pw s1 s2 nokeys"
PFNAME=pw-lists-roster
. "$HERE/pfenv.sh"
for c in sq rnp rnpkeys; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
done

# the witness: the list's gpg-agent logs every Assuan command it is sent (before it starts)
printf 'log-file %s/agent.log\ndebug ipc\n' "$T" >>"$G/pw/gpg-agent.conf"
pkdecrypts() { grep -c '<- PKDECRYPT' "$T/agent.log" 2>/dev/null; }

# ------------------------------------------------------------------------------- keys
K=$T/keys   # Sequoia's and RNP's parties
mkdir -m 700 "$K" "$K/carol"
{
	mkkey pw "Ros <ros@lists.test>" &&
	mkkey s1 "One <s1@example.net>" &&
	mkkey s2 "Two <s2@example.net>" &&
	for p in bob dave; do
		sq key generate --userid "<$p@example.org>" --export "$K/$p.key" &&
			sq key extract-cert -o "$K/$p.pub" "$K/$p.key" || exit 1
	done &&
	rnpkeys --homedir "$K/carol" --generate-key --userid "Carol <carol@example.com>" \
		--password '' --notty &&
	rnpkeys --homedir "$K/carol" --export-key carol@example.com >"$K/carol.pub"
} >"$T/keys.log" 2>&1 || abort "key generation: $(tail -3 "$T/keys.log")"
LIST=$(fpr_of pw ros@lists.test)
S1=$(fpr_of s1 s1@example.net)
S2=$(fpr_of s2 s2@example.net)
showfpr() { g nokeys --with-colons --show-keys "$1" 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }'; }
BOB=$(showfpr "$K/bob.pub")
DAVE=$(showfpr "$K/dave.pub")
CAROL=$(showfpr "$K/carol.pub")
(
	g pw --export "$LIST" >"$T/list.pub" &&
	g s1 --export "$S1" >"$K/s1.pub" && g s2 --export "$S2" >"$K/s2.pub" &&
	g pw --import "$K/s1.pub" "$K/s2.pub" "$K/bob.pub" "$K/dave.pub" "$K/carol.pub"
) >>"$T/keys.log" 2>&1 || abort "key exchange: $(tail -3 "$T/keys.log")"
[ -n "$LIST" ] && [ -n "$S1" ] && [ -n "$S2" ] && [ -n "$BOB" ] && [ -n "$DAVE" ] && [ -n "$CAROL" ] ||
	abort "fingerprints: list $LIST s1 $S1 s2 $S2 bob $BOB dave $DAVE carol $CAROL"
ok "keys made: the list, s1 and s2 by gpg, bob and dave by sq, carol by rnp"

# the list: its roster published, the poster's From kept (no DMARC lookup in this test)
printf '%s\n' "list ros@lists.test" "openpgp_key $LIST" "roster publish" "owner dave@example.org" \
	"from_rewrite never" >"$T/lists/ros.list"
printf 'subscriber %s openpgp=%s\n' s1@example.net "$S1" s2@example.net "$S2" bob@example.org "$BOB" \
	dave@example.org "$DAVE" carol@example.com "$CAROL" >>"$T/lists/ros.list"
pf_postward
{
	for a in s1@example.net s2@example.net bob@example.org dave@example.org carol@example.com; do
		echo "$a ${a#*@}/${a%@*}/"
	done
	for r in "" -request -owner -sendkey -bounces; do echo "ros$r@lists.test lists.test/ros$r/"; done
} >"$CONF/vmailbox"
pf_postfix "example.net example.org example.com lists.test"
cd "$W" || abort "cd $W"

# ---- 1: the roster, fetched by the Sequoia poster --------------------------------------------
printf 'From: <dave@example.org>\nTo: <ros-sendkey@lists.test>\nSubject: roster please\nMessage-ID: <rq%s@example.org>\n\nkey and roster please\n' \
	"$RANDOM" >rosreq.eml
post rosreq dave@example.org ros-sendkey@lists.test rosreq.eml
check "1: the sendkey request is accepted: $(reply_of rosreq)" accepted rosreq
wait_mail 1 "1 sendkey answer"
f=$(files_of dave@example.org | head -1)
[ -n "$f" ] || abort "1: dave got the sendkey answer"
sendkey_parts "$f" ros@lists.test ros
check "1: the answer carries the list's key ($LIST), the roster and its signature" \
	eval "[ \"\$(showfpr ros.key)\" = '$LIST' ] && [ -s ros.roster.asc ] && [ -s ros.roster.asc.sig ]"
sq verify --signer-cert ros.key --detached ros.roster.asc.sig ros.roster.asc >sqv.out 2>&1
check "1: sq verifies the roster's signature with the list's key ($(head -1 sqv.out))" grep -q '^1 good signature' sqv.out
g nokeys --with-colons --show-keys ros.roster.asc 2>/dev/null |
	awk -F: '/^pub/ { p = 1; next } /^fpr/ && p { print $10; p = 0 }' | sort >ros.fprs
check "1: the roster holds the list's and the five subscribers' certificates" \
	test "$(tr '\n' ' ' <ros.fprs)" = "$(printf '%s\n' "$LIST" "$S1" "$S2" "$BOB" "$DAVE" "$CAROL" | sort | tr '\n' ' ')"
# every subscriber takes the roster: the posters encrypt to it, the readers check signatures with it
{
	g s1 --import ros.roster.asc && g s2 --import ros.roster.asc &&
	rnpkeys --homedir "$K/carol" --import ros.roster.asc
} >>"$T/keys.log" 2>&1 || bad "1: gpg and rnp import the roster"
archive 1
PK0=$(pkdecrypts)
check "1: the list's gpg-agent logs its commands (PKSIGN for the roster and the answer seen, $PK0 PKDECRYPT so far)" \
	eval "grep -q '<- PKSIGN' '$T/agent.log'"

# ---- 2: three posts to the roster ------------------------------------------------------------
rcpts=()
while read -r x; do rcpts+=(-r "$x"); done <ros.fprs
for p in gpg sq rnp; do
	printf 'Content-Type: text/plain\n\nthe %s post to the roster %s\n' "$p" "$RANDOM$RANDOM" >"$p.txt"
done
g s1 --trust-model always --armor -s -e "${rcpts[@]}" -u "$S1" -o gpg.asc gpg.txt 2>gpg.err ||
	bad "2: gpg encrypts to the roster ($(tail -1 gpg.err))"
sq encrypt --recipient-cert ros.roster.asc --signer-key "$K/dave.key" -o sq.asc sq.txt 2>sq.err ||
	bad "2: sq encrypts to the roster ($(tail -1 sq.err))"
rnp --homedir "$K/carol" --password '' -e -s -u carol@example.com "${rcpts[@]}" --armor \
	--output rnp.asc rnp.txt >rnp.err 2>&1 || bad "2: rnp encrypts to the roster ($(tail -1 rnp.err))"
# send_post NAME FROM WHAT: NAME.asc as a PGP/MIME post from FROM to the list, accepted, and
# its five copies delivered
send_post() {
	pgpmime "$1.asc" "$2" ros@lists.test "$3" >"$1.eml"
	post "$1" "$2" ros@lists.test "$1.eml"
	check "$3 is accepted: $(reply_of "$1")" accepted "$1"
	wait_mail 5 "$3"
}
declare -A FROM=([gpg]=s1@example.net [sq]=dave@example.org [rnp]=carol@example.com)
declare -A SIGNER=([gpg]=$S1 [sq]=$DAVE [rnp]=$CAROL)
SUBS="s1@example.net s2@example.net bob@example.org dave@example.org carol@example.com"
# next_of ADDR: the subscriber after ADDR in SUBS (round), whose key must not open ADDR's copy
next_of() { echo "$SUBS $SUBS" | tr ' ' '\n' | grep -A1 -x -m1 -- "$1" | tail -1; }
# opens ADDR COPY POST: does COPY open with ADDR's own key and tool, to POST's text, with the
# poster's good signature (the reader holds the poster's certificate from the roster)
opens() {
	local a=$1 c=$2 p=$3 out=$2.${1%@*}
	case $a in
	s1@* | s2@*)
		g "${a%@*}" --status-fd 3 --decrypt -o "$out" "$c" 3>"$out.st" 2>/dev/null &&
			grep -q "^\[GNUPG:\] VALIDSIG .* ${SIGNER[$p]}\$" "$out.st" ;;
	bob@* | dave@*)
		sq decrypt --recipient-key "$K/${a%@*}.key" --signer-cert ros.roster.asc -o "$out" "$c" \
			</dev/null >"$out.st" 2>&1 && grep -q '^1 good signature' "$out.st" ;;
	carol@*)
		rnp --homedir "$K/carol" --password '' -d "$c" --output "$out" >"$out.st" 2>&1 &&
			grep -q 'Signature(s) verified successfully' "$out.st" ;;
	esac && cmp -s "$out" "$p.txt"
}
for p in gpg sq rnp; do
	[ -s "$p.asc" ] || continue
	send_post "$p" "${FROM[$p]}" "2: the $p post to every roster key"
	qid=$(qid_of "$p")
	check "2: the $p post ($qid) was judged by its PKESKs and sent without decryption (postward's log)" \
		eval "pwlog | grep -q '$qid: list ros@lists.test: roster verdict deliver: 5 of 5 subscriber(s) covered, 0 missing, 1 PKESK(s) for the list, 0 for others' &&
		      pwlog | grep -q '$qid: list ros@lists.test: roster post, encrypted to every subscriber: not decrypted' &&
		      pwlog | grep -q \"$qid: list ros@lists.test: roster post: 5 copies of the poster's encryption, not decrypted\""
	secret=$(tail -1 "$p.txt")
	for a in $SUBS; do
		f=$(files_of "$a" | head -1)
		[ -n "$f" ] || { bad "4: $a got a copy of the $p post"; continue; }
		c=$p.${a%@*}.asc
		armor "$f" >"$c"
		check "4: $p post, $a's copy holds no plain text and one PKESK" \
			eval "! grep -qF -- '$secret' '$f' && [ \"\$(npkesk nokeys '$c')\" -eq 1 ]"
		check "4: $p post, $a's copy opens for $a to the text, the poster's signature good" opens "$a" "$c" "$p"
		n=$(next_of "$a")
		check "4: $p post, $a's copy does not open for $n" eval "! opens '$n' '$c' '$p'"
	done
	archive "2$p"
done
# the Sequoia subscriber and the sq poster's Intended Recipient subpackets
if [ -s sq.bob.asc ]; then
	sq decrypt --dump --recipient-key "$K/bob.key" -o sqdump.out sq.bob.asc </dev/null >sqdump.txt 2>&1
	irs=$(grep -o 'Intended Recipient: [0-9A-F]*' sqdump.txt | awk '{ print $3 }' | sort | tr '\n' ' ')
	check "4: the sq poster's signature names the list and all five subscribers as Intended Recipients ($irs)" \
		test "$irs" = "$(tr '\n' ' ' <ros.fprs)"
fi

# ---- 3: no decryption happened, and the witness would have seen one --------------------------
PK1=$(pkdecrypts)
check "3: the list's gpg-agent got no PKDECRYPT while the three roster posts went through ($PK0 before, $PK1 after)" \
	test "$PK1" -eq "$PK0"
printf 'Content-Type: text/plain\n\nto the list key alone %s\n' "$RANDOM" >ctl.txt
g s1 --trust-model always --armor -s -e -r "$LIST" -u "$S1" -o ctl.asc ctl.txt 2>/dev/null
send_post ctl s1@example.net "3: control: a post to the list key alone, for re-wrapping,"
check "3: control: postward decrypted it (no roster path in its log)" \
	eval "! pwlog | grep -q '$(qid_of ctl): list ros@lists.test: roster post'"
PK2=$(pkdecrypts)
check "3: control: the witness saw its decryption (PKDECRYPT $PK1 -> $PK2)" test "$PK2" -gt "$PK1"
archive 3
finish
