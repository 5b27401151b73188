#!/bin/bash
# tests/lists/pfenv.sh - the test bench the list tests share, sourced by them: a private Postfix
# instance with postward as its milter and contrib/postfix's re-injection smtpd, virtual(8)
# Maildirs, one GnuPG home per party, and the helpers to post, wait and read what was
# delivered.  Nothing of the system Postfix instance (/etc/postfix, /var/spool/postfix) is
# touched; everything lives under one mktemp -d directory.
#
# It sets -u and LC_ALL=C (the tests that set them themselves too are older).
# Before sourcing, the test sets: HERE (its own directory, tests/lists), HOMES (GnuPG homes to
# make under $G), PFNAME (the directory's name prefix) and WORKERS (list_workers); this file
# then sets TOP, CONTRIB, PY (/usr/bin/python3), POSTWARD (the binary; $POSTWARD from the
# environment wins) and KEEP (1 with the test's argument --keep: the directory is kept).
# Then, after making its keys and list files ($T/lists/NAME.list):
#   pf_postward [EXTRA]          writes $PWCONF (the lists in $T/lists, the GnuPG home $G/pw,
#                                $WORKERS workers, EXTRA lines appended), checks it with
#                                postward -n and starts postward (start_postward again after
#                                stop_postward restarts it)
#   pf_postfix DOMAINS           writes the instance (main.cf from contrib's snippet, master.cf
#                                with the re-injection smtpd), its virtual mailboxes from
#                                $CONF/vmailbox (the test writes it: "ADDR DOMAIN/USER/" lines)
#                                for DOMAINS, checks and starts it
# Helpers for messages and logs: pwlog, pgpmime and sendkey_parts (at the end).
# A function pf_cleanup_hook, when the test defines one, runs at the end before the check that
# no process of the test is left (stop the test's own servers there).
# Variables: T CONF Q VM SEEN SPOOL G MAILLOG PWCONF W (work files), P_SMTPD P_MILTER
# P_REINJECT.  The final "N passed, M failed" line and the exit status come from finish (an
# EXIT trap): 0 all passed, 1 something failed, 77 skipped (a FAIL when CI is set).

set -u
export LC_ALL=C
TOP=$(cd "$HERE/../.." && pwd)
CONTRIB=$TOP/contrib/postfix
POSTWARD=${POSTWARD:-$TOP/milter/postward}
PY=/usr/bin/python3
KEEP=0
for arg in "$@"; do
	case $arg in
	--keep) KEEP=1 ;;
	*) echo "usage: $0 [--keep]" >&2; exit 2 ;;
	esac
done

skip() { if [ -n "${CI:-}" ]; then echo "FAIL: $* (CI must run every test)"; echo "0 passed, 1 failed"; exit 1; fi; echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (a private Postfix instance is started as root)"
for c in postfix postconf postqueue swaks gpg gpgconf openssl ss; do
	command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
done
[ -x "$PY" ] || skip "$PY not found"
DAEMON_DIR=$(postconf -dh daemon_directory)   # -d: no system main.cf needed
[ -x "$DAEMON_DIR/virtual" ] || skip "Postfix virtual(8) not found in $DAEMON_DIR"


pass=0
fail=0
ok()  { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() { # check DESCRIPTION command...
	local d=$1; shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}


T=$(mktemp -d "/tmp/${PFNAME:-pw-lists}.XXXXXX") || exit 1
chmod 755 "$T"   # Postfix daemons (user postfix) and virtual(8) (user nobody) pass through
CONF=$T/etc
Q=$T/queue
VM=$T/vmail      # virtual_mailbox_base
SEEN=$T/seen     # Maildir files of finished cases, moved out of the way
SPOOL=$T/spool   # postward's list_spool_directory
G=$T/gpg         # one GnuPG home per party
MAILLOG=$T/maillog
PWCONF=$T/pw.conf
mkdir -p "$CONF" "$Q" "$T/data" "$VM" "$SEEN" "$SPOOL" "$G" "$T/lists" "$T/smime" "$T/w"
chown postfix "$T/data"
chown nobody:nogroup "$VM"

POSTFIX_STARTED=0
PWPID=
CLEANED=0

# Processes of this test: anything whose command line names $T, or whose working
# directory is under $T (Postfix daemons run in queue_directory).
ours() {
	{
		pgrep -f "$T"
		local p
		for p in /proc/[0-9]*; do
			case $(readlink "$p/cwd" 2>/dev/null) in
			"$T"|"$T"/*) echo "${p#/proc/}" ;;
			esac
		done
	} 2>/dev/null | grep -vx -e "$$" -e "$BASHPID" | sort -u
}

# postward's processes (the daemon and its milter worker): their command lines name $PWCONF
pw_pids() { pgrep -f -- "-c $PWCONF" 2>/dev/null; }

stop_postward() { # TERM, wait (bounded) until no process of it is left; status in $PWSTATUS
	local i
	PWSTATUS=
	[ -n "$PWPID" ] || return 0
	kill -TERM "$PWPID" 2>/dev/null
	for i in $(seq 100); do
		kill -0 "$PWPID" 2>/dev/null || break
		sleep 0.1
	done
	# shellcheck disable=SC2046 # one argument per process id
	kill -0 "$PWPID" 2>/dev/null && { echo "warning: postward ignored SIGTERM, killing" >&2; kill -KILL $(pw_pids) 2>/dev/null; }
	wait "$PWPID" 2>/dev/null
	PWSTATUS=$?
	PWPID=
	for i in $(seq 100); do [ -z "$(pw_pids)" ] && break; sleep 0.1; done
}

cleanup() {
	[ "$CLEANED" = 1 ] && return
	CLEANED=1
	local i left h
	cd / || return
	if [ "$POSTFIX_STARTED" = 1 ]; then
		postfix -c "$CONF" stop >/dev/null 2>&1
		for i in $(seq 100); do
			"$DAEMON_DIR/master" -c "$CONF" -t 2>/dev/null && break
			sleep 0.1
		done
	fi
	stop_postward
	# a test's own services (a DNS fixture, a second daemon) go before the check below
	[ "$(type -t pf_cleanup_hook)" = function ] && pf_cleanup_hook
	[ -n "${PROXYPID:-}" ] && kill "$PROXYPID" 2>/dev/null && wait "$PROXYPID" 2>/dev/null
	for h in $HOMES; do
		[ -d "$G/$h" ] && gpgconf --homedir "$G/$h" --kill all >/dev/null 2>&1
	done
	for i in $(seq 100); do
		left=$(ours)
		[ -z "$left" ] && break
		sleep 0.1
	done
	if [ -n "$left" ]; then
		bad "no processes left behind (still running: $(echo $left))"
		ps -o pid,ppid,args -p "$(echo $left | tr ' ' ,)" 2>/dev/null | sed 's/^/| /'
		for i in $left; do kill -KILL "$i" 2>/dev/null; done
	else
		ok "no processes left behind (pgrep -f $T and /proc/*/cwd are empty)"
	fi
}

show_logs() {
	echo "----- maillog (tail) -----"
	tail -60 "$MAILLOG" 2>/dev/null | sed 's/^/| /'
	echo "----- postward log (tail) -----"
	cat "$T"/pw.*.log 2>/dev/null | tail -60 | sed 's/^/| /'
	if [ "$POSTFIX_STARTED" = 1 ] && [ -d "$Q/deferred" ]; then
		echo "----- postqueue -p -----"
		postqueue -c "$CONF" -p 2>&1 | tail -20 | sed 's/^/| /'
	fi
}

FINISHED=0
finish() {
	[ "$FINISHED" = 1 ] && return
	FINISHED=1
	[ "$fail" -gt 0 ] && show_logs   # while Postfix still runs (postqueue -p)
	cleanup
	if [ "$KEEP" = 1 ]; then
		echo "kept $T"
	else
		rm -rf "$T"
		[ -e "$T" ] && bad "temporary directory $T removed"
	fi
	echo "$pass passed, $fail failed"
	if [ "$fail" -eq 0 ]; then exit 0; else exit 1; fi
}
abort() { bad "$*"; finish; }
trap 'finish' EXIT
trap 'bad "interrupted by a signal"; exit 1' INT TERM HUP

free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_until SECONDS command...: poll every 0.1 s
wait_until() {
	local n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	"$@"
}

[ -x "$POSTWARD" ] || abort "postward binary $POSTWARD exists (build it, or set POSTWARD=)"

# ------------------------------------------------------------------------------- keys
# One GnuPG home per party ($HOMES; postward's is "pw"): g HOME gpg-arguments...
g() { local h=$1; shift; gpg --homedir "$G/$h" --batch --no-tty --pinentry-mode loopback --passphrase '' "$@"; }
fpr_of() { g "$1" --with-colons --list-keys "$2" | awk -F: '/^fpr/ { print $10; exit }'; }
# encryption subkey id of the key for ADDR (what ENC_TO and the PKESK name)
encid_of() { g "$1" --with-colons --list-keys "$2" | awk -F: '/^sub/ && $12 ~ /e/ { print $5; exit }'; }
for h in $HOMES; do
	mkdir -m 700 "$G/$h"
	echo "debug-quick-random" >"$G/$h/gpg-agent.conf"   # test keys only
done
mkkey() { # mkkey HOME "Name <addr>" [rsa]
	if [ "${3:-}" = rsa ]; then
		g "$1" --quick-gen-key "$2" rsa2048 sign 0 &&
			g "$1" --quick-add-key "$(fpr_of "$1" "$2")" rsa2048 encr 0
	else
		g "$1" --quick-gen-key "$2" ed25519 sign 0 &&
			g "$1" --quick-add-key "$(fpr_of "$1" "$2")" cv25519 encr 0
	fi
}

# ------------------------------------------------------------------------- postward
P_SMTPD=$(free_port)
P_MILTER=$(free_port)
P_REINJECT=$(free_port)
starts=0
start_postward() { # each run logs to its own file
	starts=$((starts + 1))
	"$POSTWARD" -f -c "$PWCONF" -p "inet:$P_MILTER@127.0.0.1" 2>"$T/pw.$starts.log" &
	PWPID=$!
	pw_listening() { grep -q "listening on" "$T/pw.$starts.log" 2>/dev/null || ! kill -0 "$PWPID" 2>/dev/null; }
	wait_until 20 pw_listening
	kill -0 "$PWPID" 2>/dev/null && grep -q "listening on" "$T/pw.$starts.log" ||
		abort "postward started ($(tail -3 "$T/pw.$starts.log"))"
}
# pf_postward [EXTRA]: the configuration, postward -n, the start
pf_postward() {
	cat >"$PWCONF" <<-EOF
	milter_socket = inet:$P_MILTER@127.0.0.1
	sender_practices =
	authserv_id = pw-lists.test
	list_directory = $T/lists
	gnupg_home = $G/pw
	list_spool_directory = $SPOOL
	list_reinject = 127.0.0.1:$P_REINJECT
	list_workers = $WORKERS
	EOF
	[ -n "${1:-}" ] && printf '%s\n' "$1" >>"$PWCONF"
	"$POSTWARD" -n -c "$PWCONF" >"$T/pw-n.out" 2>&1 &&
		ok "postward -n accepts the configuration and the lists" || abort "postward -n: $(head -5 "$T/pw-n.out")"
	start_postward
}

# ------------------------------------------------------------------- postfix instance
# pf_postfix DOMAINS: the instance for the virtual mailbox domains DOMAINS ($CONF/vmailbox
# written by the test), started
pf_postfix() {
	local domains=$1
	cp "$CONTRIB/postward_header_checks" "$CONF/postward_header_checks"
	{
		cat "$CONTRIB/main.cf.snippet"
		cat <<-EOF

		# ---- private test instance
		compatibility_level = 3.6
		queue_directory = $Q
		data_directory = $T/data
		maillog_file = $MAILLOG
		maillog_file_prefixes = $T
		inet_interfaces = loopback-only
		inet_protocols = ipv4
		myhostname = mx.pw-lists.test
		mydomain = pw-lists.test
		myorigin = \$myhostname
		mydestination =
		relay_domains =
		local_recipient_maps =
		alias_maps =
		alias_database =
		mynetworks = 127.0.0.0/8
		# nothing leaves this instance: no DNS, no SMTP client deliveries
		smtp_dns_support_level = disabled
		smtp_host_lookup = native
		default_transport = error:5.3.0 no outside delivery in this test
		relay_transport = error:5.3.0 no outside delivery in this test
		virtual_mailbox_domains = $domains
		virtual_mailbox_base = $VM
		virtual_mailbox_maps = texthash:$CONF/vmailbox
		virtual_uid_maps = static:$(id -u nobody)
		virtual_gid_maps = static:$(id -g nobody)
		virtual_alias_maps =
		# VERP: LIST-bounces+SUB=DOMAIN@ is LIST-bounces@ to the lookups
		recipient_delimiter = +
		delay_warning_time = 0
		biff = no
		EOF
	} >"$CONF/main.cf"
	postconf -c "$CONF" -e "smtpd_milters = inet:127.0.0.1:$P_MILTER" \
		"milter_header_checks = regexp:$CONF/postward_header_checks" ||
		abort "postconf -e on the instance main.cf"
	cat >"$CONF/master.cf" <<-EOF
	127.0.0.1:$P_SMTPD inet n - n - - smtpd
	cleanup   unix  n       -       n       -       0       cleanup
	qmgr      unix  n       -       n       300     1       qmgr
	tlsmgr    unix  -       -       n       1000?   1       tlsmgr
	rewrite   unix  -       -       n       -       -       trivial-rewrite
	bounce    unix  -       -       n       -       0       bounce
	defer     unix  -       -       n       -       0       bounce
	trace     unix  -       -       n       -       0       bounce
	flush     unix  n       -       n       1000?   0       flush
	smtp      unix  -       -       n       -       -       smtp
	relay     unix  -       -       n       -       -       smtp
	showq     unix  n       -       n       -       -       showq
	error     unix  -       -       n       -       -       error
	retry     unix  -       -       n       -       -       error
	virtual   unix  -       n       n       -       -       virtual
	anvil     unix  -       -       n       -       1       anvil
	scache    unix  -       -       n       -       1       scache
	postlog   unix-dgram n  -       n       -       1       postlogd

	EOF
	# contrib's re-injection service (and transports) on this instance's free port and table
	sed -e "s|^127\.0\.0\.1:10026 |127.0.0.1:$P_REINJECT |" \
		-e "s|regexp:/etc/postfix/postward_header_checks|regexp:$CONF/postward_header_checks|" \
		"$CONTRIB/master.cf.snippet" >>"$CONF/master.cf"
	grep -q "^127\.0\.0\.1:$P_REINJECT inet .* smtpd$" "$CONF/master.cf" ||
		abort "contrib/postfix/master.cf.snippet has the re-injection smtpd on 127.0.0.1:10026"
	postfix -c "$CONF" check >"$T/check.out" 2>&1
	check "postfix -c DIR check accepts the instance (contrib snippets, virtual Maildirs)" test ! -s "$T/check.out"
	[ -s "$T/check.out" ] && sed 's/^/| /' "$T/check.out"
	postfix -c "$CONF" start >"$T/start.out" 2>&1 || abort "postfix -c $CONF start: $(cat "$T/start.out")"
	POSTFIX_STARTED=1
	MASTERPID=$(tr -d ' ' <"$Q/pid/master.pid")
	listeners=$(ss -Hltnp 2>/dev/null | grep -F "pid=$MASTERPID," | awk '{ print $4 }' | sort -u | tr '\n' ' ')
	want_listeners=$(printf '127.0.0.1:%s\n' "$P_SMTPD" "$P_REINJECT" | sort -u | tr '\n' ' ')
	check "the private instance listens on 127.0.0.1:$P_SMTPD and the re-injection port $P_REINJECT only (got: $listeners)" \
		test "$listeners" = "$want_listeners"
}

# ---------------------------------------------------------------------------- helpers
W=$T/w   # work files
# post NAME FROM TO[,TO...] FILE: swaks to the milter-facing smtpd, transcript in $W/swaks.NAME.
# swaks ends DATA with CRLF "." CRLF after the data as given, so it gets FILE without its
# final line end: the server then receives FILE exactly (in CRLF form).
post() {
	head -c -1 "$4" >"$W/$1.wire"
	swaks --server 127.0.0.1 --port "$P_SMTPD" --helo client.pw-lists.test --timeout 120 \
		--from "$2" --to "$3" --data "@$W/$1.wire" >"$W/swaks.$1" 2>&1
}
accepted() { grep -Eq '^<-  250 .*queued as' "$W/swaks.$1"; }
qid_of() { sed -n 's/^<-  250 .*queued as \([0-9A-Za-z]*\).*/\1/p' "$W/swaks.$1" | tail -1; }
# the server's reply that ended the transaction (the last 4xx/5xx, or the 250 after DATA)
reply_of() { grep -E '^<(\*\*|-) +[0-9]{3} ' "$W/swaks.$1" | grep -v '^<-  221 ' | tail -1 | cut -c5-; }
# dir_of ADDR: that address's Maildir
dir_of() { echo "$VM/${1#*@}/${1%@*}"; }
files_of() { ls "$(dir_of "$1")"/new/* 2>/dev/null; }
count_of() { files_of "$1" | wc -l; }
nfiles() { find "$VM" -path '*/new/*' -type f 2>/dev/null | wc -l; }
queue_empty() { postqueue -c "$CONF" -p 2>/dev/null | grep -q '^Mail queue is empty'; }
spool_idle() { ! ls "$SPOOL"/*.job >/dev/null 2>&1; }
# wait_mail N LABEL: bounded wait until N files were delivered, postward's spool holds no
# job and Postfix's queue is empty
WANT=0
settled() { [ "$(nfiles)" -ge "$WANT" ] && spool_idle && queue_empty; }
wait_mail() {
	WANT=$1
	if wait_until 90 settled; then
		ok "$2: $1 message(s) delivered, postward's spool and Postfix's queue empty"
	else
		bad "$2: $1 message(s) delivered within 90 s (got $(nfiles); spool: $(ls "$SPOOL" | tr '\n' ' '); queue: $(postqueue -c "$CONF" -p 2>&1 | tail -1))"
		tail -20 "$MAILLOG" | sed 's/^/| /'
	fi
}
# archive LABEL: move every delivered file out of the Maildirs
archive() {
	local f u
	find "$VM" -path '*/new/*' -type f 2>/dev/null | while read -r f; do
		u=${f#"$VM"/}
		u=${u%%/new/*}
		mkdir -p "$SEEN/$1/$u"
		mv "$f" "$SEEN/$1/$u/"
	done
}
header() { sed '/^$/q' "$1"; }     # header of a delivered file (with the blank line)
body() { sed '1,/^$/d' "$1"; }
hfield() { header "$1" | grep -i "^$2:" | sed "s/^[^:]*: *//"; }   # unfolded fields only
armor() { sed -n '/^-----BEGIN PGP MESSAGE-----$/,/^-----END PGP MESSAGE-----$/p' "$1" | tr -d '\r'; }
# pfqid FILE: the queue ID in the Received field Postfix added on delivery
pfqid() { header "$1" | tr -d '\n' | sed -n 's/^.*(Postfix) with E\{0,1\}SMTP id \([0-9A-Za-z]*\).*$/\1/p' | head -1; }
reinjected() { local id; id=$(pfqid "$1"); [ -n "$id" ] && grep -q "postfix/postward-reinject/smtpd\[[0-9]*\]: $id: client=localhost\[127.0.0.1\]" "$MAILLOG"; }
npkesk() { g "$1" --list-packets "$2" 2>/dev/null | grep -c '^:pubkey enc packet:'; }
pwlog() { cat "$T"/pw.*.log; }   # every postward run's log
# pgpmime ARMORFILE FROM TO SUBJECT > message: a PGP/MIME message (RFC 3156) around the armor;
# FROM is an address or "Name <address>"
pgpmime() {
	local from=$2
	case $from in *'<'*) ;; *) from="<$from>" ;; esac
	printf 'From: %s\nTo: <%s>\nSubject: %s\nMessage-ID: <%s.%s@example.net>\nMIME-Version: 1.0\n' \
		"$from" "$3" "$4" "$RANDOM" "$RANDOM"
	printf 'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\n boundary="=-=b1=-="\n\n'
	printf 'This is an OpenPGP/MIME encrypted message (RFC 3156).\n--=-=b1=-=\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n'
	printf -- '--=-=b1=-=\nContent-Type: application/octet-stream; name="encrypted.asc"\n\n'
	tr -d '\r' <"$1"
	printf -- '--=-=b1=-=--\n'
}
# sealed NAME HOME SIGNER-FPR FROM TO SUBJECT < text/plain body: signed by SIGNER-FPR,
# encrypted to the list key $LIST, sent as PGP/MIME (NAME.eml) from FROM to TO
sealed() {
	{ echo 'Content-Type: text/plain; charset=utf-8'; echo; cat; } >"$1.txt"
	g "$2" --trust-model always -a -se -r "$LIST" -u "$3" -o "$1.asc" "$1.txt" 2>/dev/null || return 1
	pgpmime "$1.asc" "$4" "$5" "$6" >"$1.eml" && post "$1" "$4" "$5" "$1.eml"
}
# send_cmd NAME HOME SIGNER-FPR FROM < text: commands to board-request@lists.test (message
# cmd.NAME); a line of its own after the commands makes two messages with the same commands
# signed within one second differ (else the second is a replay, rightly refused)
send_cmd() {	# not "command": that would hide the shell builtin
	{ cat; printf '\n%s\n' "$1"; } | sealed "cmd.$1" "$2" "$3" "$4" board-request@lists.test commands
}
# answer_of ADDR HOME NAME [SUBJECT]: the newest message in ADDR's Maildir (whose Subject
# holds SUBJECT), decrypted in HOME, into NAME.out (status in NAME.status); true when it
# decrypted
answer_of() {
	local f x
	f=
	for x in $(ls -t "$(dir_of "$1")"/new/* 2>/dev/null); do
		[ -n "${4:-}" ] && ! hfield "$x" Subject | grep -qF -- "$4" && continue
		f=$x
		break
	done
	[ -n "$f" ] || return 1
	cp "$f" "$3.eml"
	armor "$f" >"$3.asc"
	g "$2" --status-fd 3 --decrypt "$3.asc" 3>"$3.status" 2>/dev/null | tr -d '\r' >"$3.out"
	grep -q '^\[GNUPG:\] DECRYPTION_OKAY' "$3.status"
}
reloaded() { [ "$(pwlog | grep -c 'reloaded:')" -ge "$1" ]; }	# N reloads logged
# sendkey_parts ANSWER LIST NAME: a sendkey answer's attachments in the working directory:
# LIST.roster.asc and LIST.roster.asc.sig as NAME.roster.asc and NAME.roster.asc.sig, the key
# (application/pgp-keys) as NAME.key
sendkey_parts() {
	"$PY" - "$@" <<-'PYEOF'
	import email, sys
	m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
	for p in m.walk():
	    fn = p.get_filename()
	    if fn and fn.startswith(sys.argv[2] + '.roster'):
	        open(sys.argv[3] + fn[len(sys.argv[2]):], 'wb').write(p.get_payload(decode=True))
	    elif p.get_content_type() == 'application/pgp-keys':
	        open(sys.argv[3] + '.key', 'wb').write(p.get_payload(decode=True))
	PYEOF
}
