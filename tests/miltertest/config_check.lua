-- postward -n: check the configuration and every policy file, print each problem as
-- FILE:LINE: message on stderr, exit 0 if all is good (printing nothing), 1 otherwise.
-- No filter is started: postward is run directly through the shell (os.execute).
local T = dofile(lib)

-- check_n - run postward -n -c CONF; compare exit status and the exact stderr lines
local function check_n(what, conf, want_status, want_lines)
	local err, out = tmp .. "/n.err", tmp .. "/n.out"
	local _, how, code = os.execute(T.sq(postward) .. " -n -c " .. T.sq(conf) ..
					" >" .. T.sq(out) .. " 2>" .. T.sq(err))
	T.ok(how == "exit" and code == want_status,
	     string.format("%s: exit status %d (got %s %s)", what, want_status, tostring(how), tostring(code)))
	T.ok(T.read(out) == "", what .. ": nothing on stdout")
	local got = {}
	for line in T.read(err):gmatch("([^\n]*)\n") do table.insert(got, line) end
	local same = #got == #want_lines
	for i = 1, math.max(#got, #want_lines) do
		if got[i] ~= want_lines[i] then
			same = false
			mt.echo(string.format("    line %d: want %s", i, want_lines[i] and ("[" .. want_lines[i] .. "]") or "(none)"))
			mt.echo(string.format("    line %d:  got %s", i, got[i] and ("[" .. got[i] .. "]") or "(none)"))
		end
	end
	T.ok(same, string.format("%s: exactly %d expected line(s) on stderr", what, #want_lines))
end

-- a good configuration using every setting, a continuation line and comments
local p1 = T.write(T.path("good1.policy"), table.concat({
	"# comment",
	"",
	"require_tls sender_domain a.example .corp.example   # trailing comment",
	"  require_tls\trecipient_domain bank.example",
	"require_tls auth_user alice bob@example.org",
	"require_tls client_network 192.0.2.0/24 198.51.100.7 2001:db8::/32 2001:db8:1::1",
	"" }, "\n"))
local p2 = T.write(T.path("good2.policy"), "\r\nrequire_tls sender_domain b.example\r\n")
local good = T.write(T.path("good.conf"), table.concat({
	"# postward configuration used by config_check.lua",
	"milter_socket = inet:8891@127.0.0.1",
	"user =",
	"pid_file =",
	"syslog_facility = mail",
	"log_level = debug",
	"milter_timeout = 300",
	"policy_files = " .. p1 .. ",",
	"    " .. p2,
	"tls_required_unknown = reject",
	"requiretls_ret_hdrs = no",
	"internal_error_action = accept",
	"" }, "\n"))
check_n("good configuration and policy files", good, 0, {})

check_n("empty configuration file", T.write(T.path("empty.conf"), ""), 0, {})

-- configuration errors
local bad = T.write(T.path("bad.conf"), table.concat({
	"# line 1",
	"foo = bar",
	"log_level debug",
	"tls_required_unknown = maybe",
	"requiretls_ret_hdrs = perhaps",
	"milter_timeout = 0",
	"log_level = info",
	"log_level = debug",
	"internal_error_action = bounce",
	"= x",
	"syslog_facility = kern",
	"" }, "\n"))
check_n("configuration errors", bad, 1, {
	bad .. ':2: unknown setting "foo"',
	bad .. ':3: missing "=" in "log_level debug"',
	bad .. ':4: tls_required_unknown = "maybe": expected ignore or reject',
	bad .. ':5: requiretls_ret_hdrs = "perhaps": expected yes or no',
	bad .. ':6: milter_timeout = "0": expected a whole number from 1 to 86400',
	bad .. ':8: "log_level" is already set at line 7',
	bad .. ':9: internal_error_action = "bounce": expected tempfail or accept',
	bad .. ':10: missing setting name before "="',
	bad .. ':11: syslog_facility = "kern": expected mail, daemon, user, local0, local1, local2, local3, local4, local5, local6 or local7',
})

-- policy errors (good lines, blank lines and comments in between keep the numbering honest)
local pol = T.write(T.path("bad.policy"), table.concat({
	"require_tls sender_domain",
	"require_tls sender_dommain x.example",
	"requiretls sender_domain x.example",
	"# fine:",
	"require_tls sender_domain ok.example",
	"require_tls client_network 192.0.2.0/33",
	"require_tls client_network 10.1.2.3/8",
	"",
	"require_tls sender_domain bad..example",
	"require_tls client_network not-an-ip",
	"require_tls",
	"require_tls recipient_domain ok.example user@bank.example",
	"require_tls sender_domain a\1b.example",
	"require_tls client_network 2001:db8::/129",
	"" }, "\n"))
local polconf = T.write(T.path("polconf.conf"), "policy_files = " .. pol .. "\n")
check_n("policy file errors", polconf, 1, {
	pol .. ":1: require_tls sender_domain needs at least one value",
	pol .. ':2: unknown selector "sender_dommain" (expected sender_domain, recipient_domain, auth_user or client_network)',
	pol .. ':3: unknown statement "requiretls" (expected require_tls or practice)',
	pol .. ':6: bad network "192.0.2.0/33": prefix length over 32 for IPv4',
	pol .. ':7: bad network "10.1.2.3/8": address has bits set beyond the prefix length',
	pol .. ':9: "bad..example" is not a domain name or .domain pattern',
	pol .. ':10: bad network "not-an-ip": not an IP address',
	pol .. ":11: require_tls needs a selector: sender_domain, recipient_domain, auth_user or client_network",
	pol .. ':12: "user@bank.example" is not a domain name or .domain pattern',
	pol .. ":13: control character 0x01 in column 28",
	pol .. ':14: bad network "2001:db8::/129": prefix length over 128 for IPv6',
})

-- a policy file that does not exist
local missing = T.path("no-such.policy")
check_n("missing policy file", T.write(T.path("missing.conf"), "policy_files = " .. p1 .. " " .. missing .. "\n"), 1, {
	missing .. ": cannot read: No such file or directory",
})

-- a missing configuration file named with -c
check_n("missing configuration file", T.path("no-such.conf"), 1, {
	T.path("no-such.conf") .. ": cannot read: No such file or directory",
})

-- errors in the configuration and in a policy file are all reported
local both = T.write(T.path("both.conf"), "policy_files = " .. pol .. "\nbogus = 1\n")
local _, _, code = os.execute(T.sq(postward) .. " -n -c " .. T.sq(both) .. " 2>" .. T.sq(tmp .. "/both.err"))
local text = T.read(tmp .. "/both.err")
T.ok(code == 1, "configuration and policy errors: exit 1")
T.ok(text:find(both .. ':2: unknown setting "bogus"', 1, true) ~= nil and
     text:find(pol .. ":1: require_tls sender_domain needs at least one value", 1, true) ~= nil,
     "configuration and policy errors: both reported")

T.done()
