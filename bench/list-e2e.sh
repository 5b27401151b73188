#!/bin/bash
# bench/list-e2e.sh - an encrypted list end to end, postward against Schleuder, one run: the
# time from handing a post to the list's MTA side to the last subscriber's copy at an SMTP
# sink, with the same keys, the same post and the same sink for both.
#
# usage: bench/list-e2e.sh [SUBSCRIBERS]          (default 200)
#        POSTWARD=$(bench/build-postward.sh) bench/list-e2e.sh
#
# Needs root (a private Postfix instance is started; missing Debian packages are installed
# with apt-get: schleuder, postfix, gnupg, python3).  Makes, in one mktemp -d directory
# (removed on exit, every process and gpg-agent started here stopped first):
#   keys     a list key (ed25519/cv25519), a poster's key, SUBSCRIBERS subscriber keys
#            (ed25519/cv25519, one gpg run); the same public keys go to both list managers,
#            the same list secret key too;
#   the post a PGP/MIME post (BENCH_POST_KB KB of text, default 4), signed by the poster and
#            encrypted to the list key, made once; each run gets a new Message-ID;
#   the sink bench/smtpsink.py on 127.0.0.1: accepts everything, counts the messages to
#            subscribers, prints "done K T" when the Kth batch of SUBSCRIBERS copies is in
#            (T: the arrival of the last one); the script blocks on that line (no polling);
#   Schleuder Debian's schleuder 4.0 with a configuration of its own (SCHLEUDER_CONFIG:
#            lists, logs and the SQLite database under the directory, smtp_settings at the
#            sink), `schleuder install`, then the list made through Schleuder's Ruby API
#            (Schleuder::ListBuilder with the list key's fingerprint, whose secret key is
#            already in the list's GnuPG home, and List#subscribe for each subscriber with
#            their fingerprint; the first subscriber is the list's admin): what schleuder-cli
#            does through the API daemon, without the daemon.  A post is handed over as
#            Postfix's pipe(8) would: `schleuder work LIST < post`, timed from the start of
#            that process to the last copy at the sink;
#   postward POSTWARD (default: milter/postward of this tree; refused if built with
#            sanitizers) with the list and the same subscribers, behind a private Postfix
#            3.x instance (smtpd on a free 127.0.0.1 port, postward as its milter, list
#            mail discarded by the milter as in production), list_reinject at the sink.  A
#            post is handed over by an SMTP client written in bash (/dev/tcp: no process
#            start) to that smtpd, timed from the connection to the last copy at the sink,
#            so the time includes the MTA hand-off: the SMTP session, the milter's checks in
#            it (the post decrypted once), the spool commit, the worker and every copy's SMTP
#            transaction.  The 250 after DATA (the poster's wait) is printed too.
#   the roster path (BENCH_ROSTER=1, the default) a second postward list, bench-roster@, with
#            the same key, subscribers and poster and "roster publish": its post is the same
#            text signed by the poster and encrypted by gpg to the list key and every
#            subscriber's key (the keys of the roster postward publishes), and postward
#            sends each subscriber that subscriber's PKESK before the untouched encrypted
#            data, decrypting nothing; handed over and timed as the re-wrap post is.
# Each side gets one post first that is not counted (Schleuder's and Ruby's files in the page
# cache; postward's key cache filled: a list's first post, printed as "first post"; the
# roster list's roster built), then ROUNDS posts each, interleaved and alternating who goes
# first; the median counts.  The copies of the first, middle and last subscriber of each
# side's first counted round must decrypt with gpg in a home holding only that subscriber's
# secret key, to the post's text, or the run stops; every roster post must have gone the
# roster path (postward's log), or the run stops.
#
# Output: a header (CPUs, load, versions, sizes), a line per run (postward's also split at
# the 250: the poster's wait, then the worker's part up to the last copy), per side the
# median and the fastest run, how many posts took the session key from the SMTP session
# (milter/lists/keyhand.h), with the roster path "roster/rewrap: X" (two decimals) =
# postward's re-wrap median / its roster median (above 1: the roster path is faster), and as
# the LAST line "ratio: X" (two decimals) = Schleuder's median / postward's (re-wrap) median.
# Exit 1, without a ratio line, when anything fails.
#
# Environment:
#   BENCH_SUBSCRIBERS  like the argument (default 200)
#   BENCH_ROUNDS       counted posts per side (default 3)
#   BENCH_POST_KB      size of the post's text in KB (default 4)
#   BENCH_SCHLEUDER    0: postward only (no ratio line; for before/after figures of postward)
#   BENCH_ROSTER       0: no roster list and no roster posts (no roster/rewrap line)
#   BENCH_TIMEOUT      seconds to wait for a run's last copy (default 900)
#   BENCH_KEEP=1       keep the temporary directory (homes, configs, logs, every copy)
#   POSTWARD           the postward binary
# Not part of the test suite.
# shellcheck disable=SC2015  # "A && B || die" is meant
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

N=${1:-${BENCH_SUBSCRIBERS:-200}}
ROUNDS=${BENCH_ROUNDS:-3}
POST_KB=${BENCH_POST_KB:-4}
SCHLEUDER=${BENCH_SCHLEUDER:-1}
ROSTER=${BENCH_ROSTER:-1}
TIMEOUT=${BENCH_TIMEOUT:-900}
KEEP=${BENCH_KEEP:-0}
POSTWARD=${POSTWARD:-$top/milter/postward}
PY=/usr/bin/python3
CPUS=$(nproc 2>/dev/null || echo 1)
LISTADDR=bench@lists.test
ROSADDR=bench-roster@lists.test

die() { echo "list-e2e.sh: $*" >&2; exit 1; }
case "$N$ROUNDS$POST_KB$TIMEOUT" in *[!0-9]*|"") die "numbers expected";; esac
[ "$N" -ge 3 ] && [ "$ROUNDS" -ge 1 ] || die "at least 3 subscribers and 1 round"
[ "$(id -u)" = 0 ] || die "needs root (a private Postfix instance; apt-get for what is missing)"

# ------------------------------------------------------------------ what it needs
need=()
[ "$SCHLEUDER" = 1 ] && ! command -v schleuder >/dev/null && need+=(schleuder)
command -v postfix >/dev/null || need+=(postfix)
command -v gpg >/dev/null || need+=(gnupg)
[ -x "$PY" ] || need+=(python3)
if [ "${#need[@]}" -gt 0 ]; then
	echo "list-e2e.sh: installing ${need[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}" \
		>/tmp/list-e2e-apt.log 2>&1 || die "apt-get install ${need[*]} failed (/tmp/list-e2e-apt.log)"
fi
[ -x "$POSTWARD" ] || die "no postward binary at $POSTWARD (set POSTWARD=)"
if nm -D "$POSTWARD" 2>/dev/null | grep -q __asan_init || ldd "$POSTWARD" 2>/dev/null | grep -q libasan; then
	die "$POSTWARD is built with sanitizers: use POSTWARD=\$(bench/build-postward.sh)"
fi
DAEMON_DIR=$(postconf -dh daemon_directory)

T=$(mktemp -d /tmp/pw-bench-e2e.XXXXXX) || die "mktemp"
chmod 755 "$T"
G=$T/gpg
S=$T/schleuder
PF=$T/postfix
mkdir -p "$G" "$S" "$PF/etc" "$PF/queue" "$PF/data" "$T/lists" "$T/spool" "$T/copies" "$T/w"
chown postfix "$PF/data"
HOMES="pw poster subs"
SINKPID=
PWPID=
POSTFIX_STARTED=0
cleanup() {
	local h
	[ "$POSTFIX_STARTED" = 1 ] && postfix -c "$PF/etc" stop >/dev/null 2>&1
	if [ -n "$PWPID" ]; then kill "$PWPID" 2>/dev/null; wait "$PWPID" 2>/dev/null; fi
	if [ -n "$SINKPID" ]; then kill "$SINKPID" 2>/dev/null; wait "$SINKPID" 2>/dev/null; fi
	for h in "$G"/* "$S"/lists/*/*; do
		[ -d "$h" ] && gpgconf --homedir "$h" --kill all >/dev/null 2>&1
	done
	for h in "$CG_PW" "$CG_SCH"; do	# once the agents have gone
		[ -n "$h" ] && [ -d "$h" ] || continue
		wait_until 10 eval '[ -z "$(cat "$h/cgroup.procs")" ]'
		rmdir "$h" 2>/dev/null || echo "list-e2e.sh: cgroup $h left behind" >&2
	done
	if [ "$KEEP" = 1 ]; then echo "list-e2e.sh: kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
# wait_until SECONDS command...: setup only (never inside a timed run)
wait_until() {
	local n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	"$@"
}

# CPU accounting: each list manager runs in a cgroup of its own (cgroup v1 cpuacct or v2),
# so the CPU of every process it starts (gpg, gpg-agent, Ruby) counts, even after they exit
cg_make() { # cg_make NAME: the cgroup's directory, or nothing
	local d
	for d in /sys/fs/cgroup/cpuacct /sys/fs/cgroup/unified /sys/fs/cgroup; do
		if [ -f "$d/cpuacct.usage" ] || [ -f "$d/cgroup.controllers" ]; then
			mkdir "$d/pw-bench-$$-$1" 2>/dev/null && { echo "$d/pw-bench-$$-$1"; return; }
		fi
	done
}
cg_usage() { # cg_usage DIR: nanoseconds of CPU used so far (0 without a cgroup)
	if [ -z "$1" ]; then echo 0
	elif [ -f "$1/cpuacct.usage" ]; then cat "$1/cpuacct.usage"
	else awk '$1 == "usage_usec" { print $2 * 1000 }' "$1/cpu.stat"; fi
}
# "${IN_CG[@]}" DIR COMMAND...: COMMAND (exec'd: same process id) in cgroup DIR, or as it is
# when DIR is empty
IN_CG=(sh -c '[ -z "$1" ] || echo $$ >"$1/cgroup.procs" || exit 125; shift; exec "$@"' in_cg)
CG_PW=$(cg_make pw)
CG_SCH=
[ "$SCHLEUDER" = 1 ] && CG_SCH=$(cg_make schleuder)

# -------------------------------------------------------------------------- keys
g() { local h=$1; shift; gpg --homedir "$h" --batch --no-tty --pinentry-mode loopback --passphrase '' "$@"; }
fpr_of() { g "$1" --with-colons --list-keys "$2" | awk -F: '/^fpr/ { print $10; exit }'; }
for h in $HOMES; do mkdir -m 700 "$G/$h"; done
keyparams() { # keyparams NAME EMAIL
	printf '%%no-protection\nKey-Type: eddsa\nKey-Curve: ed25519\nKey-Usage: sign\nSubkey-Type: ecdh\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\nName-Real: %s\nName-Email: %s\nExpire-Date: 0\n%%commit\n' "$1" "$2"
}
echo "list-e2e.sh: making $N subscriber keys" >&2
for i in $(seq "$N"); do keyparams "Subscriber $i" "sub$i@subs.test"; done >"$T/subs.params"
{
	keyparams "Bench list" "$LISTADDR" | g "$G/pw" --gen-key &&
	keyparams "Poster" "poster@example.net" | g "$G/poster" --gen-key &&
	g "$G/subs" --gen-key "$T/subs.params"
} >"$T/keys.log" 2>&1 || die "gpg key generation: $(tail -3 "$T/keys.log")"
LIST=$(fpr_of "$G/pw" "$LISTADDR")
POSTER=$(fpr_of "$G/poster" poster@example.net)
# subs.map: N FINGERPRINT
g "$G/subs" --with-colons --list-keys 2>/dev/null | awk -F: '
	/^pub/ { st = 1; next }
	/^fpr/ && st == 1 { f = $10; st = 2; next }
	/^uid/ && match($10, /<sub[0-9]+@subs\.test>/) { print substr($10, RSTART + 4, RLENGTH - 15), f }' |
	sort -n >"$T/subs.map"
[ -n "$LIST" ] && [ -n "$POSTER" ] && [ "$(wc -l <"$T/subs.map")" -eq "$N" ] ||
	die "keys: list $LIST, poster $POSTER, $(wc -l <"$T/subs.map") of $N subscriber keys"
{
	g "$G/subs" --export >"$T/subs.pub" &&
	g "$G/poster" --export >"$T/poster.pub" &&
	g "$G/pw" --export "$LIST" >"$T/list.pub" &&
	g "$G/pw" --export-secret-keys "$LIST" >"$T/list.sec" &&
	g "$G/pw" --import "$T/subs.pub" "$T/poster.pub" &&
	g "$G/poster" --import "$T/list.pub"
} >>"$T/keys.log" 2>&1 || die "key exchange: $(tail -3 "$T/keys.log")"
# the sampled subscribers, each in a home with their secret key alone
MID=$(((N + 1) / 2))
SAMPLE="1 $MID $N"
for i in $SAMPLE; do
	mkdir -m 700 "$G/s$i"
	g "$G/subs" --export-secret-keys "$(awk -v i="$i" '$1 == i { print $2 }' "$T/subs.map")" |
		g "$G/s$i" --import >>"$T/keys.log" 2>&1 || die "sample home s$i"
	g "$G/s$i" --import "$T/poster.pub" "$T/list.pub" >>"$T/keys.log" 2>&1
done

# -------------------------------------------------------------------------- the post
SECRET="bench secret $RANDOM$RANDOM"
{
	printf 'Content-Type: text/plain; charset=us-ascii\n\n%s\n' "$SECRET"
	"$PY" -c 'import random,sys; random.seed(12); w="list post bench agenda minutes budget vote member key mail".split()
n=int(sys.argv[1])*1024; out=[]; s=0
while s<n:
    l=" ".join(random.choice(w) for _ in range(10)); out.append(l); s+=len(l)+1
print("\n".join(out))' "$POST_KB"
} >"$T/inner.txt"
g "$G/poster" --trust-model always --armor -s -e -r "$LIST" -u "$POSTER" -o "$T/post.asc" "$T/inner.txt" \
	>>"$T/keys.log" 2>&1 || die "the post: $(tail -3 "$T/keys.log")"
{
	printf 'From: Poster <poster@example.net>\nTo: %s\nSubject: bench post\nDate: %s\nMessage-ID: <MSGID@example.net>\nMIME-Version: 1.0\n' \
		"$LISTADDR" "$(date -R)"
	printf 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\n boundary="=-=b1=-="\n\n'
	printf 'This is an OpenPGP/MIME encrypted message (RFC 3156).\n--=-=b1=-=\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n'
	printf -- '--=-=b1=-=\nContent-Type: application/octet-stream; name="encrypted.asc"\n\n'
	cat "$T/post.asc"
	printf -- '--=-=b1=-=--\n'
} >"$T/post.tmpl"
# the roster post: the same text, signed by the poster, encrypted to the list key and every
# subscriber's key (what the roster postward publishes holds: checked by its first post)
if [ "$ROSTER" = 1 ]; then
	rcpts=(-r "$LIST")
	while read -r _ f; do rcpts+=(-r "$f"); done <"$T/subs.map"
	{
		g "$G/poster" --import "$T/subs.pub" &&
		g "$G/poster" --trust-model always --armor -s -e "${rcpts[@]}" -u "$POSTER" \
			-o "$T/roster.asc" "$T/inner.txt"
	} >>"$T/keys.log" 2>&1 || die "the roster post: $(tail -3 "$T/keys.log")"
	# the re-wrap post's template with the roster post's armor and To
	"$PY" - "$T/post.tmpl" "$T/roster.asc" "$T/roster.tmpl" "$LISTADDR" "$ROSADDR" <<-'PYEOF'
	import sys
	t = open(sys.argv[1]).read()
	old = t[t.index('-----BEGIN PGP MESSAGE-----'):t.index('-----END PGP MESSAGE-----')]
	new = open(sys.argv[2]).read()
	t = t.replace(old + '-----END PGP MESSAGE-----\n', new).replace('To: ' + sys.argv[4] + '\n', 'To: ' + sys.argv[5] + '\n')
	open(sys.argv[3], 'w').write(t)
	PYEOF
	grep -q "^To: $ROSADDR\$" "$T/roster.tmpl" || die "the roster post's template"
fi
post_for() { # post_for NAME [TEMPLATE]: the post with NAME as its Message-ID
	sed "s/MSGID/$1/" "${2:-$T/post.tmpl}" >"$T/w/$1.eml"; echo "$T/w/$1.eml"
}

# -------------------------------------------------------------------------- the sink
coproc SINK { exec "$PY" "$here/smtpsink.py" "$N" 'sub[0-9]+@subs\.test' "$T/copies" 2>"$T/sink.err"; }
SINKPID=$SINK_PID
exec {SINKOUT}<&"${SINK[0]}"
read -r -t 30 -u "$SINKOUT" w1 SINKPORT || die "the sink did not start: $(cat "$T/sink.err")"
[ "$w1" = ready ] || die "the sink said: $w1 $SINKPORT"
BATCH=0
OTHER=0
# wait_batch: block until the sink's next "done" line; its time in $T1
wait_batch() {
	local w k t
	while read -r -t "$TIMEOUT" -u "$SINKOUT" w k t; do
		case $w in
		done) BATCH=$k; T1=$t; return 0 ;;
		other) OTHER=$((OTHER + 1)); echo "$w $k $t" >>"$T/sink.other" ;;
		esac
	done
	return 1
}

# -------------------------------------------------------------------------- Schleuder
if [ "$SCHLEUDER" = 1 ]; then
	mkdir -p "$S/lists" "$S/logs" "$S/kh" "$S/filters"
	cat >"$S/schleuder.yml" <<-EOF
	lists_dir: $S/lists
	listlogs_dir: $S/logs
	keyword_handlers_dir: $S/kh
	filters_dir: $S/filters
	log_level: warn
	keyserver:
	superadmin: root@localhost
	smtp_settings:
	  address: 127.0.0.1
	  port: $SINKPORT
	database:
	  production:
	    adapter: 'sqlite3'
	    database: $S/db.sqlite
	    timeout: 5000
	api:
	  host: localhost
	  port: 4443
	  tls_cert_file: $S/cert.pem
	  tls_key_file: $S/key.pem
	  valid_api_keys:
	EOF
	cp /etc/schleuder/list-defaults.yml "$S/list-defaults.yml" 2>/dev/null ||
		cp /usr/lib/ruby/vendor_ruby/schleuder/etc/list-defaults.yml "$S/list-defaults.yml" ||
		die "no Schleuder list-defaults.yml"
	export SCHLEUDER_CONFIG=$S/schleuder.yml SCHLEUDER_LIST_DEFAULTS=$S/list-defaults.yml
	schleuder install >"$S/install.log" 2>&1 || die "schleuder install: $(tail -3 "$S/install.log")"
	LDIR=$S/lists/lists.test/bench
	mkdir -p "$LDIR" && chmod 700 "$LDIR"
	{
		g "$LDIR" --import "$T/list.sec" "$T/subs.pub" "$T/poster.pub"
	} >>"$S/install.log" 2>&1 || die "the Schleuder list's keyring: $(tail -3 "$S/install.log")"
	awk '{ print "sub" $1 "@subs.test", $2, ($1 == 1 ? "admin" : "member") }' "$T/subs.map" >"$S/subs.txt"
	cat >"$S/mklist.rb" <<-'EOF'
	require 'schleuder'
	res = Schleuder::ListBuilder.new({ email: ARGV[0], fingerprint: ARGV[1] }).run
	list = res.is_a?(Array) ? res[0] : res
	abort "list: #{res.inspect}" if list.nil? || list.errors.any?
	File.foreach(ARGV[2]) do |l|
	  email, fpr, role = l.split
	  sub, = list.subscribe(email, fpr, role == 'admin', true)
	  abort "subscribe #{email}: #{sub.errors.full_messages.join(', ')}" if sub.errors.any?
	end
	puts "#{list.email} #{list.fingerprint} #{list.subscriptions.count}"
	EOF
	ruby "$S/mklist.rb" "$LISTADDR" "$LIST" "$S/subs.txt" >"$S/mklist.out" 2>&1 ||
		die "the Schleuder list: $(tail -5 "$S/mklist.out")"
	[ "$(awk '{ print $3 }' "$S/mklist.out" | tail -1)" = "$N" ] ||
		die "the Schleuder list has not $N subscriptions: $(tail -2 "$S/mklist.out")"
	gpgconf --homedir "$LDIR" --kill gpg-agent >/dev/null 2>&1   # restarted inside the cgroup
	SCHV=$(schleuder version 2>/dev/null | tail -1)
fi

# -------------------------------------------------------------------------- postward
P_MILTER=$(free_port)
P_SMTPD=$(free_port)
# list_file ADDRESS [STATEMENT]: a list file with the list key, the poster, every subscriber
list_file() {
	printf '%s\n' "list $1" "owner owner@example.org" "bounce bench-bounces@lists.test" \
		"openpgp_key $LIST" "posters listed" "poster poster@example.net" ${2:+"$2"}
	awk '{ print "subscriber sub" $1 "@subs.test openpgp=" $2 }' "$T/subs.map"
}
list_file "$LISTADDR" >"$T/lists/bench.list"
[ "$ROSTER" = 1 ] && list_file "$ROSADDR" "roster publish" >"$T/lists/bench-roster.list"
cat >"$T/pw.conf" <<EOF
milter_socket = inet:$P_MILTER@127.0.0.1
sender_practices =
authserv_id = bench.test
list_directory = $T/lists
gnupg_home = $G/pw
list_spool_directory = $T/spool
list_reinject = 127.0.0.1:$SINKPORT
EOF
"$POSTWARD" -n -c "$T/pw.conf" >"$T/pw-n.out" 2>&1 || die "postward -n: $(head -5 "$T/pw-n.out")"
gpgconf --homedir "$G/pw" --kill gpg-agent >/dev/null 2>&1   # restarted inside the cgroup
"${IN_CG[@]}" "$CG_PW" "$POSTWARD" -f -c "$T/pw.conf" 2>"$T/pw.log" &
PWPID=$!
pw_up() { grep -q "listening on" "$T/pw.log" || ! kill -0 "$PWPID" 2>/dev/null; }
wait_until 30 pw_up
grep -q "listening on" "$T/pw.log" || die "postward did not start: $(tail -3 "$T/pw.log")"

cat >"$PF/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
inet_interfaces = loopback-only
inet_protocols = ipv4
myhostname = mx.bench.test
mydomain = bench.test
myorigin = \$myhostname
mydestination =
relay_domains = lists.test
local_recipient_maps =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtp_dns_support_level = disabled
smtp_host_lookup = native
# the milter discards list posts; anything else would be thrown away here too
default_transport = discard:bench
relay_transport = discard:bench
smtpd_milters = inet:127.0.0.1:$P_MILTER
milter_default_action = tempfail
milter_protocol = 6
biff = no
EOF
cat >"$PF/etc/master.cf" <<EOF
127.0.0.1:$P_SMTPD inet n - n - - smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
showq     unix  n       -       n       -       -       showq
flush     unix  n       -       n       1000?   0       flush
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
postfix -c "$PF/etc" start >"$PF/start.out" 2>&1 || die "postfix start: $(cat "$PF/start.out")"
POSTFIX_STARTED=1
smtpd_up() { "$PY" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$P_SMTPD" 2>/dev/null; }
wait_until 30 smtpd_up || die "Postfix's smtpd does not answer on 127.0.0.1:$P_SMTPD"

# smtp_post FILE [RCPT]: the post to Postfix's smtpd from a bash client (no process start),
# to the list (or RCPT); the time of the 250 after DATA in $TACC; false unless every reply was
# the expected one
smtp_post() {
	local line code
	exec {fd}<>/dev/tcp/127.0.0.1/"$P_SMTPD" || return 1
	expect() { # expect CODE: read a whole (multi-line) reply
		while IFS= read -r -t 300 -u "$fd" line; do
			line=${line%$'\r'}
			case $line in [0-9][0-9][0-9]-*) continue ;; esac
			code=${line:0:3}
			[ "$code" = "$1" ] && return 0
			echo "list-e2e.sh: smtpd said: $line" >&2
			return 1
		done
		return 1
	}
	expect 220 &&
	printf 'EHLO client.bench.test\r\n' >&"$fd" && expect 250 &&
	printf 'MAIL FROM:<poster@example.net>\r\n' >&"$fd" && expect 250 &&
	printf 'RCPT TO:<%s>\r\n' "${2:-$LISTADDR}" >&"$fd" && expect 250 &&
	printf 'DATA\r\n' >&"$fd" && expect 354 &&
	{ sed -e 's/^\./../' -e 's/$/\r/' "$1"; printf '.\r\n'; } >&"$fd" && expect 250 &&
	TACC=$(now) &&
	printf 'QUIT\r\n' >&"$fd"
	local st=$?
	exec {fd}>&-
	return $st
}
spool_idle() { ! ls "$T/spool"/*.job >/dev/null 2>&1; }

# -------------------------------------------------------------------------- runs
# run_schleuder NAME / run_postward NAME [roster]: one post (with roster: the roster post to
# the roster list), its time (s) in $TIME
run_schleuder() {
	local f t0
	f=$(post_for "$1")
	t0=$(now)
	"${IN_CG[@]}" "$CG_SCH" schleuder work "$LISTADDR" <"$f" >"$T/w/$1.out" 2>&1 ||
		die "schleuder work exited $? for $1: $(tail -3 "$T/w/$1.out")"
	wait_batch || die "Schleuder: $N copies of $1 did not arrive within $TIMEOUT s"
	TIME=$(awk -v a="$t0" -v b="$T1" 'BEGIN { printf "%.3f", b - a }')
	echo "$BATCH schleuder $1" >>"$T/batches"
}
run_postward() {
	local f t0 tmpl=$T/post.tmpl rcpt=$LISTADDR
	[ "${2:-}" = roster ] && { tmpl=$T/roster.tmpl; rcpt=$ROSADDR; }
	f=$(post_for "$1" "$tmpl")
	t0=$(now)
	smtp_post "$f" "$rcpt" || die "postward: the post $1 was not accepted (maillog: $(tail -3 "$PF/maillog" 2>/dev/null))"
	wait_batch || die "postward: $N copies of $1 did not arrive within $TIMEOUT s ($(tail -3 "$T/pw.log"))"
	TIME=$(awk -v a="$t0" -v b="$T1" 'BEGIN { printf "%.3f", b - a }')
	ACC=$(awk -v a="$t0" -v b="$TACC" 'BEGIN { printf "%.3f", b - a }')
	AFTER=$(awk -v a="$TACC" -v b="$T1" 'BEGIN { printf "%.3f", b - a }')
	echo "$BATCH postward $1" >>"$T/batches"
	wait_until 120 spool_idle || die "postward's spool still holds $1"
	if [ "${2:-}" = roster ]; then
		[ "$(grep -c "list $ROSADDR: roster post: $N copies of the poster's encryption, not decrypted" "$T/pw.log")" -eq "$((++ROSTER_POSTS))" ] ||
			die "postward: the roster post $1 did not go the roster path ($(grep "$ROSADDR" "$T/pw.log" | tail -3))"
	fi
}
ROSTER_POSTS=0

# check_copies SIDE BATCH: the sampled subscribers' copies decrypt, each in its own home
check_copies() {
	local i f home
	for i in $SAMPLE; do
		f=$T/copies/$2/sub$i@subs.test.eml
		home=$G/s$i
		[ -s "$f" ] || die "$1: no copy for sub$i in batch $2"
		tr -d '\r' <"$f" | sed -n '/^-----BEGIN PGP MESSAGE-----/,/^-----END PGP MESSAGE-----/p' >"$T/w/$1.$i.asc"
		g "$home" --status-fd 3 --decrypt "$T/w/$1.$i.asc" >"$T/w/$1.$i.out" 3>"$T/w/$1.$i.status" 2>/dev/null &&
			grep -qF "$SECRET" "$T/w/$1.$i.out" ||
			die "$1: sub$i's copy does not decrypt to the post with sub$i's key ($(tail -2 "$T/w/$1.$i.status" | tr '\n' ' '))"
		PKESKS=$(g "$home" --list-packets "$T/w/$1.$i.asc" 2>/dev/null | grep -c ":pubkey enc packet:")
		SIGS=$(grep -c "GOODSIG" "$T/w/$1.$i.status")
	done
	echo "check: $1: the copies of sub1, sub$MID, sub$N decrypt to the post, each with its subscriber's key alone ($PKESKS PKESK(s) in a copy, $SIGS good signature(s) seen by gpg)"
}

minimum() { tr ' ' '\n' | grep . | sort -n | head -1; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }


# -------------------------------------------------------------------------- header
echo "bench/list-e2e.sh: encrypted list end to end, $N subscribers, $ROUNDS round(s), post ${POST_KB} KB of text"
echo "machine: $CPUS CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -sr)"
echo "postward: $("$POSTWARD" -V 2>&1 | head -1) ($POSTWARD), list_workers default, key cache warm after the first post"
[ "$SCHLEUDER" = 1 ] && echo "schleuder: $SCHV, $(ruby --version | cut -d' ' -f1-2)"
echo "gpg: $(gpg --version | head -1), postfix $(postconf -dh mail_version), $("$PY" --version)"
echo "keys: ed25519/cv25519 everywhere (list, poster, subscribers); the post signed and encrypted by the poster's gpg to the list key (PGP/MIME, $(wc -c <"$T/post.tmpl") octets)"
echo "timed: schleuder: start of \`schleuder work\` -> last copy at the sink; postward: SMTP connection to Postfix's smtpd -> last copy at the sink"

# -------------------------------------------------------------------------- warm-up
if [ "$SCHLEUDER" = 1 ]; then
	run_schleuder warm-schleuder
	echo "first post: schleuder ${TIME} s (not counted)"
fi
run_postward warm-postward
echo "first post: postward ${TIME} s, 250 after ${ACC} s (key cache empty; not counted)"
if [ "$ROSTER" = 1 ]; then
	run_postward warm-roster roster
	echo "first post: postward roster ${TIME} s, 250 after ${ACC} s (the roster built; not counted)"
fi

PW_CPU=0 PW_TIMES= PW_ACC= PW_AFTER=	# the re-wrap list's counted posts
RO_CPU=0 RO_TIMES= RO_ACC= RO_AFTER=	# the roster list's
SCH_CPU=0
SCH_TIMES=
# counted_postward PW|RO NAME postward|roster: one counted post of round $r to that list,
# its CPU and times added to the PW_ or RO_ variables; the copies checked in round 1
counted_postward() {
	local -n cpu=${1}_CPU times=${1}_TIMES acc=${1}_ACC after=${1}_AFTER
	local c0 what=postward
	[ "$3" = roster ] && what="postward roster"
	c0=$(cg_usage "$CG_PW")
	if [ "$3" = roster ]; then run_postward "$2" roster; else run_postward "$2"; fi
	cpu=$((cpu + $(cg_usage "$CG_PW") - c0))
	times="$times $TIME"
	acc="$acc $ACC"
	after="$after $AFTER"
	echo "round $r: $what ${TIME} s (250 after ${ACC} s, then ${AFTER} s to the last copy)"
	[ "$r" = 1 ] && check_copies "$3" "$BATCH"
	return 0
}
for r in $(seq "$ROUNDS"); do
	order="postward roster schleuder"
	[ $((r % 2)) = 1 ] && order="schleuder roster postward"
	for side in $order; do
		case $side in
		schleuder)
			[ "$SCHLEUDER" = 1 ] || continue
			c0=$(cg_usage "$CG_SCH")
			run_schleuder "sch$r"
			SCH_CPU=$((SCH_CPU + $(cg_usage "$CG_SCH") - c0))
			SCH_TIMES="$SCH_TIMES $TIME"
			echo "round $r: schleuder ${TIME} s"
			[ "$r" = 1 ] && check_copies schleuder "$BATCH"
			;;
		postward) counted_postward PW "pw$r" postward ;;
		roster) [ "$ROSTER" = 1 ] && counted_postward RO "ros$r" roster ;;
		esac
	done
done
[ "$OTHER" -gt 0 ] && echo "note: the sink also got $OTHER message(s) not to a subscriber (reports, notices): $(head -3 "$T/sink.other" | tr '\n' ' ')"
grep -q "session key from the SMTP session" "$T/pw.log" &&
	echo "postward: $(grep -c "session key from the SMTP session" "$T/pw.log") of $((ROUNDS + 1)) posts took the session key from the SMTP session (no second decryption)"
PW=$(echo "$PW_TIMES" | median)
echo "postward: median ${PW} s over$PW_TIMES (fastest $(echo "$PW_TIMES" | minimum) s); $(awk -v t="$PW" -v n="$N" 'BEGIN { printf "%.2f ms a copy", t * 1000 / n }')"
[ -n "$CG_PW" ] && echo "postward: CPU per post $(awk -v t="$PW_CPU" -v r="$ROUNDS" 'BEGIN { printf "%.1f ms", t / 1e6 / r }') (postward, every gpg it ran, its gpg-agent; not Postfix)"
echo "postward: the poster's wait (hand-off to 250) median $(echo "$PW_ACC" | median) s; from the 250 to the last copy median $(echo "$PW_AFTER" | median) s (fastest $(echo "$PW_AFTER" | minimum) s)"
if [ "$ROSTER" = 1 ]; then
	RO=$(echo "$RO_TIMES" | median)
	echo "postward roster: median ${RO} s over$RO_TIMES (fastest $(echo "$RO_TIMES" | minimum) s); $(awk -v t="$RO" -v n="$N" 'BEGIN { printf "%.2f ms a copy", t * 1000 / n }'); $ROSTER_POSTS of $((ROUNDS + 1)) posts sent undecrypted (postward's log)"
	[ -n "$CG_PW" ] && echo "postward roster: CPU per post $(awk -v t="$RO_CPU" -v r="$ROUNDS" 'BEGIN { printf "%.1f ms", t / 1e6 / r }')"
	echo "postward roster: the poster's wait median $(echo "$RO_ACC" | median) s; from the 250 to the last copy median $(echo "$RO_AFTER" | median) s (fastest $(echo "$RO_AFTER" | minimum) s); the post $(wc -c <"$T/roster.tmpl") octets ($(grep -c . "$T/roster.asc") armor lines)"
	awk -v w="$PW" -v r="$RO" 'BEGIN { printf "roster/rewrap: %.2f\n", w / r }'
fi
if [ "$SCHLEUDER" = 1 ]; then
	SCH=$(echo "$SCH_TIMES" | median)
	echo "schleuder: median ${SCH} s over$SCH_TIMES (fastest $(echo "$SCH_TIMES" | minimum) s); $(awk -v t="$SCH" -v n="$N" 'BEGIN { printf "%.2f ms a copy", t * 1000 / n }')"
	[ -n "$CG_SCH" ] && echo "schleuder: CPU per post $(awk -v t="$SCH_CPU" -v r="$ROUNDS" 'BEGIN { printf "%.1f ms", t / 1e6 / r }') (schleuder work, every gpg it ran, its gpg-agent)"
	[ -n "$CG_PW" ] && [ -n "$CG_SCH" ] && [ "$PW_CPU" -gt 0 ] &&
		awk -v s="$SCH_CPU" -v p="$PW_CPU" 'BEGIN { printf "CPU ratio: %.2f (Schleuder CPU / postward CPU per post: what the times would give on an idle machine)\n", s / p }'
	awk -v s="$SCH" -v p="$PW" 'BEGIN { printf "ratio: %.2f\n", s / p }'
fi
